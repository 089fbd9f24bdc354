"""`toolsynth synthesize`: plans.jsonl → dialogs.jsonl (+ dialogs.rejects.jsonl), resumable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import address_option, emit_json, executor_option, shard_option, workers_option
from toolsynth.console import stderr


def command(
    plans: Path = typer.Argument(..., help="plans.jsonl from `toolsynth sample-plans`."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="dialogs.jsonl to write (rejects go beside it, .rejects.jsonl)."
    ),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML: its `llm` and `synth` sections apply."
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model for every role without its own (default: local/smollm2)."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, max=1024, help="Model requests in flight (dialogs: a few more)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Bypass the model response cache."),
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="Only the first N plans."),
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="Run every plan's calls on this backend: `python:<module>[:Class]` (your code), `bfcl`, or "
        "`simulated` (default: the recipe's `synth.backend`, else each plan's own, which may only be bfcl).",
    ),
    restart: bool = typer.Option(
        False,
        "--restart",
        help="Throw away an unfinished journal of an earlier run (and a finished output) and start over; without "
        "it, a journal made with other settings, prompts, model or plans is refused.",
    ),
    shard: str | None = shard_option("plan"),
    executor: str | None = executor_option("dialogs are", "synth.executor"),
    address: str | None = address_option(),
    workers: int | None = workers_option(),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Turn dialog plans into verified multi-turn function-calling dialogs (user, assistant and tool agents).

    Rerunning the same command after an interruption continues where it stopped.
    """
    from toolsynth.pipeline import synth_settings, synthesize
    from toolsynth.shard import parse_shard

    settings = synth_settings(None)
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        settings = synth_settings(load_recipe(recipe))
    updates: dict[str, Any] = {}
    if model:
        updates["model"] = model
    if concurrency:
        updates["concurrency"] = concurrency
    if no_cache:
        updates["cache"] = False
    from toolsynth.executors.config import executor_config

    synth = settings.synth.model_copy(update={"backend": backend}) if backend else settings.synth
    synth = synth.model_copy(update={"executor": executor_config(synth.executor, executor, address, workers)})
    settings = replace(settings, llm=settings.llm.model_copy(update=updates), synth=synth)
    result = synthesize(
        plans, output, settings, limit=limit, shard=parse_shard(shard), restart=restart, recipe_path=recipe
    )
    print_synthesized(result, as_json=as_json)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def print_synthesized(result: Any, *, as_json: bool = False) -> None:
    """synthesize's summary: the error gate's line if it failed, then one JSON document or a few lines on stderr."""
    from toolsynth.llm.accounting import format_summary

    if result.error_gate:
        stderr.print(f"error: {result.error_gate}")
    if as_json:
        emit_json(result.to_json())
    else:
        counts, rate = result.counts, result.acceptance_rate
        stderr.print(
            f"synthesize: {counts['accepted']} accepted, {counts['rejected']} rejected"
            + (f" ({rate:.0%} accepted)" if rate is not None else "")
            + (f", {result.resumed} resumed from an earlier run" if result.resumed else "")
            + f" → {result.output}"
        )
        for layer, share in counts["check_pass_rate"].items():
            if share is not None:
                c = counts["checks"][layer]
                stderr.print(f"  {layer:<10} {share:6.1%} of checked turns passed ({c['failed']} failed)")
        if counts.get("model_unavailable"):
            stderr.print(
                f"  {counts['model_unavailable']} dialog(s) stopped on a model call that failed after every "
                "retry: not judged, kept in the errors file; rerun to make them"
            )
        if counts.get("judge_errors"):
            stderr.print(
                f"  judge gave no verdict on {counts['judge_errors']} checked turn(s): each failed as judge_error"
            )
        stderr.print(f"  {format_summary(result.usage)}")
