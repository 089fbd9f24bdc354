"""`run-state.json`: what each stage of `run_recipe` last finished with, so an unchanged stage is skipped.

A stage's fingerprint is its recipe sections (model settings that change only speed or caching left out), the
toolsynth version and the content of the files it reads; it is skipped only when that fingerprint matches and its
outputs still hash to what it wrote.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolsynth.recipe import Recipe

STATE_FILE = "run-state.json"

# The recipe sections each stage's output depends on (besides its input files). Model settings that only change
# speed or where answers are cached (concurrency, cache, transport, timeouts, retries) are left out.
_LLM_IGNORED = {
    "concurrency",
    "cache",
    "cache_dir",
    "transport",
    "timeout_s",
    "max_retries",
    "retry_base_s",
    "retry_max_s",
}
SECTIONS: dict[str, tuple[str, ...]] = {
    "convert": ("catalog",),
    "build-graph": ("graph", "llm", "seed"),
    "sample-plans": ("plans", "llm", "seed", "strategy"),
    "synthesize": ("synth", "llm"),
    "make-preferences": ("prefs", "synth", "llm"),
    "export": ("export",),
    "report": (),
}


def _files(path: Path) -> list[Path]:
    """The content files under `path`: manifests (they hold timestamps), partial journals and hidden files are not
    content."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and not p.name.endswith((".manifest.json", ".partial", ".tmp"))
    )


def content_hash(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for root in paths:
        h.update(f"\0{root.name}\0".encode())
        for f in _files(root):
            h.update(str(f.relative_to(root.parent)).encode() + b"\0")
            with f.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def settings_of(recipe: Recipe, stage: str) -> dict[str, Any]:
    from toolsynth import __version__

    dump = recipe.model_dump(mode="json")
    body: dict[str, Any] = {"toolsynth": __version__}
    for section in SECTIONS[stage]:
        value = dump.get(section)
        if section == "llm" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _LLM_IGNORED}
        body[section] = value
    return body


def fingerprint(recipe: Recipe, stage: str, inputs: list[Path]) -> str:
    import orjson

    body = {"stage": stage, "settings": settings_of(recipe, stage), "inputs": content_hash(inputs)}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def read_state(out: Path) -> dict[str, Any]:
    import orjson

    path = out / STATE_FILE
    try:
        state = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}  # no state (or a damaged one): every stage runs, nothing is lost by that
    return state if isinstance(state, dict) else {}


def write_state(out: Path, state: dict[str, Any]) -> None:
    import os
    import tempfile

    import orjson

    out.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=out)
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps(state, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, out / STATE_FILE)


def unchanged(state: dict[str, Any], stage: str, fp: str, outputs: list[Path]) -> bool:
    """Finished before with the same fingerprint, and its outputs are still what it wrote."""
    prev = state.get(stage) or {}
    if prev.get("fingerprint") != fp or not all(p.exists() for p in outputs[:1]):
        return False
    return prev.get("outputs") == content_hash(outputs)
