"""`toolsynth run RECIPE`: the whole pipeline from one recipe, stage by stage, through the same commands a person runs.

Each stage is invoked exactly as its subcommand would be (same option parsing and validation), so `run` adds no
second code path: catalog convert → build-graph → sample-plans → synthesize → make-preferences → export → report,
each writing into the recipe's `output_dir`.

Made for Makefiles and CI jobs: a stage whose inputs (the files the earlier stages wrote, hashed) and settings (its
recipe sections) are the same as when it last finished is skipped and says so (`run-state.json` in the output
directory holds those fingerprints; `--force` ignores it). Exit codes: 0 done, 1 the `--fail-under` acceptance gate
failed (every stage still ran, so the report shows why), 2 bad input or recipe, 4 a model error retrying cannot fix,
130 interrupted (finished records are kept; rerun to resume).
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import log, progress_log, stdout

STAGES = ("convert", "build-graph", "sample-plans", "synthesize", "make-preferences", "export", "report")
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
_SECTIONS: dict[str, tuple[str, ...]] = {
    "convert": ("catalog",),
    "build-graph": ("graph", "llm", "seed"),
    "sample-plans": ("plans", "llm", "seed", "strategy"),
    "synthesize": ("synth", "llm"),
    "make-preferences": ("prefs", "synth", "llm"),
    "export": ("export",),
    "report": (),
}


@dataclass
class Stage:
    name: str
    argv: list[str]
    inputs: list[Path]  # files or directories whose content the stage reads
    outputs: list[Path]  # what it writes (the first is the one shown)


def plan_stages(recipe_path: Path, out: Path, catalog: Path) -> list[Stage]:
    """Every stage, in order, with its command line, inputs and outputs."""
    r = str(recipe_path)
    tools, graph, plans = out / "tools.jsonl", out / "graph", out / "plans.jsonl"
    dialogs, prefs, export = out / "dialogs.jsonl", out / "preferences.jsonl", out / "export"
    rejects = out / "dialogs.rejects.jsonl"
    return [
        Stage("convert", ["catalog", "convert", str(catalog), "-o", str(tools)], [catalog], [tools]),
        Stage("build-graph", ["build-graph", str(tools), "-o", str(graph), "--recipe", r], [tools], [graph]),
        Stage(
            "sample-plans",
            ["sample-plans", str(graph), "-o", str(plans), "--recipe", r],
            [graph / "nodes.jsonl", graph / "edges.jsonl"],
            [plans],
        ),
        Stage(
            "synthesize",
            ["synthesize", str(plans), "-o", str(dialogs), "--recipe", r],
            [plans],
            [dialogs, rejects],
        ),
        Stage(
            "make-preferences",
            ["make-preferences", str(dialogs), "-o", str(prefs), "--recipe", r],
            [dialogs],
            [prefs],
        ),
        Stage(
            "export",
            ["export", str(dialogs), "-o", str(export), "--preferences", str(prefs), "--recipe", r],
            [dialogs, prefs],
            [export],
        ),
        Stage(
            "report",
            ["report", str(out)],
            [tools, plans, dialogs, rejects, prefs, export],
            [out / "report.html"],
        ),
    ]


# ---- fingerprints ---------------------------------------------------------------------------------------------------


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


def settings_of(recipe: Any, stage: str) -> dict[str, Any]:
    from toolsynth import __version__

    dump = recipe.model_dump(mode="json")
    body: dict[str, Any] = {"toolsynth": __version__}
    for section in _SECTIONS[stage]:
        value = dump.get(section)
        if section == "llm" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in _LLM_IGNORED}
        body[section] = value
    return body


def fingerprint(recipe: Any, stage: Stage) -> str:
    import orjson

    body = {
        "stage": stage.name,
        "settings": settings_of(recipe, stage.name),
        "inputs": content_hash(stage.inputs),
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _read_state(out: Path) -> dict[str, Any]:
    import orjson

    path = out / STATE_FILE
    try:
        state = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}  # no state (or a damaged one): every stage runs, nothing is lost by that
    return state if isinstance(state, dict) else {}


def _write_state(out: Path, state: dict[str, Any]) -> None:
    import os
    import tempfile

    import orjson

    out.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=out)
    with os.fdopen(fd, "wb") as fh:
        fh.write(orjson.dumps(state, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, out / STATE_FILE)


def unchanged(state: dict[str, Any], stage: Stage, fp: str) -> bool:
    """Finished before with the same fingerprint, and its outputs are still what it wrote."""
    prev = state.get(stage.name) or {}
    if prev.get("fingerprint") != fp or not all(p.exists() for p in stage.outputs[:1]):
        return False
    return prev.get("outputs") == content_hash(stage.outputs)


def _argv(stage: Stage) -> list[str]:
    """The stage's command line as it stands now: export pairs only when make-preferences wrote them."""
    argv = list(stage.argv)
    if "--preferences" in argv:
        i = argv.index("--preferences")
        if not Path(argv[i + 1]).exists():
            del argv[i : i + 2]
    return argv


# ---- the command --------------------------------------------------------------------------------------------------


def _acceptance(out: Path) -> float | None:
    from toolsynth.artifacts import read_manifest

    manifest = read_manifest(out / "dialogs.jsonl") if (out / "dialogs.jsonl").exists() else None
    rate = ((manifest or {}).get("counts") or {}).get("acceptance_rate")
    return float(rate) if isinstance(rate, int | float) else None


