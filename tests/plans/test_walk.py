"""Walks over the tool graph: connected, weighted by edge kind, coverage-aware, restarting at dead ends."""

from __future__ import annotations

import random
from collections import Counter

from toolsynth.catalog.model import Provenance, Tool
from toolsynth.graph.store import Edge, ToolGraph
from toolsynth.plans.config import WalkConfig
from toolsynth.plans.walk import CoverageSampler, WalkIndex, _Fenwick, gini


def _tool(name: str, category: str = "c") -> Tool:
    return Tool(
        name=name,
        original_name=name,
        provenance=Provenance(catalog="t", source_file="t.json", format="openai", category=category),
    )


def test_walks_are_connected_distinct_and_sized(bfcl_graph: ToolGraph) -> None:
    sampler = CoverageSampler(WalkIndex(bfcl_graph, WalkConfig()))
    rng = random.Random(0)
    edges = {(e.source, e.target) for e in bfcl_graph.edges} | {
        (e.target, e.source) for e in bfcl_graph.edges if not e.directed
    }
    for _ in range(300):
        size = rng.randint(2, 5)
        walk = sampler.walk(size, rng)
        tools = walk.tools
        assert 1 <= len(tools) <= size
        assert len(set(tools)) == len(tools)
        for k, hop in enumerate(walk.hops[1:], 1):
            if hop.edge is None:  # a jump: only after a dead end, within the start's category
                assert walk.jumps > 0
                continue
            assert hop.source in tools[:k]
            assert (hop.source, hop.tool) in edges
        sampler.record(tools)


def test_return_param_edges_are_preferred_when_weighted() -> None:
    # A hub with one return→param neighbour and three parameter look-alikes.
    tools = {n: _tool(n) for n in ("h", "r", "p1", "p2", "p3")}
    edges = [Edge("h", "r", "return_param", 0.8, 0.8, True, {})] + [
        Edge("h", p, "param_param", 0.8, 0.8, False, {}) for p in ("p1", "p2", "p3")
    ]
    graph = ToolGraph(tools=tools, edges=edges)

    def share(rp_weight: float) -> float:
        cfg = WalkConfig(kind_weights={"return_param": rp_weight, "param_param": 1.0}, coverage_alpha=0)
        sampler = CoverageSampler(WalkIndex(graph, cfg))
        rng = random.Random(1)
        firsts = [sampler.walk(2, rng, start="h").hops[1].tool for _ in range(4000)]
        return firsts.count("r") / len(firsts)

    assert abs(share(1.0) - 0.25) < 0.03
    assert abs(share(5.0) - 5 / 8) < 0.03


def test_coverage_aware_sampling_spreads_over_the_catalog(bfcl_graph: ToolGraph) -> None:
    def run(cfg: WalkConfig) -> tuple[float, float]:
        sampler = CoverageSampler(WalkIndex(bfcl_graph, cfg))
        rng = random.Random(2)
        for _ in range(120):
            sampler.record(sampler.walk(3, rng).tools)
        return sampler.coverage(), sampler.gini()

    plain_cov, plain_gini = run(WalkConfig(coverage_alpha=0, start_beta=0))
    aware_cov, aware_gini = run(WalkConfig())
    assert aware_cov > plain_cov
    assert aware_gini < plain_gini - 0.1, (plain_gini, aware_gini)


def test_dead_end_restarts_from_earlier_tool_then_jumps_within_category() -> None:
    tools = {n: _tool(n, "fs" if n != "z" else "other") for n in ("a", "b", "c", "d", "z")}
    edges = [
        Edge("a", "b", "return_param", 0.9, 0.9, True, {}),
        Edge("a", "c", "return_param", 0.9, 0.9, True, {}),
    ]
    graph = ToolGraph(tools=tools, edges=edges)
    sampler = CoverageSampler(WalkIndex(graph, WalkConfig(teleport="category")))
    walk = sampler.walk(4, random.Random(0), start="a")
    # a → b (dead end) → restart from a → c (dead end) → jump to d, the last tool of category fs; never z.
    assert sorted(walk.tools) == ["a", "b", "c", "d"]
    assert walk.restarts >= 2 and walk.jumps == 1
    stuck = CoverageSampler(WalkIndex(graph, WalkConfig(teleport="none"))).walk(
        4, random.Random(0), start="a"
    )
    assert sorted(stuck.tools) == ["a", "b", "c"] and stuck.jumps == 0


def test_gini_and_weighted_start_sampler() -> None:
    assert gini([3, 3, 3, 3]) == 0
    assert abs(gini([0, 0, 0, 8]) - 0.75) < 1e-9
    fw = _Fenwick([1.0, 2.0, 3.0, 4.0])
    fw.set(0, 4.0)  # weights now 4, 2, 3, 4
    rng = random.Random(3)
    counts = Counter(fw.find(rng.random() * fw.total()) for _ in range(26000))
    for i, w in enumerate([4, 2, 3, 4]):
        assert abs(counts[i] / 26000 - w / 13) < 0.01
