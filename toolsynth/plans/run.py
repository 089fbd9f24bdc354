"""Run `sample-plans` end to end: sample, write `plans.jsonl` + `plans.rejects.jsonl` + the manifest, summarise."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from toolsynth.artifacts import ArtifactWriter, write_manifest
from toolsynth.console import log, progress
from toolsynth.graph.store import ToolGraph
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.protocol import ModelClient, ModelGateway
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.sample import Outcome, PlanSampler, ToolflowJob
from toolsynth.plans.stats import PlanStats
from toolsynth.prompts.registry import stage_prompts
from toolsynth.shard import Shard


def rejects_path(output: Path) -> Path:
    """`plans.jsonl` → `plans.rejects.jsonl`."""
    return output.with_name(f"{output.stem}.rejects{output.suffix or '.jsonl'}")


def make_stats(sampler: PlanSampler) -> PlanStats:
    cfg = sampler.config
    rates = (
        {"parallel": cfg.magnet.merge_rate, "nested": cfg.magnet.insert_rate}
        if sampler.strategy == "magnet"
        else {}
    )
    return PlanStats(
        catalog=sorted(sampler.graph.tools), targets=cfg.targets(sampler.strategy), rate_targets=rates
    )


def make_gateway(llm: LLMConfig, cache_base: Path) -> ModelGateway:
    from toolsynth.llm.factory import make_gateway as build

    return build(llm, stage="plans", base_dir=cache_base)


def toolflow_outcomes(
    sampler: PlanSampler, gateway: ModelClient, concurrency: int, on_done: Any = None, mine: Any = None
) -> list[Outcome]:
    cfg = sampler.config
    overrides: dict[str, Any] = {}
    if cfg.toolflow.temperature is not None:
        overrides["temperature"] = cfg.toolflow.temperature

    async def ask(job: ToolflowJob) -> tuple[bool, dict[str, Any] | None, str | None, str | None]:
        if mine is not None and not mine(job.index):
            return False, None, "another shard's slot", None  # walked (coverage), never asked, not written
        res = await gateway.structured(
            cfg.planner_role, job.messages, job.schema, name="dialog_plan", **overrides
        )
        return bool(res.ok), res.data, res.error, res.raw

    if hasattr(gateway, "run"):
        # The gateway's own runner closes its connections inside the loop that opened them.
        return gateway.run(sampler.toolflow_plans(ask, concurrency, on_done))
    return asyncio.run(sampler.toolflow_plans(ask, concurrency, on_done))


def write_outcomes(outcomes: Iterable[Outcome], output: Path, stats: PlanStats, on_write: Any = None) -> None:
    with (
        ArtifactWriter(output, "plan") as plans,
        ArtifactWriter(rejects_path(output), "plan_reject") as rejects,
    ):
        for out in outcomes:
            if out.record is not None:
                plans.write(out.record)
                stats.add(out.record)
            elif out.rejected is not None:
                rejects.write(out.rejected.to_record())
                stats.add_reject(out.rejected.reason)
            if on_write is not None:
                on_write(out)


def run_sample_plans(
    graph: ToolGraph,
    cfg: PlansConfig,
    *,
    strategy: Literal["toolflow", "magnet"],
    seed: int,
    output: Path,
    llm: LLMConfig | None = None,
    cache_base: Path | None = None,
    gateway: ModelGateway | None = None,
    inputs: list[Path] | None = None,
    options: dict[str, Any] | None = None,
    shard: Shard | None = None,
) -> dict[str, Any]:
    """Sample `cfg.n` plans and write them; returns the summary (also stored in the manifest).

    With `shard`, every walk is still drawn in slot order (a slot's walk depends on the coverage of all the slots
    before it) but only the shard's contiguous slot range is built, asked for and written, so the shards' files
    concatenated in shard order are the unsharded file."""
    sampler = PlanSampler(graph, cfg, strategy=strategy, seed=seed)
    stats = make_stats(sampler)
    llm = llm or LLMConfig()
    usage: dict[str, Any] = {}
    slots = shard.slots(sampler.n) if shard is not None else range(sampler.n)

    def mine(index: int) -> bool:
        return index in slots

    with progress(f"sample-plans ({strategy})", total=len(slots)) as bar:
        if strategy == "magnet":
            outcomes = (o for o in sampler.magnet_plans() if mine(o.index))
            write_outcomes(outcomes, output, stats, on_write=lambda _o: bar.advance(1))
        else:
            gw = gateway if gateway is not None else make_gateway(llm, cache_base or Path.cwd())
            done = [
                o
                for o in toolflow_outcomes(
                    sampler, gw, llm.concurrency, on_done=lambda o: bar.advance(int(mine(o.index))), mine=mine
                )
                if mine(o.index)
            ]
            write_outcomes(done, output, stats)
            usage = gw.usage_summary()
    summary = stats.summary()
    summary["value_sources"] = dict(sampler.value_sources)
    summary["walks"] = dict(sampler.walk_stats)
    summary["dry_run"] = dict(sampler.dry_stats)
    if summary["rejects"]:
        log.warning("%d of %d plans rejected (see %s)", summary["rejects"], len(slots), rejects_path(output))
    write_manifest(
        output,
        kind="plan",
        counts={"plans": summary["plans"], "rejects": summary["rejects"]},
        options=options
        or {
            "strategy": strategy,
            "seed": seed,
            "n": sampler.n,
            "shard": shard.to_record() if shard else None,
        },
        inputs=inputs or [],
        extra={
            "config": cfg.model_dump(mode="json"),
            "usage": usage,
            "stats": summary,
            # MAGNET plans come from the graph by rule: only ToolFlow's planner sends a prompt.
            **({"prompts": stage_prompts("sample-plans")} if strategy == "toolflow" else {}),
        },
    )
    return {
        "output": str(output),
        "rejects_file": str(rejects_path(output)),
        "strategy": strategy,
        "seed": seed,
        "usage": usage,
        "stats": summary,
    }
