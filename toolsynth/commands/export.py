"""`toolsynth export`: dialogs (and preference pairs) → training files for OpenAI, TRL, LLaMA-Factory, Hermes, HF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout


def _csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def command(
    dialogs: Path = typer.Argument(
        ..., help="dialogs.jsonl from `toolsynth synthesize` (accepted dialogs only)."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Directory: one sub-directory per format."),
    formats: str | None = typer.Option(
        None,
        "--format",
        "-f",
        help="Comma list: openai, sharegpt, trl-sft, trl-dpo, mdpo, hermes, hf, or all.",
    ),
    preferences: Path | None = typer.Option(
        None,
        "--preferences",
        "-p",
        help="preferences.jsonl from `make-preferences` (for the preference forms).",
    ),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML: its `export` section applies."
    ),
    validation: float | None = typer.Option(None, "--validation", help="Share of plans in validation."),
    test: float | None = typer.Option(None, "--test", help="Share of plans in test."),
    dedup: float | None = typer.Option(
        None, "--dedup", help="Drop near-duplicate dialogs at this cosine of their user turns (e.g. 0.95)."
    ),
    categories: str | None = typer.Option(
        None, "--categories", help="Keep only these categories (comma list)."
    ),
    require_checks: str | None = typer.Option(
        None, "--require-checks", help="Keep only dialogs passing these checks on every turn (comma list)."
    ),
    max_per_tool: int | None = typer.Option(
        None, "--max-per-tool", help="Most dialogs calling any one tool."
    ),
    decontaminate: bool | None = typer.Option(
        None,
        "--decontaminate/--no-decontaminate",
        help="Drop dialogs overlapping BFCL's multi-turn test questions.",
    ),
    decontam_threshold: float | None = typer.Option(
        None,
        "--decontam-threshold",
        help="Overlap (share of a user turn's n-grams) that counts as contaminated.",
    ),
    show_stats: bool = typer.Option(
        False, "--stats", help="Print counts per category, check, tool and format."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Write the dialogs (and preference pairs) in training formats, each file checked after writing."""
    from toolsynth.pipeline import export, export_settings

    loaded = None
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        loaded = load_recipe(recipe)
    settings = export_settings(
        loaded,
        {
            "formats": _csv(formats),
            "split.validation": validation,
            "split.test": test,
            "dedup.threshold": dedup,
            "categories": _csv(categories),
            "require_checks": _csv(require_checks),
            "max_per_tool": max_per_tool,
            "decontamination.drop": decontaminate,
            "decontamination.threshold": decontam_threshold,
        },
        where=str(recipe or "options"),
    )
    print_export(
        export(dialogs, output, settings, preferences=preferences), show_stats=show_stats, as_json=as_json
    )


def print_export(result: Any, *, show_stats: bool = False, as_json: bool = False) -> None:
    """export's summary: one JSON document, the statistics tables with `stats`, or one line."""
    from toolsynth.export.stats import render

    if as_json:
        emit_json(result.to_json())
        return
    output, stats = result.output, result.stats
    if show_stats:
        render(stats, stdout)
        return
    files = sum(sum(c.values()) for c in stats.written.values())
    stdout.print(
        f"exported {stats.kept} of {stats.dialogs_in} dialogs"
        + (f" and {stats.pairs_kept} of {stats.pairs_in} pairs" if stats.pairs_in else "")
        + f" → {output} ({', '.join(stats.written)}; {files} records)"
    )
