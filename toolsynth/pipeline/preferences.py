"""Preferences stage: accepted dialogs → multi-turn DPO pairs (MAGNET), resumable: a journal made with other
settings is started over (the policy lives in `toolsynth.prefs.run`, so every caller gets it)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.recipe import Recipe
    from toolsynth.shard import Shard
    from toolsynth.synth.config import SynthConfig


@dataclass(frozen=True)
class PrefsSettings:
    llm: LLMConfig
    synth: SynthConfig  # the backend and roles the dialogs were made with
    prefs: PrefsConfig
    base_dir: Path  # relative cache paths start here


def prefs_settings(recipe: Recipe | None) -> PrefsSettings:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.synth.config import SynthConfig

    if recipe is None:
        return PrefsSettings(LLMConfig(), SynthConfig(), PrefsConfig(), Path.cwd())
    return PrefsSettings(recipe.llm, recipe.synth, recipe.prefs, recipe.base_dir)


def negative_llm(llm: LLMConfig, synth: SynthConfig, prefs: PrefsConfig) -> LLMConfig:
    """The run's LLM settings with the hint-free assistant's role: its own `llm.roles` entry when the recipe has
    one, else the assistant's settings; `prefs.negative_model` replaces the model."""
    from toolsynth.llm.config import ModelSettings

    roles = dict(llm.roles)
    base = roles.get(prefs.role) or roles.get(synth.roles.get("assistant", "assistant")) or ModelSettings()
    if prefs.negative_model:
        base = base.model_copy(update={"model": prefs.negative_model})
    roles[prefs.role] = base
    return llm.model_copy(update={"roles": roles})


@dataclass(frozen=True)
class PrefsResult:
    output: Path
    counts: dict[str, Any]  # PrefsSummary.to_record(): pairs, dialogs, by_kind, by_error, skipped, ...
    usage: dict[str, Any]
    resumed: int  # dialogs whose pairs came from an earlier run's journal

    @property
    def pairs(self) -> int:
        return int(self.counts["pairs"])

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output), **self.counts, "usage": self.usage}


def make_preferences(
    dialogs: Path,
    output: Path,
    settings: PrefsSettings | None = None,
    *,
    concurrency: int = 8,
    shard: Shard | None = None,
    recipe_path: Path | None = None,
) -> PrefsResult:
    """Turn accepted dialogs into preference pairs whose rejected side fails a synthesis check; calling it again
    after an interruption continues where it stopped. `concurrency`: dialogs worked on at once; `shard` makes only that shard's pairs (by dialog
    id), for `toolsynth merge` to join."""
    from toolsynth.artifacts import write_manifest
    from toolsynth.console import progress
    from toolsynth.pipeline.gateway import open_gateway
    from toolsynth.prefs.run import PrefsContext
    from toolsynth.prefs.run import make_preferences as run_prefs
    from toolsynth.prompts.registry import stage_prompts

    s = settings or prefs_settings(None)
    prefs, synth = s.prefs, s.synth
    llm = negative_llm(s.llm, synth, prefs)
    gateway = open_gateway(llm, stage="make-preferences", cache_base=s.base_dir)
    neg_model = llm.roles[prefs.role].model or llm.model
    ctx = PrefsContext(config=prefs, synth=synth, gateway=gateway, negative_model=neg_model)

    async def _go() -> Any:
        try:
            with progress("make-preferences", total=None) as bar:
                pairs = 0

                def tick(result: Any) -> None:
                    nonlocal pairs
                    pairs += len(result.pairs) if result is not None else 0
                    bar.advance(1, status=f"{pairs} pairs")

                return await run_prefs(
                    dialogs, output, ctx, concurrency=concurrency, on_dialog=tick, shard=shard
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
        "kinds": prefs.kinds,
        "prefs": prefs.model_dump(mode="json"),
        "model": llm.model,
        "negative_model": neg_model if "model" in prefs.kinds else None,
        "recipe": str(recipe_path) if recipe_path else None,
        "shard": shard.to_record() if shard else None,
    }
    write_manifest(
        output,
        kind="preference",
        counts=counts,
        options=options,
        inputs=[dialogs] + ([recipe_path] if recipe_path else []),
        extra={"usage": usage, "prompts": stage_prompts("make-preferences")},
    )
    return PrefsResult(output=output, counts=counts, usage=usage, resumed=summary.resumed)
