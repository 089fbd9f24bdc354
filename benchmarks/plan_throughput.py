"""sample-plans without a model: MAGNET paths per second on one core (target: >= 2,000/s, so planning is never the
bottleneck of a run).

Graph: `--graph DIR` (a build-graph output), else the BFCL multi-turn catalog (162 tools, real func docs from
../shared/catalogs) with edges from exact field-name matches, as the plans tests build it. `--copies K` repeats that
catalog K times (renamed tools, edges within each copy) to show that the cost per plan does not grow with the
catalog.

Stages, each timed over the same N plans in one process (single thread, CPU time):
  walks      coverage-aware weighted walks only
  +ops       walks + FSP + node operations (insert, merge, category operation)
  plans      full plan records: + argument values (BFCL backend state), offered lists, intents, stable id
  +json      plans + the JSONL line the artifact writer emits (schema tag + orjson)

Run: python benchmarks/plan_throughput.py [-n 10000] [--seed 0] [--graph DIR] [--copies K]
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "plans"))

from toolsynth.artifacts import dumps, stamp  # noqa: E402
from toolsynth.graph.store import Edge, ToolGraph, load_graph  # noqa: E402
from toolsynth.integrations.bfcl.states import bfcl_initial_configs  # noqa: E402
from toolsynth.plans.config import PlansConfig  # noqa: E402
from toolsynth.plans.magnet import magnet_skeleton  # noqa: E402
from toolsynth.plans.sample import PlanSampler  # noqa: E402
from toolsynth.plans.slots import plan_seed  # noqa: E402

TARGET = 2000.0


def default_graph(copies: int) -> ToolGraph:
    from plan_graphs import bfcl_tools, lexical_graph

    base = lexical_graph(bfcl_tools())
    if copies <= 1:
        return base
    tools, edges = {}, []
    for k in range(copies):
        rename = {n: f"{n}_c{k}" for n in base.tools}
        for n, t in base.tools.items():
            tools[rename[n]] = t.model_copy(update={"name": rename[n]})
        for e in base.edges:
            edges.append(
                Edge(rename[e.source], rename[e.target], e.kind, e.score, e.weight, e.directed, e.reason)
            )
    return ToolGraph(tools=tools, edges=edges)


def timed(label: str, n: int, fn) -> float:
    t0 = time.process_time()
    fn()
    dt = time.process_time() - t0
    rate = n / dt if dt > 0 else float("inf")
    print(f"  {label:<8} {rate:>9,.0f} plans/s   {1e6 * dt / n:>7.1f} µs/plan   ({dt:.2f} s CPU)")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--graph", type=Path, default=None)
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument(
        "--no-dry-run", action="store_true", help="plans.dry_run: false (no real backend run while planning)"
    )
    args = ap.parse_args()

    graph = load_graph(args.graph) if args.graph else default_graph(args.copies)
    kinds: dict[str, int] = {}
    for e in graph.edges:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"python {platform.python_version()} on {platform.machine()}, one thread")
    print(
        f"graph: {len(graph.tools)} tools, {len(graph.edges)} edges {kinds}; {args.n:,} MAGNET plans, seed {args.seed}"
    )
    bfcl_initial_configs()  # the BFCL states are parsed once per process; keep that out of the per-plan figure

    cfg = PlansConfig(n=args.n, dry_run=not args.no_dry_run)
    n = args.n

    def walks() -> None:
        s = PlanSampler(graph, cfg, strategy="magnet", seed=args.seed)
        for i in range(n):
            rng = random.Random(plan_seed(args.seed, i))
            s.coverage.record(s._walk(rng).tools)

    def ops() -> None:
        s = PlanSampler(graph, cfg, strategy="magnet", seed=args.seed)
        for i in range(n):
            rng = random.Random(plan_seed(args.seed, i))
            walk = s._walk(rng)
            magnet_skeleton(
                walk,
                s.index,
                s.categories[i],
                rng,
                cfg,
                want_insert=s.want_insert[i],
                want_merge=s.want_merge[i],
            )
            s.coverage.record(walk.tools)

    state: dict[str, object] = {}

    def plans() -> None:
        s = PlanSampler(graph, cfg, strategy="magnet", seed=args.seed)
        state["out"] = [o for o in s.magnet_plans()]
        state["sampler"] = s

    def plans_json() -> None:
        s = PlanSampler(graph, cfg, strategy="magnet", seed=args.seed)
        size = 0
        for o in s.magnet_plans():
            size += len(dumps(stamp(o.record or o.reject or {}, "plan")))
        state["bytes"] = size

    rates = {
        "walks": timed("walks", n, walks),
        "+ops": timed("+ops", n, ops),
        "plans": timed("plans", n, plans),
        "+json": timed("+json", n, plans_json),
    }
    out = state["out"]
    rejects = sum(1 for o in out if o.record is None)  # type: ignore[attr-defined]
    s = state["sampler"]
    print(
        f"  {n - rejects:,} plans, {rejects} rejects; coverage {s.coverage.coverage():.1%}, "  # type: ignore[attr-defined]
        f"gini {s.coverage.gini():.3f}; {int(state['bytes']) / n / 1024:.1f} KiB per JSONL line"  # type: ignore[attr-defined]
    )
    verdict = "meets" if rates["+json"] >= TARGET else "MISSES"
    print(
        f"full path (+json): {rates['+json']:,.0f} plans/s = {rates['+json'] / TARGET:.2f}x the {TARGET:,.0f}/s target ({verdict})"
    )


if __name__ == "__main__":
    main()
