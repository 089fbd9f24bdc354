"""`toolsynth report OUTDIR`: the run's figures as report.html (self-contained) and report.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stderr


def command(
    outdir: Path = typer.Argument(..., help="A run's output directory (the recipe's output_dir)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Directory for report.html/.md (default: OUTDIR)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the paths and headline figures as JSON on stdout."
    ),
) -> None:
    """Write a one-page HTML report (inline SVG charts, no scripts, no network) and a Markdown summary of a run."""
    from toolsynth.pipeline import report

    print_report(report(outdir, output), as_json=as_json)


def print_report(result: Any, *, as_json: bool = False) -> None:
    """report's paths (and, as JSON, its headline figures)."""
    if as_json:
        emit_json(result.to_json())
        return
    stderr.print(f"report: {result.html} and {result.markdown}")
