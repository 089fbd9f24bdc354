"""`toolsynth report OUTDIR`: the run's figures as report.html (self-contained) and report.md."""

from __future__ import annotations

from pathlib import Path

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
    from toolsynth.errors import InputError
    from toolsynth.report import write_report
    from toolsynth.report.collect import acceptance, load_run

    if not outdir.is_dir():
        raise InputError("not a directory (give the run's output_dir)", where=str(outdir))
    html_path, md_path = write_report(outdir, output)
    if as_json:
        data = load_run(outdir)
        emit_json(
            {
                "html": str(html_path),
                "markdown": str(md_path),
                "accepted": len(data.dialogs),
                "rejected": len(data.rejects),
                "acceptance_rate": acceptance(data),
                "preference_pairs": None if data.preferences is None else len(data.preferences),
                "export_formats": sorted(data.exports),
            }
        )
        return
    stderr.print(f"report: {html_path} and {md_path}")
