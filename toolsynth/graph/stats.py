"""Numbers a person checks before trusting a graph: degrees, components, edge kinds, strongest edges and why."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from toolsynth.graph.store import Edge, ToolGraph

_BUCKETS = [(0, 0), (1, 1), (2, 2), (3, 4), (5, 8), (9, 16), (17, 32), (33, 10**9)]


def _bucket_label(lo: int, hi: int) -> str:
    if lo == hi:
        return str(lo)
    return f"{lo}+" if hi >= 10**9 else f"{lo}-{hi}"


def _histogram(values: list[int]) -> dict[str, int]:
    out = {}
    for lo, hi in _BUCKETS:
        n = sum(1 for v in values if lo <= v <= hi)
        if n:
            out[_bucket_label(lo, hi)] = n
    return out


def _summary(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"mean": 0.0, "median": 0, "max": 0, "zero": 0, "histogram": {}}
    s = sorted(values)
    return {
        "mean": round(sum(s) / len(s), 3),
        "median": s[len(s) // 2],
        "max": s[-1],
        "zero": sum(1 for v in s if v == 0),
        "histogram": _histogram(s),
    }


def _components(names: list[str], edges: list[Edge]) -> list[int]:
    """Sizes of weakly connected components over all edge kinds, largest first (union-find, no networkx)."""
    parent = {n: n for n in names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in edges:
        a, b = find(e.source), find(e.target)
        if a != b:
            parent[a] = b
    return sorted(Counter(find(n) for n in names).values(), reverse=True)


def describe_edge(e: Edge) -> str:
    r = e.reason
    arrow = "->" if e.directed else "<->"
    if "source_field" in r:
        why = f"{r['source_field']} ~ {r['target_field']} (sim {r.get('similarity', e.score):.2f}"
        if r.get("rule"):
            why += f", {r['rule']} rule"
        if r.get("type_compat", 1) != 1:
            why += f", types {r.get('types')}"
        why += ")"
    elif "label" in r:
        why = f"label {r['label']!r}, judge: {r.get('order')}"
        if r.get("judge"):
            why += f" ({r['judge']})"
    else:
        why = ""
    return f"{e.source} {arrow} {e.target} [{e.kind} {e.score:.2f}] {why}".rstrip()


def graph_stats(graph: ToolGraph, top: int = 10) -> dict[str, Any]:
    names = sorted(graph.tools)
    by_kind: dict[str, list[Edge]] = defaultdict(list)
    for e in graph.edges:
        by_kind[e.kind].append(e)
    out_deg: Counter[str] = Counter()
    in_deg: Counter[str] = Counter()
    und_deg: Counter[str] = Counter()
    neighbours: dict[str, set[str]] = defaultdict(set)
    for e in graph.edges:
        neighbours[e.source].add(e.target)
        neighbours[e.target].add(e.source)
        if e.directed:
            out_deg[e.source] += 1
            in_deg[e.target] += 1
        else:
            und_deg[e.source] += 1
            und_deg[e.target] += 1
    comps = _components(names, graph.edges)
    per_kind: dict[str, Any] = {}
    for kind, edges in sorted(by_kind.items()):
        od: Counter[str] = Counter()
        for e in edges:
            od[e.source] += 1
            if not e.directed:
                od[e.target] += 1
        per_kind[kind] = {
            "edges": len(edges),
            ("degree" if not edges[0].directed else "out_degree"): _summary([od[n] for n in names]),
        }
    top_edges = {
        kind: [
            {**e.to_record(), "why": describe_edge(e)}
            for e in sorted(edges, key=lambda e: (-e.score, e.source, e.target))[:top]
        ]
        for kind, edges in sorted(by_kind.items())
    }
    hubs = sorted(names, key=lambda n: (-in_deg[n], n))[:5]
    return {
        "nodes": len(names),
        "edges": len(graph.edges),
        "edges_by_kind": {k: len(v) for k, v in sorted(by_kind.items())},
        "per_kind": per_kind,
        "neighbours": _summary([len(neighbours[n]) for n in names]),
        "out_degree_directed": _summary([out_deg[n] for n in names]),
        "in_degree_directed": _summary([in_deg[n] for n in names]),
        "degree_undirected": _summary([und_deg[n] for n in names]),
        "top_consumers": [{"tool": n, "in_degree": in_deg[n]} for n in hubs if in_deg[n]],
        "components": {
            "count": len(comps),
            "largest": comps[0] if comps else 0,
            "isolated": sum(1 for c in comps if c == 1),
            "sizes": comps[:10],
        },
        "labels": dict(Counter(graph.labels.values()).most_common(20)) if graph.labels else {},
        "top_edges": top_edges,
    }


def render_stats(stats: dict[str, Any]) -> str:
    """Plain text for a terminal (stdout), one block per topic."""
    lines = [
        f"graph: {stats['nodes']} tools, {stats['edges']} edges",
        "edges by kind: " + (", ".join(f"{k} {v}" for k, v in stats["edges_by_kind"].items()) or "none"),
    ]
    for kind, info in stats["per_kind"].items():
        key = "degree" if "degree" in info else "out_degree"
        s = info[key]
        hist = " ".join(f"{b}:{n}" for b, n in s["histogram"].items())
        lines.append(
            f"  {kind} {key.replace('_', '-')}: mean {s['mean']}, median {s['median']}, max {s['max']}, "
            f"zero {s['zero']}  [{hist}]"
        )
    nb = stats["neighbours"]
    lines.append(
        f"distinct neighbours per tool: mean {nb['mean']}, median {nb['median']}, max {nb['max']}, "
        f"isolated {nb['zero']}"
    )
    c = stats["components"]
    lines.append(
        f"components: {c['count']} (largest {c['largest']}, isolated tools {c['isolated']}; sizes {c['sizes']})"
    )
    if stats["top_consumers"]:
        lines.append(
            "most fed tools: " + ", ".join(f"{h['tool']} ({h['in_degree']})" for h in stats["top_consumers"])
        )
    if stats["labels"]:
        lines.append("labels: " + ", ".join(f"{k} {v}" for k, v in stats["labels"].items()))
    for kind, edges in stats["top_edges"].items():
        lines.append(f"top {kind} edges:")
        lines.extend(f"  {e['why']}" for e in edges)
    return "\n".join(lines)
