"""A run of `sample-plans`: N plans from one graph and one seed, spread over the catalog, with the category mix set.

Everything random is drawn from per-plan seeds (`plan_seed(seed, i)`) in plan order, and the walks (which share
the coverage state) are drawn in plan order before any model is asked, so the output does not depend on how
concurrent model calls finish: same graph + seed + cached answers → the same bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from toolsynth.graph.store import ToolGraph
from toolsynth.plans.config import CATEGORIES, PlansConfig
from toolsynth.plans.magnet import Built, apply_category, magnet_skeleton
from toolsynth.plans.record import Plan
from toolsynth.plans.skeleton import Assembler, Skeleton
from toolsynth.plans.toolflow import plan_messages, plan_schema, skeleton_from_answer
from toolsynth.plans.values import BfclState, ValueMaker, bfcl_class, sample_bfcl_config
from toolsynth.plans.walk import CoverageSampler, Walk, WalkIndex

Strategy = Literal["toolflow", "magnet"]


def plan_seed(seed: int, index: int) -> int:
    """Per-plan seed: a plan's randomness does not shift when another plan draws more or fewer numbers."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{index}".encode()).digest()[:4], "big")


def assign_categories(n: int, targets: dict[str, float], seed: int) -> list[str]:
    """Exactly `round(n × target)` plans per category (largest remainder), in a seeded random order."""
    exact = {c: n * targets.get(c, 0.0) for c in CATEGORIES}
    counts = {c: int(v) for c, v in exact.items()}
    by_remainder = sorted(CATEGORIES, key=lambda c: (-(exact[c] - counts[c]), CATEGORIES.index(c)))
    for c in by_remainder[: n - sum(counts.values())]:
        counts[c] += 1
    out = [c for c in CATEGORIES for _ in range(counts[c])]
    random.Random(plan_seed(seed, -1)).shuffle(out)
    return out


def assign_flags(n: int, rate: float, seed: int, salt: int) -> list[bool]:
    """Exactly `round(n × rate)` plans get the wish, in a seeded random order (per-plan coin flips would leave the
    share a few points off the target on a thousand plans)."""
    k = min(n, int(n * rate + 0.5))
    out = [True] * k + [False] * (n - k)
    random.Random(plan_seed(seed, salt)).shuffle(out)
    return out


@dataclass
class Outcome:
    """One plan slot of a run: a plan record, or a reject record with its reason."""

    index: int
    record: dict[str, Any] | None = None
    reject: dict[str, Any] | None = None
    _plan: Plan | None = None

    @property
    def plan(self) -> Plan | None:
        """The record as a validated `Plan` (built on first use: a run itself only needs the record)."""
        if self._plan is None and self.record is not None:
            self._plan = Plan.from_record(self.record)
        return self._plan


@dataclass
class ToolflowJob:
    index: int
    seed: int
    category: str
    rng: random.Random
    walk: Walk
    backend: dict[str, Any] | None
    bfcl: BfclState | None
    messages: list[dict[str, str]]
    schema: dict[str, Any]


