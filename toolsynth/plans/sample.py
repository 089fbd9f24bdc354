"""A run of `sample-plans`: N plans from one graph and one seed, spread over the catalog, with the category mix set.

Everything random is drawn from per-plan seeds (`plan_seed(seed, i)`) in plan order, and the walks (which share
the coverage state) are drawn in plan order before any model is asked, so the output does not depend on how
concurrent model calls finish: same graph + seed + cached answers → the same bytes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from toolsynth.graph.store import ToolGraph
from toolsynth.integrations.bfcl.states import bfcl_class, sample_bfcl_config
from toolsynth.plans.assemble import Assembler
from toolsynth.plans.config import PlansConfig
from toolsynth.plans.dryrun import DryRun
from toolsynth.plans.grounding import PlanFailure
from toolsynth.plans.magnet import Built, apply_category, magnet_skeleton
from toolsynth.plans.pool import ValuePool
from toolsynth.plans.record import Plan, PlanReject
from toolsynth.plans.skeleton import Skeleton
from toolsynth.plans.slots import assign_categories, assign_flags, plan_seed
from toolsynth.plans.toolflow import plan_messages, plan_schema, skeleton_from_answer
from toolsynth.plans.values import ValueMaker
from toolsynth.plans.walk import CoverageSampler, Walk, WalkIndex

Strategy = Literal["toolflow", "magnet"]


def _reset(skel: Skeleton) -> None:
    """Forget a failed grounding's values so the skeleton can be grounded on another state."""
    for turn in skel.turns:
        for call in turn.calls:
            call.args, call.result, call.id, call.before = None, None, "", []
            if call.planned is not None:
                call.deps = list(call.planned)


@dataclass
class Outcome:
    """One plan slot of a run: a plan and its record, or a reject with its reason."""

    index: int
    plan: Plan | None = None
    record: dict[str, Any] | None = None  # `plan.to_record()`, made once with the plan's id
    rejected: PlanReject | None = None

    @property
    def reject(self) -> dict[str, Any] | None:
        """The reject's record (`plans.rejects.jsonl` line, schema tag aside)."""
        return self.rejected.to_record() if self.rejected is not None else None


