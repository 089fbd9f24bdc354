"""Graph stage: tools → the tool graph directory (nodes.jsonl, edges.jsonl, graph.json) that plan sampling walks."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolsynth.graph.config import GraphConfig
    from toolsynth.llm.config import LLMConfig
    from toolsynth.recipe import Recipe


@dataclass(frozen=True)
class GraphSettings:
    """What build-graph reads from a recipe: the graph section (embedding cache made absolute), the model settings
    for MAGNET's labels and judge, and the folder relative cache paths start from."""

    graph: GraphConfig
    llm: LLMConfig
    base_dir: Path


def graph_settings(recipe: Recipe | None) -> GraphSettings:
    from toolsynth.graph.config import GraphConfig
    from toolsynth.llm.config import LLMConfig

    if recipe is None:
        return GraphSettings(GraphConfig(), LLMConfig(), Path.cwd())
    cfg = recipe.graph.model_copy(deep=True)
    if cfg.embedding.cache_dir and not Path(cfg.embedding.cache_dir).is_absolute():
        cfg.embedding.cache_dir = str(recipe.base_dir / cfg.embedding.cache_dir)
    return GraphSettings(cfg, recipe.llm, recipe.base_dir)


@dataclass(frozen=True)
class GraphResult:
    output: Path
    files: dict[str, Path]
    tools: int
    report: dict[str, Any]  # the build's own report (embedding, generic fields, timings, magnet)
    load: dict[str, Any]
    stats: dict[str, Any]  # graph_stats(): degrees, components, edges by kind
    view: Path | None = None

    @property
    def edges(self) -> int:
        return int(self.stats["edges"])

    def to_json(self, *, with_stats: bool = False) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "output": str(self.output),
            "files": {k: str(v) for k, v in self.files.items()},
            "view": str(self.view) if self.view else None,
            "tools": self.tools,
            "edges": self.stats["edges_by_kind"],
            "generic_fields": self.report["generic_fields"],
            "embedding": self.report["embedding"],
            "timings_s": self.report["timings_s"],
            "load": self.load,
        }
        if "magnet" in self.report:
            summary["magnet"] = self.report["magnet"]
        if with_stats:
            summary["stats"] = self.stats
        return summary


def _check_output(out: Path) -> None:
    """Fail before the slow part when the output directory cannot be written."""
    from toolsynth.errors import ToolsynthError

    if out.exists() and not out.is_dir():
        raise ToolsynthError("output exists and is not a directory", where=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolsynthError(
            f"cannot create output directory: {exc.strerror or exc}", where=str(out)
        ) from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise ToolsynthError("output directory is not writable", where=str(out))


def _safe_file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80] or "tool"


def build_graph(
    catalog: Path,
    output: Path,
    settings: GraphSettings | None = None,
    *,
    fmt: str | None = None,
    show: str | None = None,
    recipe_path: Path | None = None,
) -> GraphResult:
    """Embed every parameter and return field, link them (ToolFlow edges, optionally MAGNET's), write the graph.

    `catalog` is a tools.jsonl or any catalog path; `show` also writes `show-<TOOL>.html`, the sub-graph around it;
    `recipe_path` is recorded in the manifest."""
    from toolsynth.graph.build import build_graph as build
    from toolsynth.graph.build import check_tools, make_embedder
    from toolsynth.graph.stats import graph_stats
    from toolsynth.graph.store import write_graph
    from toolsynth.pipeline.catalog import load_tools
    from toolsynth.pipeline.gateway import cache_dir_of

    s = settings or graph_settings(None)
    embedder = make_embedder(s.graph)  # resolves the model name now: a bad one fails before any work
    _check_output(output)
    tools, load_info = load_tools(catalog, fmt)
    check_tools(tools, where=str(catalog))
    built = build(
        tools,
        s.graph,
        llm=s.llm,
        llm_cache_dir=cache_dir_of(s.llm, s.base_dir),
        embedder=embedder,
        where=str(catalog),
    )
    paths = write_graph(
        output,
        built.graph,
        options={
            "catalog": str(catalog),
            "recipe": str(recipe_path) if recipe_path else None,
            "graph": s.graph.model_dump(),
        },
        inputs=[catalog],
        extra={"build": built.report, "load": load_info},
    )
    view_path = None
    if show:
        from toolsynth.graph.view import resolve_tool, subgraph_html

        name = resolve_tool(built.graph, show)
        view_path = output / f"show-{_safe_file_name(name)}.html"
        tmp = view_path.with_name(f".{view_path.name}.tmp")
        tmp.write_text(subgraph_html(built.graph, name), encoding="utf-8")
        tmp.replace(view_path)
    return GraphResult(
        output=output,
        files=dict(paths),
        tools=len(tools),
        report=built.report,
        load=load_info,
        stats=graph_stats(built.graph),
        view=view_path,
    )
