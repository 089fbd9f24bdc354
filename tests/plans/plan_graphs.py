"""Tool graphs for the plans tests, built straight from real catalogs without the embedding model.

Edges come from exact field-name matches (a return field and a parameter with the same leaf name, e.g.
`get_symbol_by_name → symbol` feeding `get_stock_info(symbol)`), with the same `reason` layout build-graph writes,
so the tests exercise sample-plans on a realistic graph in milliseconds.
"""

from __future__ import annotations

import re
from pathlib import Path

from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.model import Tool
from toolsynth.graph.store import Edge, ToolGraph

SHARED_CATALOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "catalogs"
BFCL_FUNC_DOCS = SHARED_CATALOGS / "bfcl" / "multi_turn_func_doc"

# Leaf names too generic to mean the same thing in two tools.
_GENERIC = {"result", "status", "message", "content", "value", "a", "b", "text", "success", "error", "type"}


def _leaf(path: str) -> str:
    return re.sub(r"\[\]", "", path).rsplit(".", 1)[-1].lower()


def lexical_graph(tools: list[Tool], *, param_param: bool = True) -> ToolGraph:
    by_name = {t.name: t for t in tools}
    edges: list[Edge] = []
    params = {t.name: {_leaf(f.path): f for f in t.param_fields(max_depth=1)} for t in tools}
    returns = {t.name: {_leaf(f.path): f for f in t.return_fields(max_depth=1)} for t in tools}
    names = sorted(by_name)
    for a in names:
        for b in names:
            if a == b:
                continue
            for leaf, rf in sorted(returns[a].items()):
                pf = params[b].get(leaf)
                if pf is None or leaf in _GENERIC:
                    continue
                edges.append(
                    Edge(
                        a,
                        b,
                        "return_param",
                        0.9,
                        0.9,
                        True,
                        {
                            "source_field": f"return:{rf.path}",
                            "target_field": f"param:{pf.path}",
                            "similarity": 0.9,
                        },
                    )
                )
            if param_param and a < b:
                shared = sorted((set(params[a]) & set(params[b])) - _GENERIC)
                same_cat = by_name[a].provenance.category == by_name[b].provenance.category
                if shared and same_cat:
                    leaf = shared[0]
                    edges.append(
                        Edge(
                            a,
                            b,
                            "param_param",
                            0.7,
                            0.7,
                            False,
                            {
                                "source_field": f"param:{leaf}",
                                "target_field": f"param:{leaf}",
                                "similarity": 0.7,
                            },
                        )
                    )
    return ToolGraph(tools=by_name, edges=edges)


def bfcl_tools() -> list[Tool]:
    return load_catalog(BFCL_FUNC_DOCS).tools


def write_graph(graph: ToolGraph, directory: Path) -> Path:
    """The graph artifact directory `load_graph` reads (nodes.jsonl + edges.jsonl)."""
    from toolsynth.artifacts import write_artifact
    from toolsynth.graph.store import EDGES_FILE, NODES_FILE

    directory.mkdir(parents=True, exist_ok=True)
    write_artifact(
        directory / NODES_FILE,
        "graph_node",
        ({"tool": t.to_record(), "label": graph.labels.get(n)} for n, t in sorted(graph.tools.items())),
    )
    write_artifact(directory / EDGES_FILE, "graph_edge", (e.to_record() for e in graph.edges))
    return directory