@dataclass
class ToolflowJob:
    index: int
    seed: int
    category: str
    rng: random.Random
    walk: Walk
    backend: dict[str, Any] | None
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
    value_sources: dict[str, int] = field(
        default_factory=lambda: {"result": 0, "backend": 0, "schema": 0, "llm": 0}
    )
    dry_stats: dict[str, int] = field(
        default_factory=lambda: {"calls": 0, "failed_draws": 0, "failed_plans": 0}
    )
    worked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_class: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    failed_tools: dict[str, int] = field(default_factory=dict)  # tool → plans it made fail
    _total_uses: int = 0
    _shunned: set[str] = field(default_factory=set)
    _user_spec: dict[str, Any] | None = None
    _user_handles: set[str] = field(default_factory=set)
    _state_pools: dict[tuple[str, int], ValuePool] = field(default_factory=dict)
    walk_stats: dict[str, int] = field(
        default_factory=lambda: {
            "walks": 0,
            "restarts": 0,
            "jumps": 0,
            "short": 0,
            "unrunnable": 0,
            "hub_capped": 0,
        }
    )

    def __post_init__(self) -> None:
        self.n = self.n or self.config.n
        self.index = WalkIndex(self.graph, self.config.walk)
        self.coverage = CoverageSampler(self.index)
        self.assembler = Assembler(self.index, self.config.offer_scope, self.config.dry_run_attempts)
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
        self, tools: list[str], category: str, rng: random.Random, need: PlanFailure | None = None
    ) -> dict[str, Any] | None:
        """BFCL classes + initial state when every needed tool is a BFCL multi-turn function (offered look-alikes
        from those classes run too; others are simulated by synthesize). `need`: the failure of the last state
        tried; states holding a value for what it blamed (a booking, a card) are preferred."""
        graph_tools = self.graph.tools
        classes = [bfcl_class(graph_tools[t]) for t in tools]
        if not classes or any(c is None for c in classes):
            return self._user_backend(tools)
        names = sorted({c for c in classes if c is not None})
        accept = self._holds(need) if need is not None else None
        config = sample_bfcl_config(names, rng, accept)
        backend: dict[str, Any] = {"kind": "bfcl", "classes": names, "initial_config": config}
        if category == "long_context":
            backend["long_context"] = True
        return backend

    def _user_backend(self, tools: list[str]) -> dict[str, Any] | None:
        """The recipe's own backend (`plans.backend`) when it runs every tool of the plan."""
        if self.config.backend is None:
            return None
        if self._user_spec is None:
            from toolsynth.synth.backends.base import normalize_spec
            from toolsynth.synth.backends.registry import make_backend

            self._user_spec = normalize_spec(self.config.backend) or {}
            probe = (
                make_backend(self._user_spec, list(self.graph.tools.values()), trusted=True)
                if self._user_spec
                else None
            )
            self._user_handles = {n for n in self.graph.tools if probe is not None and probe.handles(n)}
        if not self._user_spec or not all(t in self._user_handles for t in tools):
            return None
        return dict(self._user_spec)

    def _holds(self, need: PlanFailure) -> Any:
        tool = self.graph.tools.get(need.tool)
        cls = bfcl_class(tool) if tool is not None else None
        if cls is None or not need.blamed:
            return None
        wants = [(p, str((tool.properties.get(p) or {}).get("description") or "")) for p in need.blamed]

        def accept(cfg: dict[str, Any]) -> bool:
            key = (cls, id(cfg))
            pool = self._state_pools.get(key)
            if pool is None:
                pool = self._state_pools[key] = ValuePool()
                pool.harvest(cfg.get(cls) or {})
            return all(any(s >= 2 for s, _ in pool.candidates(p, d)) for p, d in wants)

        return accept

    def over_cap(self, tool: str) -> bool:
        """The tool is in more plans than `hub_cap` × a fair share (the mean plans per tool) so far."""
        uses = self.coverage.uses
        total = self._total_uses
        fair = total / max(1, len(uses))
        return uses.get(tool, 0) >= self.config.hub_cap * fair + 2

    def unrunnable(self, tool: str) -> bool:
        """A tool the backend has refused in several plans and never run (BFCL's weather lookup always answers
        404): walks through it are not tried again."""
        return self.failed_tools.get(tool, 0) >= 6 and tool not in self.worked

    def _class_tools(self, backend: dict[str, Any]) -> list[str]:
        if backend.get("kind") != "bfcl":
            return sorted(self._user_handles)
        classes = backend.get("classes") or []
        key = tuple(classes)
        hit = self._by_class.get(key)
        if hit is None:
            hit = self._by_class[key] = [
                n for n in self.index.names if bfcl_class(self.graph.tools[n]) in set(classes)
            ]
        return hit

    def _backend_tools(self, skel: Skeleton) -> list[str]:
        offered = self.assembler.offered_base(skel)
        needed = set(skel.called()) | set(skel.tools)
        # Look-alike tools from other BFCL classes join the backend so a wrong call still executes (as BFCL does).
        return [t for t in offered if t in needed or bfcl_class(self.graph.tools[t]) is not None]

    def _reject(
        self, i: int, seed: int, category: str, tools: list[str], reason: str, **extra: Any
    ) -> Outcome:
        rejected = PlanReject(
            index=i, seed=seed, strategy=self.strategy, category=category, tools=tools, reason=reason, **extra
        )
        return Outcome(i, rejected=rejected)

    def _finish(
        self,
        i: int,
        seed: int,
        category: str,
        skel: Skeleton,
        rng: random.Random,
        backend: dict[str, Any] | None = None,
        *,
        have_backend: bool = False,
    ) -> Outcome:
        """The plan record, every call dry-run on the plan's backend; raises PlanFailure when a call cannot run."""
        backend_tools = self._backend_tools(skel)
        if not have_backend:
            backend = self.backend_for(backend_tools, category, rng)
        # BFCL ships many initial states per class: one where the plan cannot run (no booking to cancel) is
        # drawn again before the walk is given up. A state given with the plan (ToolFlow) is the plan's own.
        states = self.config.state_draws if backend is not None and not have_backend else 1
        for k in range(states):
            try:
                plan, record = self._assemble(skel, seed, category, rng, backend)
                return Outcome(i, plan=plan, record=record)
            except PlanFailure as exc:
                if k == states - 1:
                    raise
                _reset(skel)
                backend = self.backend_for(backend_tools, category, rng, need=exc)
        raise AssertionError("unreachable")

    def _assemble(
        self, skel: Skeleton, seed: int, category: str, rng: random.Random, backend: dict[str, Any] | None
    ) -> tuple[Plan, dict[str, Any]]:
        dry = None
        if backend is not None and self.config.dry_run:
            # Every tool of the backend's classes, not only the offered ones: a prerequisite the dry run finds
            # (log in first) joins the plan's tools.
            names = list(dict.fromkeys([*self.assembler.offered_base(skel), *self._class_tools(backend)]))
            dry = DryRun(backend, [self.graph.tools[t] for t in names])
        values = ValueMaker(rng, self.config.optional_arg_rate, dry, self.worked)
        values.crowded = self.over_cap
        try:
            return self.assembler.assemble(
                skel, strategy=self.strategy, seed=seed, category=category, values=values, backend=backend
            )
        finally:
            for k, v in values.sources.items():
                self.value_sources[k] = self.value_sources.get(k, 0) + v
            if dry is not None:
                self.dry_stats["calls"] += dry.calls
                self.dry_stats["failed_draws"] += dry.failures

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
        failure: PlanFailure | None = None
        for attempt in range(cfg.max_attempts):
            # A nested call needs a tool that some other tool's output feeds: after a first plain walk fails to
            # offer one, start the walk at such a tool.
            retry_insert = attempt > 0 and want_insert and (best is None or not best.inserted)
            walk = self._walk(rng, (self.insert_pool or None) if retry_insert else None)
            last_walk = walk
            if not walk.hops:
                break
            if attempt < cfg.max_attempts // 2 and any(self.unrunnable(t) for t in walk.tools):
                self.walk_stats["unrunnable"] += 1
                continue
            if attempt < cfg.max_attempts // 2 and any(self.over_cap(t) for t in walk.tools):
                self.walk_stats["hub_capped"] += 1
                continue  # a hub: its share of plans is at the cap already (later attempts take what runs)
            built = magnet_skeleton(
                walk, self.index, category, rng, cfg, want_insert=want_insert, want_merge=want_merge
            )
            if built.category_ok:
                score = (built.inserted == want_insert) + (built.merged == want_merge)
                if best is None or score > (best.inserted == want_insert) + (best.merged == want_merge):
                    best = built
            # The nested/parallel rates are wishes, tried on a few walks; the category is a must.
            if best is None or not (
                (best.inserted == want_insert and best.merged == want_merge)
                or attempt >= 3
                or attempt == cfg.max_attempts - 1
            ):
                continue
            try:
                out = self._finish(i, seed, category, best.skeleton, rng)
            except PlanFailure as exc:
                # The real backend refused a call on every draw: another walk, other tools.
                failure, best = exc, None
                self.dry_stats["failed_plans"] += 1
                self.failed_tools[exc.tool] = self.failed_tools.get(exc.tool, 0) + 1
                if self.unrunnable(exc.tool) and exc.tool not in self._shunned:
                    # Walks steer clear of it from now on: it counts as used in hundreds of plans.
                    self._shunned.add(exc.tool)
                    self.coverage.record([exc.tool] * 500)
                continue
            assert out.record is not None
            self.coverage.record(out.record["tools"])
            self._total_uses += len(out.record["tools"])
            return out
        tools = last_walk.tools if last_walk else []
        if failure is not None:
            return self._reject(
                i,
                seed,
                category,
                tools,
                f"no plan in {cfg.max_attempts} attempts runs: {failure}",
                failed_call=failure.to_record(),
            )
        return self._reject(
            i, seed, category, tools, f"no walk in {cfg.max_attempts} attempts allows a {category} plan"
        )

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
        backend = self.backend_for(walk.tools, category, rng)
        messages = plan_messages(
            tools,
            category=category,
            turns=cfg.path_length,
            chat_turns=cfg.toolflow.chat_turns,
            state=backend["initial_config"] if backend else None,
        )
        return ToolflowJob(
            i, seed, category, rng, walk, backend, messages, plan_schema(tools, cfg.path_length)
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
        try:
            return self._finish(
                job.index, job.seed, job.category, skel, job.rng, job.backend, have_backend=True
            )
        except PlanFailure as exc:
            self.dry_stats["failed_plans"] += 1
            return self._reject(
                job.index,
                job.seed,
                job.category,
                tools,
                f"the plan does not run: {exc}",
                raw=raw,
                failed_call=exc.to_record(),
            )

    async def toolflow_plans(
        self,
        ask: Callable[[ToolflowJob], Awaitable[tuple[bool, dict[str, Any] | None, str | None, str | None]]],
        concurrency: int = 8,
        on_done: Callable[[Outcome], None] | None = None,
    ) -> list[Outcome]:
        """All plans, in plan order. `ask(job)` returns the planner's structured answer (ok, data, error, raw)."""
        jobs = [self.toolflow_job(i) for i in range(self.n)]
        sem = asyncio.Semaphore(max(1, concurrency))

        async def one(job: ToolflowJob) -> tuple[bool, dict[str, Any] | None, str | None, str | None]:
            async with sem:
                return await ask(job)

        answers = await asyncio.gather(*(one(j) for j in jobs))
        # Plans are finished in plan order, whatever order the answers came in: the dry run learns across plans
        # (argument sets that ran, hubs), so the order must not depend on the model's latency.
        out = []
        for job, (ok, data, error, raw) in zip(jobs, answers, strict=True):
            outcome = self.toolflow_finish(job, ok, data, error, raw)
            if on_done is not None:
                on_done(outcome)
            out.append(outcome)
        return out