def command(
    recipe: Path = typer.Argument(..., help="Recipe YAML (see recipes/)."),
    until: str = typer.Option(STAGES[-1], "--until", help=f"Last stage to run: {', '.join(STAGES)}."),
    start: str = typer.Option("convert", "--from", help="First stage to run (earlier artifacts must exist)."),
    fail_under: float | None = typer.Option(
        None,
        "--fail-under",
        min=0.0,
        max=1.0,
        help="Exit 1 when the share of accepted dialogs is below this.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Run every stage, even those whose inputs are unchanged."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary of the stages on stdout."),
    restart: bool = typer.Option(
        False, "--restart", help="Passed to synthesize: drop an earlier run's unfinished journal, start over."
    ),
) -> None:
    """Run the pipeline a recipe describes, writing every artifact into its `output_dir`."""
    from toolsynth.cli import app
    from toolsynth.errors import NotBuiltError, RecipeError
    from toolsynth.recipe import load_recipe

    for name, value in (("--until", until), ("--from", start)):
        if value not in STAGES:
            raise RecipeError(f"unknown stage {value!r}; choose one of {', '.join(STAGES)}", where=name)
    if STAGES.index(start) > STAGES.index(until):
        raise RecipeError(f"--from {start} comes after --until {until}", where="--from")

    r = load_recipe(recipe)
    out = r.resolve(r.output_dir).resolve()
    catalog = r.resolve(r.catalog)
    if not catalog.exists():
        raise RecipeError(f"catalog path {str(catalog)!r} does not exist", where=f"{recipe}: catalog")
    stages = plan_stages(recipe, out, catalog)
    first, last = STAGES.index(start), STAGES.index(until)
    for stage in stages[first : first + 1]:
        missing = [p for p in stage.inputs[:1] if not p.exists()]
        if missing and stage.name != "convert":
            raise RecipeError(
                f"--from {stage.name} needs {missing[0]}, which an earlier stage writes", where="--from"
            )
    state = {} if force else _read_state(out)
    summary: list[dict[str, Any]] = []
    command_obj = typer.main.get_command(app)
    t_all = time.perf_counter()
    for stage in stages[first : last + 1]:
        fp = fingerprint(r, stage)
        shown = str(stage.outputs[0])
        if unchanged(state, stage, fp) and not (restart and stage.name == "synthesize"):
            progress_log.info("stage %s: skipped, inputs and settings unchanged (%s)", stage.name, shown)
            summary.append({"stage": stage.name, "status": "skipped", "artifact": shown, "seconds": 0.0})
            continue
        argv = _argv(stage)
        if restart and stage.name == "synthesize":
            argv.append("--restart")
        progress_log.info("stage %s: toolsynth %s", stage.name, " ".join(argv))
        t0 = time.perf_counter()
        # standalone_mode=False: errors propagate as exceptions to the CLI's one-line error handler; a stage that
        # ends with typer.Exit(n) returns n instead, and a non-zero n stops the pipeline with that code.
        # With --json the stages' own summaries go to stderr so stdout holds exactly one JSON document.
        try:
            with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
                rc = command_obj.main(args=argv, prog_name="toolsynth", standalone_mode=False)
        except NotBuiltError as exc:
            log.warning("stage %s: %s; skipped", stage.name, exc.one_line())
            summary.append({"stage": stage.name, "status": "not built", "artifact": shown, "seconds": 0.0})
            continue
        if rc == 130:
            log.error(
                "interrupted in stage %s; finished records are kept, rerun the same command to resume",
                stage.name,
            )
            raise typer.Exit(130)
        if isinstance(rc, int) and rc != 0:
            log.error("stage %s exited with code %d; later stages not run", stage.name, rc)
            raise typer.Exit(rc)
        seconds = round(time.perf_counter() - t0, 2)
        state[stage.name] = {
            "fingerprint": fp,
            "outputs": content_hash(stage.outputs),
            "seconds": seconds,
        }
        _write_state(out, state)
        summary.append({"stage": stage.name, "status": "ran", "artifact": shown, "seconds": seconds})

    rate = _acceptance(out)
    gate_failed = fail_under is not None and (rate is None or rate < fail_under)
    result = {
        "recipe": str(recipe),
        "output_dir": str(out),
        "stages": summary,
        "seconds": round(time.perf_counter() - t_all, 2),
        "acceptance_rate": rate,
        "fail_under": fail_under,
        "dataset": str(out / "export") if (out / "export").is_dir() else None,
        "report": str(out / "report.html") if (out / "report.html").exists() else None,
        "exit_code": 1 if gate_failed else 0,
    }
    if as_json:
        emit_json(result)
    else:
        for s in summary:
            stdout.print(f"{s['stage']:<17} {s['status']:<8} {s['seconds']:>8.2f} s  {s['artifact']}")
        if rate is not None:
            stdout.print(f"accepted: {rate:.0%} of dialogs ({out / 'dialogs.jsonl'})")
        if result["dataset"]:
            stdout.print(f"dataset:  {result['dataset']}  (one folder per format)")
        if (out / "preferences.jsonl").exists():
            stdout.print(f"pairs:    {out / 'preferences.jsonl'}")
        if result["report"]:
            stdout.print(f"report:   {result['report']}  (and report.md)")
    if gate_failed:
        shown_rate = "no dialogs" if rate is None else f"{rate:.1%}"
        log.error(
            "quality gate failed: acceptance %s is under --fail-under %.1f%%", shown_rate, fail_under * 100
        )
        raise typer.Exit(1)
