"""`toolsynth make-preferences`: dialogs.jsonl → preferences.jsonl (multi-turn DPO pairs), resumable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import address_option, emit_json, executor_option, shard_option, workers_option
from toolsynth.console import stderr, stdout


def _kinds(text: str | None, default: list[str]) -> list[str]:
    from toolsynth.errors import InputError
    from toolsynth.prefs.run import KINDS

    if text is None:
        return default
    out = [k.strip() for k in text.split(",") if k.strip()]
    bad = [k for k in out if k not in KINDS]
    if bad or not out:
        raise InputError(
            f"unknown kind {bad[0]!r} (choose from {', '.join(KINDS)})" if bad else "no kinds",
            where="--kinds",
        )
    return list(dict.fromkeys(out))


def command(
    dialogs: Path = typer.Argument(..., help="dialogs.jsonl from `toolsynth synthesize` (dialog/1 or /2)."),
    output: Path = typer.Option(..., "--output", "-o", help="preferences.jsonl to write."),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML: its `llm`, `synth` and `prefs` sections apply."
    ),
    kinds: str | None = typer.Option(
        None,
        "--kinds",
        "-k",
        help="Comma-separated negative sources: regeneration, model, rule (default: all).",
    ),
    per_dialog: int | None = typer.Option(
        None, "--per-dialog", "-n", min=1, help="At most N pairs per dialog (default: the recipe's, 4)."
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Model for every role without its own (default: the recipe's, local/smollm2).",
    ),
    negative_model: str | None = typer.Option(
        None, "--negative-model", help="Model of the hint-free assistant (default: the assistant's)."
    ),
    concurrency: int = typer.Option(
        8, "--concurrency", "-c", min=1, max=1024, help="Dialogs worked on at once."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Bypass the model response cache."),
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="Replay and run calls on this backend: `python:<module>[:Class]` (your code), `bfcl`, or `simulated` "
        "(default: the recipe's `synth.backend`, else each dialog's own, which may only be bfcl or simulated).",
    ),
    stats: bool = typer.Option(
        False, "--stats", help="Print pairs per kind and error class, and the drop counts."
    ),
    executor: str | None = executor_option("the pairs are", "prefs.executor"),
    address: str | None = address_option(),
    workers: int | None = workers_option(),
    shard: str | None = shard_option("dialog"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Turn accepted dialogs into multi-turn preference pairs (MAGNET): each rejected side fails a synthesis check.

    Rerunning the same command after an interruption continues where it stopped.
    """
    from toolsynth.pipeline import make_preferences, prefs_settings

    settings = prefs_settings(None)
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        settings = prefs_settings(load_recipe(recipe))
    prefs = settings.prefs
    updates: dict[str, Any] = {"kinds": _kinds(kinds, list(prefs.kinds))}
    if per_dialog is not None:
        updates["per_dialog"] = per_dialog
    if negative_model:
        updates["negative_model"] = negative_model
    from toolsynth.executors.config import executor_config
    from toolsynth.shard import parse_shard

    updates["executor"] = executor_config(prefs.executor, executor, address, workers)
    llm_updates: dict[str, Any] = {}
    if model:
        llm_updates["model"] = model
    if no_cache:
        llm_updates["cache"] = False
    synth = settings.synth.model_copy(update={"backend": backend}) if backend else settings.synth
    settings = replace(
        settings,
        llm=settings.llm.model_copy(update=llm_updates),
        synth=synth,
        prefs=prefs.model_copy(update=updates),
    )
    result = make_preferences(
        dialogs, output, settings, concurrency=concurrency, shard=parse_shard(shard), recipe_path=recipe
    )
    print_preferences(result, stats=stats, as_json=as_json)


def print_preferences(result: Any, *, stats: bool = False, as_json: bool = False) -> None:
    """make-preferences' summary: one JSON document, or a few lines on stderr (and the tables with `stats`)."""
    from toolsynth.llm.accounting import format_summary

    if as_json:
        emit_json(result.to_json())
        return
    counts = result.counts
    stderr.print(
        f"make-preferences: {counts['pairs']} pairs from {counts['dialogs']} dialogs"
        + (f" ({counts['pairs_per_dialog']} per dialog)" if counts["pairs_per_dialog"] is not None else "")
        + (f", {result.resumed} resumed from an earlier run" if result.resumed else "")
        + f" → {result.output}"
    )
    if counts["failed_dialogs"]:
        stderr.print(
            f"  {counts['failed_dialogs']} dialogs gave no pairs: {counts['errors'][0]}", markup=False
        )
    if stats:
        _print_stats(counts)
    stderr.print(f"  {format_summary(result.usage)}")


def _print_stats(counts: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(show_edge=False, header_style="bold")
    for col in ("kind", "candidates", "accidentally correct", "proven", "kept"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind, c in counts["by_kind"].items():
        table.add_row(
            kind, *(str(c.get(k, 0)) for k in ("candidates", "accidentally_correct", "proven", "kept"))
        )
    stdout.print(table)
    total = counts["pairs"] or 1
    errors = Table(show_edge=False, header_style="bold")
    errors.add_column("error class")
    errors.add_column("pairs", justify="right")
    errors.add_column("share", justify="right")
    for err, n in sorted(counts["by_error"].items(), key=lambda kv: -kv[1]):
        errors.add_row(err, str(n), f"{n / total:.1%}")
    stdout.print(errors)
    rate = counts["accidentally_correct_rate"]
    stdout.print(
        f"accidentally correct (dropped): {counts['accidentally_correct']} of {counts['candidates']} candidates"
        + (f" ({rate:.1%})" if rate is not None else "")
    )
    for reason, n in counts["skipped"].items():
        stdout.print(f"skipped: {reason} × {n}")
