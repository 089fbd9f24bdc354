"""`toolsynth run RECIPE`: the whole pipeline from one recipe, stage by stage, through the same commands a person runs.

Each stage is invoked exactly as its subcommand would be (same option parsing and validation), so `run` adds no
second code path: catalog convert → build-graph → sample-plans → synthesize → make-preferences, each writing its artifact into the
recipe's `output_dir`. Re-running is cheap: embeddings and model answers are cached and synthesize resumes.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import log, stdout

STAGES = ("convert", "build-graph", "sample-plans", "synthesize", "make-preferences")


def plan_stages(recipe_path: Path, out: Path, catalog: Path) -> list[tuple[str, list[str], Path]]:
    """(stage, argv, artifact) for every stage, in order."""
    r = str(recipe_path)
    tools, graph, plans, dialogs, prefs = (
        out / "tools.jsonl",
        out / "graph",
        out / "plans.jsonl",
        out / "dialogs.jsonl",
        out / "preferences.jsonl",
    )
    return [
        ("convert", ["catalog", "convert", str(catalog), "-o", str(tools)], tools),
        ("build-graph", ["build-graph", str(tools), "-o", str(graph), "--recipe", r], graph),
        ("sample-plans", ["sample-plans", str(graph), "-o", str(plans), "--recipe", r], plans),
        ("synthesize", ["synthesize", str(plans), "-o", str(dialogs), "--recipe", r], dialogs),
        ("make-preferences", ["make-preferences", str(dialogs), "-o", str(prefs), "--recipe", r], prefs),
    ]


def command(
    recipe: Path = typer.Argument(..., help="Recipe YAML (see recipes/)."),
    until: str = typer.Option(STAGES[-1], "--until", help=f"Last stage to run: {', '.join(STAGES)}."),
    start: str = typer.Option("convert", "--from", help="First stage to run (earlier artifacts must exist)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary of the stages on stdout."),
) -> None:
    """Run the pipeline a recipe describes, writing every artifact into its `output_dir`."""
    from toolsynth.cli import app
    from toolsynth.errors import RecipeError
    from toolsynth.recipe import load_recipe

    for name, value in (("--until", until), ("--from", start)):
        if value not in STAGES:
            raise RecipeError(f"unknown stage {value!r}; choose one of {', '.join(STAGES)}", where=name)
    if STAGES.index(start) > STAGES.index(until):
        raise RecipeError(f"--from {start} comes after --until {until}", where="--from")

    r = load_recipe(recipe)
    out = r.resolve(r.output_dir)
    catalog = r.resolve(r.catalog)
    if not catalog.exists():
        raise RecipeError(f"catalog path {str(catalog)!r} does not exist", where=f"{recipe}: catalog")
    stages = plan_stages(recipe, out, catalog)
    first, last = STAGES.index(start), STAGES.index(until)
    summary: list[dict[str, Any]] = []
    command_obj = typer.main.get_command(app)
    for stage, argv, artifact in stages[first : last + 1]:
        log.warning("stage %s: toolsynth %s", stage, " ".join(argv))
        t0 = time.perf_counter()
        # standalone_mode=False: errors propagate as exceptions to the CLI's one-line error handler; a stage that
        # ends with typer.Exit(n) returns n instead, and a non-zero n stops the pipeline with that code.
        # With --json the stages' own summaries go to stderr so stdout holds exactly one JSON document.
        with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
            rc = command_obj.main(args=argv, prog_name="toolsynth", standalone_mode=False)
        if isinstance(rc, int) and rc != 0:
            log.error("stage %s exited with code %d; later stages not run", stage, rc)
            raise typer.Exit(rc)
        summary.append(
            {"stage": stage, "artifact": str(artifact), "seconds": round(time.perf_counter() - t0, 2)}
        )
    if as_json:
        emit_json({"recipe": str(recipe), "output_dir": str(out), "stages": summary})
    else:
        for s in summary:
            stdout.print(f"{s['stage']:<13} {s['seconds']:>8.2f} s  {s['artifact']}")
