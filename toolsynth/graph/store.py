"""The graph artifact: a directory with `nodes.jsonl`, `edges.jsonl` and `graph.json` (networkx node-link).

Nodes carry the full normalized tool, so later stages need nothing but the graph directory.
Edge kinds:
- `param_param`: ToolFlow parameter ↔ parameter similarity (undirected; stored once with source < target);
- `return_param`: ToolFlow return → parameter (directed producer → consumer);
- `magnet`: MAGNET same-label pair kept by the LLM judge (directed: target plausibly called after source).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toolsynth.artifacts import ArtifactWriter, read_artifact, write_manifest
from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError

EdgeKind = Literal["param_param", "return_param", "magnet"]
NODES_FILE = "nodes.jsonl"
EDGES_FILE = "edges.jsonl"
NODE_LINK_FILE = "graph.json"


@dataclass
class Edge:
    source: str
    target: str
    kind: EdgeKind
    score: float
    weight: float
    directed: bool
    # Why the edge exists: e.g. {"source_field": "return:location", "target_field": "param:destination",
    # "similarity": 0.71} or {"label": "travel", "judge": "..."}.
    reason: dict[str, Any] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "kind": self.kind,
            "score": round(float(self.score), 6),
            "weight": round(float(self.weight), 6),
            "directed": self.directed,
            "reason": self.reason,
        }

    @classmethod
    def from_record(cls, rec: dict[str, Any]) -> Edge:
        return cls(
            source=rec["source"],
            target=rec["target"],
            kind=rec["kind"],
            score=float(rec["score"]),
            weight=float(rec.get("weight", rec["score"])),
            directed=bool(rec["directed"]),
            reason=dict(rec.get("reason") or {}),
        )


@dataclass
class ToolGraph:
    tools: dict[str, Tool]
    edges: list[Edge]
    labels: dict[str, str] = field(default_factory=dict)  # MAGNET domain label per tool, when labelled

    def neighbours(self, name: str) -> list[Edge]:
        """Edges leaving `name` (undirected edges count in both directions), for walks."""
        out = []
        for e in self.edges:
            if e.source == name:
                out.append(e)
            elif not e.directed and e.target == name:
                out.append(Edge(e.target, e.source, e.kind, e.score, e.weight, False, e.reason))
        return out

    def to_networkx(self) -> Any:
        import networkx as nx

        g = nx.MultiDiGraph()
        for name, tool in self.tools.items():
            g.add_node(
                name,
                description=tool.description,
                label=self.labels.get(name),
                category=tool.provenance.category,
            )
        for e in self.edges:
            attrs = {
                "kind": e.kind,
                "score": e.score,
                "weight": e.weight,
                "directed": e.directed,
                "reason": e.reason,
            }
            g.add_edge(e.source, e.target, **attrs)
            if not e.directed:
                g.add_edge(e.target, e.source, **attrs)
        return g


def write_graph(
    directory: str | Path,
    graph: ToolGraph,
    *,
    command: str | None = None,
    options: dict[str, Any] | None = None,
    inputs: list[str | Path] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write the graph directory: nodes and edges (atomic JSONL artifacts with manifests) and `graph.json`.

    Each file appears under its final name only when complete, so an interrupted write leaves the previous graph
    (if any) readable.
    """
    import networkx as nx
    import orjson

    d = Path(directory)
    names = sorted(graph.tools)
    with ArtifactWriter(d / NODES_FILE, "graph_node") as w:
        for name in names:
            w.write({"tool": graph.tools[name].to_record(), "label": graph.labels.get(name)})
    with ArtifactWriter(d / EDGES_FILE, "graph_edge") as w:
        for e in graph.edges:
            w.write(e.to_record())
    data = nx.node_link_data(graph.to_networkx(), edges="edges")
    tmp = d / f".{NODE_LINK_FILE}.tmp"
    tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY))
    tmp.replace(d / NODE_LINK_FILE)
    kinds: dict[str, int] = {}
    for e in graph.edges:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    common = {"command": command, "options": options, "inputs": inputs or []}
    write_manifest(
        d / NODES_FILE,
        kind="graph_node",
        counts={"nodes": len(names), "labelled": len(graph.labels)},
        **common,
    )
    write_manifest(
        d / EDGES_FILE,
        kind="graph_edge",
        counts={"edges": len(graph.edges), **dict(sorted(kinds.items()))},
        extra=extra,
        **common,
    )
    return {"nodes": d / NODES_FILE, "edges": d / EDGES_FILE, "node_link": d / NODE_LINK_FILE}


def load_graph(directory: str | Path) -> ToolGraph:
    d = Path(directory)
    if not (d / NODES_FILE).exists() or not (d / EDGES_FILE).exists():
        raise InputError(
            f"not a graph directory (expected {NODES_FILE} and {EDGES_FILE}; run build-graph)", where=str(d)
        )
    tools: dict[str, Tool] = {}
    labels: dict[str, str] = {}
    for rec in read_artifact(d / NODES_FILE, "graph_node"):
        tool = Tool.from_record(rec["tool"])
        tools[tool.name] = tool
        if rec.get("label"):
            labels[tool.name] = rec["label"]
    edges = [Edge.from_record(r) for r in read_artifact(d / EDGES_FILE, "graph_edge")]
    for e in edges:
        if e.source not in tools or e.target not in tools:
            raise InputError(
                f"edge {e.source} -> {e.target} names a tool missing from {NODES_FILE}", where=str(d)
            )
    return ToolGraph(tools=tools, edges=edges, labels=labels)
