"""`<name>.manifest.json`: what made an artifact (command, options, input hashes, counts, toolsynth version)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from toolsynth import __version__
from toolsynth.artifacts.files import atomic_write_bytes, file_sha256, manifest_path
from toolsynth.artifacts.schemas import schema_tag
from toolsynth.errors import InputError


def write_manifest(
    path: str | Path,
    *,
    kind: str,
    counts: dict[str, Any],
    command: str | None = None,
    options: dict[str, Any] | None = None,
    inputs: Iterable[str | Path] = (),
    extra: dict[str, Any] | None = None,
) -> Path:
    """Sidecar JSON describing how `path` was made. Input hashes let a later stage notice a changed input."""
    path = Path(path)
    manifest = {
        "artifact": path.name,
        "schema": schema_tag(kind),
        "toolsynth_version": __version__,
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": command if command is not None else " ".join(["toolsynth", *sys.argv[1:]]),
        "options": options or {},
        "inputs": [_describe_input(Path(p)) for p in inputs],
        "counts": counts,
    }
    if extra:
        manifest.update(extra)
    mpath = manifest_path(path)
    atomic_write_bytes(mpath, orjson.dumps(manifest, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY))
    return mpath


def _describe_input(p: Path) -> dict[str, Any]:
    if p.is_file():
        return {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size}
    if p.is_dir():
        h = hashlib.sha256()
        n = 0
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(str(f.relative_to(p)).encode() + b"\0" + file_sha256(f).encode())
            n += 1
        return {"path": str(p), "sha256": h.hexdigest(), "files": n}
    return {"path": str(p), "missing": True}


def read_manifest(path: str | Path) -> dict[str, Any] | None:
    mpath = manifest_path(path)
    if not mpath.exists():
        return None
    try:
        return orjson.loads(mpath.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputError(f"manifest is not valid JSON ({exc})", where=str(mpath)) from exc