@dataclass
class PlanSampler:
    graph: ToolGraph
    config: PlansConfig
    strategy: Strategy
    seed: int
    n: int = 0
    index: WalkIndex = field(init=False)
    coverage: CoverageSampler = field(init=False)
    assembler: Assembler = field(init=False)
    categories: list[str] = field(init=False)
    value_sources: dict[str, int] = field(default_factory=lambda: {"backend": 0, "schema": 0, "llm": 0})
    walk_stats: dict[str, int] = field(
        default_factory=lambda: {"walks": 0, "restarts": 0, "jumps": 0, "short": 0}
    )

    def __post_init__(self) -> None:
        self.n = self.n or self.config.n
        self.index = WalkIndex(self.graph, self.config.walk)
        self.coverage = CoverageSampler(self.index)
        self.assembler = Assembler(self.index, self.config.offer_scope)
        self.categories = assign_categories(self.n, self.config.targets(self.strategy), self.seed)
        self.want_insert = assign_flags(self.n, self.config.magnet.insert_rate, self.seed, -2)
        self.want_merge = assign_flags(self.n, self.config.magnet.merge_rate, self.seed, -3)
        floor = self.config.dependency_min_score
        # Where a nested call can start: tools fed by a return→param edge strong enough to count.
        self.insert_pool = [
            n for n in self.index.names if any(e.score >= floor for e in self.index.producers[n])
        ]

    # ---- shared pieces -----------------------------------------------------------------------------------------

    def _walk(self, rng: random.Random, pool: list[str] | None = None) -> Walk:
        lo, hi = self.config.subset_size
        best: Walk | None = None
        ws = self.walk_stats
        for _ in range(self.config.max_attempts):
            start = self.coverage.pick_start(rng, pool) if pool else None
            walk = self.coverage.walk(rng.randint(lo, hi), rng, start=start)
            ws["walks"] += 1
            ws["restarts"] += walk.restarts
            ws["jumps"] += walk.jumps
            if len(walk.hops) >= lo:
                return walk
            ws["short"] += 1
            if best is None or len(walk.hops) > len(best.hops):
                best = walk
        assert best is not None
        return best

    def backend_for(
        self, tools: list[str], category: str, rng: random.Random
    ) -> tuple[dict[str, Any] | None, BfclState | None]:
        """BFCL classes + initial state when every needed tool is a BFCL multi-turn function (offered look-alikes
        from those classes run too; others are simulated by synthesize)."""
        graph_tools = self.graph.tools
        classes = [bfcl_class(graph_tools[t]) for t in tools]
        if not classes or any(c is None for c in classes):
            return None, None
        names = sorted({c for c in classes if c is not None})
        config = sample_bfcl_config(names, rng)
        backend: dict[str, Any] = {"kind": "bfcl", "classes": names, "initial_config": config}
        if category == "long_context":
            backend["long_context"] = True
        return backend, BfclState(config)

    def _backend_tools(self, skel: Skeleton) -> list[str]:
        offered = self.assembler.offered_base(skel)
        needed = set(skel.called()) | set(skel.tools)
        # Look-alike tools from other BFCL classes join the backend so a wrong call still executes (as BFCL does).
        return [t for t in offered if t in needed or bfcl_class(self.graph.tools[t]) is not None]

    def _reject(
        self, i: int, seed: int, category: str, tools: list[str], reason: str, **extra: Any
    ) -> Outcome:
        rec = {
            "index": i,
            "seed": seed,
            "strategy": self.strategy,
            "category": category,
            "tools": tools,
            "reason": reason,
            **extra,
        }
        return Outcome(i, reject=rec)

    def _finish(
        self, i: int, seed: int, category: str, skel: Skeleton, rng: random.Random, bfcl_state: Any = None
    ) -> Outcome:
        if bfcl_state is None:
            backend, state = self.backend_for(self._backend_tools(skel), category, rng)
        else:
            backend, state = bfcl_state
        values = ValueMaker(rng, self.config.optional_arg_rate, state)
        record = self.assembler.assemble(
            skel, strategy=self.strategy, seed=seed, category=category, values=values, backend=backend
        )
        for k, v in values.sources.items():
            self.value_sources[k] += v
        return Outcome(i, record=record)

    # ---- MAGNET ------------------------------------------------------------------------------------------------

    def magnet_plan(self, i: int) -> Outcome:
        cfg = self.config
        seed = plan_seed(self.seed, i)
        rng = random.Random(seed)
        category = self.categories[i]
        want_insert = self.want_insert[i]
        want_merge = self.want_merge[i]
        best: Built | None = None
        last_walk: Walk | None = None
        for attempt in range(cfg.max_attempts):
            # A nested call needs a tool that some other tool's output feeds: after a first plain walk fails to
            # offer one, start the walk at such a tool.
            retry_insert = attempt > 0 and want_insert and (best is None or not best.inserted)
            walk = self._walk(rng, (self.insert_pool or None) if retry_insert else None)
            last_walk = walk
            if not walk.hops:
                break
            built = magnet_skeleton(
                walk, self.index, category, rng, cfg, want_insert=want_insert, want_merge=want_merge
            )
            if not built.category_ok:
                continue
            score = (built.inserted == want_insert) + (built.merged == want_merge)
            if best is None or score > (best.inserted == want_insert) + (best.merged == want_merge):
                best = built
            # The nested/parallel rates are wishes, tried on a few walks; the category is a must.
            if score == 2 or attempt >= 3:
                break
        if best is None:
            tools = last_walk.tools if last_walk else []
            return self._reject(
                i, seed, category, tools, f"no walk in {cfg.max_attempts} attempts allows a {category} plan"
            )
        out = self._finish(i, seed, category, best.skeleton, rng)
        assert out.record is not None
        self.coverage.record(out.record["tools"])
        return out

    def magnet_plans(self) -> Iterator[Outcome]:
        for i in range(self.n):
            yield self.magnet_plan(i)

    # ---- ToolFlow ----------------------------------------------------------------------------------------------

    def toolflow_job(self, i: int) -> ToolflowJob:
        cfg = self.config
        seed = plan_seed(self.seed, i)
        rng = random.Random(seed)
        category = self.categories[i]
        walk = self._walk(rng)
        self.coverage.record(walk.tools)
        tools = [self.graph.tools[t] for t in walk.tools]
        backend, state = self.backend_for(walk.tools, category, rng)
        messages = plan_messages(
            tools,
            category=category,
            turns=cfg.path_length,
            chat_turns=cfg.toolflow.chat_turns,
            state=backend["initial_config"] if backend else None,
        )
        return ToolflowJob(
            i, seed, category, rng, walk, backend, state, messages, plan_schema(tools, cfg.path_length)
        )

    def toolflow_finish(
        self, job: ToolflowJob, ok: bool, data: dict[str, Any] | None, error: str | None, raw: str | None
    ) -> Outcome:
        tools = job.walk.tools
        if not ok or data is None:
            return self._reject(
                job.index,
                job.seed,
                job.category,
                tools,
                f"planner answer failed its schema: {error}",
                raw=raw,
            )
        skel, reason, clarify = skeleton_from_answer(
            data, tools, self.index, self.config.dependency_min_score
        )
        if skel is None:
            return self._reject(job.index, job.seed, job.category, tools, reason, raw=raw)
        if not apply_category(skel, job.category, self.index, job.rng, self.config, prefer=clarify):
            return self._reject(
                job.index,
                job.seed,
                job.category,
                tools,
                f"the planned turns allow no {job.category} operation",
                raw=raw,
            )
        return self._finish(job.index, job.seed, job.category, skel, job.rng, (job.backend, job.bfcl))

    async def toolflow_plans(
        self,
        ask: Callable[[ToolflowJob], Awaitable[tuple[bool, dict[str, Any] | None, str | None, str | None]]],
        concurrency: int = 8,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """All plans, in plan order. `ask(job)` returns the planner's structured answer (ok, data, error, raw)."""
        jobs = [self.toolflow_job(i) for i in range(self.n)]
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(job: ToolflowJob) -> Outcome:
            async with sem:
                ok, data, error, raw = await ask(job)
            out = self.toolflow_finish(job, ok, data, error, raw)
            if on_done is not None:
                on_done(out)
            return out

        return list(await asyncio.gather(*(one(j) for j in jobs)))
