"""Synthesize stage: plans.jsonl → dialogs.jsonl (+ dialogs.rejects.jsonl), resumable, with its reuse policy.

The protection lives here, not in the command, so a notebook gets it too: a finished output made with the same
settings is reused (a rerun or a grown plans file only makes what is missing), one made with other settings is made
again, and an unfinished journal made with other settings, prompts, model or plans is refused unless `restart`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsynth.console import log

if TYPE_CHECKING:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.recipe import Recipe
    from toolsynth.shard import Shard
    from toolsynth.synth.config import SynthConfig


@dataclass(frozen=True)
class SynthSettings:
    llm: LLMConfig
    synth: SynthConfig
    base_dir: Path  # relative cache paths start here


def synth_settings(recipe: Recipe | None) -> SynthSettings:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.synth.config import SynthConfig

    if recipe is None:
        return SynthSettings(LLMConfig(), SynthConfig(), Path.cwd())
    return SynthSettings(recipe.llm, recipe.synth, recipe.base_dir)


def settings_fingerprint(llm: LLMConfig, synth: SynthConfig) -> str:
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


@dataclass(frozen=True)
class SynthesizeResult:
    output: Path
    rejects: Path
    counts: dict[str, Any]  # RunSummary.to_record(): accepted, rejected, acceptance_rate, checks, ...
    usage: dict[str, Any]  # model calls, cache hits, tokens, cost (also in the manifest)
    resumed: int  # dialogs already in the journal of an earlier run
    error_gate: str | None = None  # why too many dialogs ended in an unexpected error (exit 1), else None

    @property
    def accepted(self) -> int:
        return int(self.counts["accepted"])

    @property
    def rejected(self) -> int:
        return int(self.counts["rejected"])

    @property
    def acceptance_rate(self) -> float | None:
        return self.counts["acceptance_rate"]

    @property
    def exit_code(self) -> int:
        return 1 if self.error_gate else 0

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output), "rejects": str(self.rejects), **self.counts, "usage": self.usage}


def synthesize(
    plans: Path,
    output: Path,
    settings: SynthSettings | None = None,
    *,
    limit: int | None = None,
    shard: Shard | None = None,
    restart: bool = False,
    recipe_path: Path | None = None,
) -> SynthesizeResult:
    """Turn dialog plans into verified multi-turn dialogs (user, assistant and tool agents), resumably: calling it
    again after an interruption continues where it stopped. `shard` makes only that shard's plans (by id);
    `restart` throws away an earlier run's journal and finished output; `recipe_path` is recorded in the manifest.

    Each plan's calls run on `settings.synth.backend` when set, else on the plan's own backend, which data may only
    name from the allow-list (bfcl, simulated): a `python:` module named in a plans file is never imported."""
    from toolsynth.artifacts import read_manifest, write_manifest
    from toolsynth.console import progress
    from toolsynth.pipeline.gateway import open_gateway
    from toolsynth.prompts.registry import stage_prompts
    from toolsynth.synth.fingerprint import synth_fingerprint
    from toolsynth.synth.plan_source import PlanSource
    from toolsynth.synth.runner import SynthContext, dialogs_in_flight, rejects_path, role_models, run_plans

    s = settings or synth_settings(None)
    llm, synth = s.llm, s.synth
    loaded = PlanSource(plans, limit=limit, shard=shard, backend=synth.backend)
    if not loaded.scan():
        log.warning("no plans in %s%s", plans, f" for shard {shard}" if shard else "")

    gateway = open_gateway(llm, stage="synthesize", cache_base=s.base_dir)
    models = role_models(llm, synth)
    n_dialogs = dialogs_in_flight(llm, synth)
    ctx = SynthContext(gateway=gateway, config=synth, models=models)

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
        "shard": shard.to_record() if shard else None,
        "recipe": str(recipe_path) if recipe_path else None,
        "synth": synth.model_dump(mode="json"),
    }
    inputs: list[Path] = [plans] + ([recipe_path] if recipe_path else [])
    write_manifest(
        output,
        kind="dialog",
        counts=counts,
        options=options,
        inputs=inputs,
        extra={"usage": usage, "prompts": stage_prompts("synthesize")},
    )
    return SynthesizeResult(
        output=output,
        rejects=rejects_path(output),
        counts=counts,
        usage=usage,
        resumed=summary.skipped,
        error_gate=_error_gate(summary, synth.max_error_rate, output),
    )


def _error_gate(summary: Any, max_rate: float, output: Path) -> str | None:
    """Why this run fails (more of its dialogs ended in an exception than allowed), or None."""
    from toolsynth.synth.runner import errors_path

    tried = summary.plans - summary.skipped
    if not summary.errors or summary.errors <= max_rate * tried:
        return None
    return (
        f"{summary.errors} of {tried} dialogs ended in an unexpected error (a bug, not a reject; "
        f"synth.max_error_rate {max_rate:g}): kept in {errors_path(output)}, not journaled; rerun to retry them"
    )
