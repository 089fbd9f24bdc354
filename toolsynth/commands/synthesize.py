"""`toolsynth synthesize`: plans.jsonl → dialogs.jsonl (+ dialogs.rejects.jsonl), resumable."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import log, stderr


def settings_fingerprint(llm: Any, synth: Any) -> str:
    """What the content of a dialog depends on (not concurrency, cache or transport)."""
    import hashlib

    import orjson

    body = {
        "llm": llm.model_dump(
            mode="json",
            include={"model", "temperature", "max_tokens", "seed", "api_base", "structured_retries", "roles"},
        ),
        "synth": synth.model_dump(mode="json", exclude={"concurrency"}),
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


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
    shard: str | None = typer.Option(
        None,
        "--shard",
        help="I/N: only the plans of shard I of N (0-based, by plan id); `toolsynth merge` joins the outputs.",
    ),
    executor: str | None = typer.Option(
        None,
        "--executor",
        help="Where dialogs are made: local (this process, the default) or ray (default: the recipe's "
        "`synth.executor`).",
    ),
    address: str | None = typer.Option(
        None, "--address", help="ray: host:port of a running Ray cluster's head (default: start a local one)."
    ),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=1,
        max=256,
        help="ray: worker actors, each with its own model client and --concurrency (default 2).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Turn dialog plans into verified multi-turn function-calling dialogs (user, assistant and tool agents).

    Rerunning the same command after an interruption continues where it stopped.
    """
    from toolsynth.artifacts import read_manifest, write_manifest
    from toolsynth.console import progress
    from toolsynth.llm.config import LLMConfig
    from toolsynth.recipe import load_recipe
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.fingerprint import synth_fingerprint
    from toolsynth.synth.runner import (
        SynthContext,
        dialogs_in_flight,
        rejects_path,
        role_models,
        run_plans,
    )

    llm = LLMConfig()
    synth = SynthConfig()
    cache_base = Path.cwd()
    if recipe is not None:
        r = load_recipe(recipe)
        llm, synth, cache_base = r.llm, r.synth, r.base_dir
    updates: dict[str, Any] = {}
    if model:
        updates["model"] = model
    if concurrency:
        updates["concurrency"] = concurrency
    if no_cache:
        updates["cache"] = False
    llm = llm.model_copy(update=updates)
    if backend:
        synth = synth.model_copy(update={"backend": backend})
    from toolsynth.executors.config import executor_config

    synth = synth.model_copy(update={"executor": executor_config(synth.executor, executor, address, workers)})

    from toolsynth.shard import parse_shard
    from toolsynth.synth.plan_source import PlanSource

    part = parse_shard(shard)
    loaded = PlanSource(plans, limit=limit, shard=part, backend=synth.backend)
    if not loaded.scan():
        log.warning("no plans in %s%s", plans, f" for shard {part}" if part else "")

    from toolsynth.llm.factory import make_gateway
    from toolsynth.prompts.registry import stage_prompts

    cache_dir = None
    if llm.cache:
        cd = Path(llm.cache_dir)
        cache_dir = cd if cd.is_absolute() else cache_base / cd
    gateway = make_gateway(llm, stage="synthesize", cache_dir=cache_dir)
    models = role_models(llm, synth)
    n_dialogs = dialogs_in_flight(llm, synth)
    ctx = SynthContext(gateway=gateway, config=synth, models=models)

    # A finished output made with the same settings is reused (a rerun or a grown plans file only makes what is
    # missing); made with other settings, every dialog is made again.
    fingerprint = settings_fingerprint(llm, synth)
    previous = read_manifest(output) if output.exists() else None
    reuse = (
        not restart and bool(previous) and (previous.get("options") or {}).get("fingerprint") == fingerprint
    )
    journal_fingerprint = synth_fingerprint(llm, synth, {"plans": plans})
    if output.exists() and not reuse:
        log.info("%s was made with other settings: making every dialog again", output)

    async def _go() -> Any:
        try:
            with progress("synthesize", total=len(loaded)) as bar:
                return await run_plans(
                    loaded,
                    output,
                    ctx,
                    concurrency=n_dialogs,
                    progress=bar,
                    reuse_finished=reuse,
                    fingerprint=journal_fingerprint,
                    restart=restart,
                )
        finally:
            await gateway.aclose()

    try:
        summary = asyncio.run(_go())
    finally:
        gateway.close()
    usage = gateway.usage_summary()
    counts = summary.to_record()
    options = {
        "fingerprint": fingerprint,
        "model": llm.model,
        "models": models,
        "concurrency": llm.concurrency,
        "dialogs_in_flight": n_dialogs,
        "cache": llm.cache,
        "limit": limit,
        "shard": part.to_record() if part else None,
        "recipe": str(recipe) if recipe else None,
        "synth": synth.model_dump(mode="json"),
    }
    inputs: list[Path] = [plans] + ([recipe] if recipe else [])
    write_manifest(
        output,
        kind="dialog",
        counts=counts,
        options=options,
        inputs=inputs,
        extra={"usage": usage, "prompts": stage_prompts("synthesize")},
    )
    result = {
        "output": str(output),
        "rejects": str(rejects_path(output)),
        **counts,
        "usage": usage,
    }
    too_many_errors = _error_gate(summary, synth.max_error_rate, output)
    if as_json:
        emit_json(result)
        if too_many_errors:
            raise typer.Exit(1)
        return
    rate = counts["acceptance_rate"]
    stderr.print(
        f"synthesize: {counts['accepted']} accepted, {counts['rejected']} rejected"
        + (f" ({rate:.0%} accepted)" if rate is not None else "")
        + (f", {summary.skipped} resumed from an earlier run" if summary.skipped else "")
        + f" → {output}"
    )
    for layer, share in counts["check_pass_rate"].items():
        if share is not None:
            c = counts["checks"][layer]
            stderr.print(f"  {layer:<10} {share:6.1%} of checked turns passed ({c['failed']} failed)")
    if counts.get("model_unavailable"):
        stderr.print(
            f"  {counts['model_unavailable']} dialog(s) stopped on a model call that failed after every retry: "
            "not judged, kept in the errors file; rerun to make them"
        )
    if counts.get("judge_errors"):
        stderr.print(
            f"  judge gave no verdict on {counts['judge_errors']} checked turn(s): each failed as judge_error"
        )
    stderr.print(f"  {gateway.summary_line()}")
    if too_many_errors:
        raise typer.Exit(1)


def _error_gate(summary: Any, max_rate: float, output: Path) -> bool:
    """True (and a one-line error on stderr) when more of this run's dialogs ended in an exception than allowed."""
    from toolsynth.synth.runner import errors_path

    tried = summary.plans - summary.skipped
    if not summary.errors or summary.errors <= max_rate * tried:
        return False
    stderr.print(
        f"error: {summary.errors} of {tried} dialogs ended in an unexpected error (a bug, not a reject; "
        f"synth.max_error_rate {max_rate:g}): kept in {errors_path(output)}, not journaled; rerun to retry them"
    )
    return True
