"""`toolsynth run RECIPE`: the whole pipeline from one recipe, over `toolsynth.pipeline.run_recipe`.

Each stage is the library function its own command calls, with the recipe's settings, and prints the summary that
command prints: catalog convert → build-graph → sample-plans → synthesize → make-preferences → export → report,
each writing into the recipe's `output_dir`.

Made for Makefiles and CI jobs: a stage whose inputs (the files the earlier stages wrote, hashed) and settings (its
recipe sections) are the same as when it last finished is skipped and says so (`run-state.json` in the output
directory holds those fingerprints; `--force` ignores it). Exit codes: 0 done, 1 the `--fail-under` acceptance gate
failed (every stage still ran, so the report shows why), 2 bad input or recipe, 4 a model error retrying cannot fix,
130 interrupted (finished records are kept; rerun to resume).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import log, stdout
from toolsynth.pipeline.run import STAGES

__all__ = ["STAGES", "command"]


def print_stage(run: Any) -> None:
    """A stage that ran (or stopped the run) prints the summary its own command prints."""
    if run.result is None:
        return
    from toolsynth.commands import (
        build_graph,
        catalog,
        export,
        make_preferences,
        report,
        sample_plans,
        synthesize,
    )

    printers = {
        "convert": catalog.print_converted,
        "build-graph": build_graph.print_graph,
        "sample-plans": sample_plans.print_plans,
        "synthesize": synthesize.print_synthesized,
        "make-preferences": make_preferences.print_preferences,
        "export": export.print_export,
        "report": report.print_report,
    }
    printers[run.stage](run.result)


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
    from toolsynth.pipeline import run_recipe

    # With --json the stages' own summaries go to stderr so stdout holds exactly one JSON document.
    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        result = run_recipe(
            recipe,
            start=start,
            until=until,
            fail_under=fail_under,
            force=force,
            restart=restart,
            on_stage=print_stage,
        )
    if result.stopped_at is not None:
        raise typer.Exit(result.exit_code)  # run_recipe said which stage and why
    out, rate = result.output_dir, result.acceptance_rate
    if as_json:
        emit_json(result.to_json())
    else:
        for s in result.stages:
            stdout.print(f"{s.stage:<17} {s.status:<8} {s.seconds:>8.2f} s  {s.artifact}")
        if rate is not None:
            stdout.print(f"accepted: {rate:.0%} of dialogs ({out / 'dialogs.jsonl'})")
        if result.dataset:
            stdout.print(f"dataset:  {result.dataset}  (one folder per format)")
        if (out / "preferences.jsonl").exists():
            stdout.print(f"pairs:    {out / 'preferences.jsonl'}")
        if result.report:
            stdout.print(f"report:   {result.report}  (and report.md)")
    if result.gate_failed:
        shown_rate = "no dialogs" if rate is None else f"{rate:.1%}"
        log.error(
            "quality gate failed: acceptance %s is under --fail-under %.1f%%",
            shown_rate,
            (fail_under or 0) * 100,
        )
        raise typer.Exit(1)
