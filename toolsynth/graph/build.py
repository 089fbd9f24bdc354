"""Build the tool graph: fields → embeddings → FAISS neighbours → scored edges (+ MAGNET judge edges)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.console import log
from toolsynth.errors import InputError
from toolsynth.graph.config import GraphConfig
from toolsynth.graph.store import Edge, ToolGraph
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.protocol import ModelGateway


@dataclass
class GraphBuild:
    graph: ToolGraph
    report: dict[str, Any] = field(default_factory=dict)


def check_tools(tools: list[Tool], where: str = "catalog") -> None:
    if not tools:
        raise InputError("the catalog has no tools to build a graph from", where=where)
    dup = [n for n, c in Counter(t.name for t in tools).items() if c > 1]
    if dup:
        raise InputError(
            f"tool names must be unique; repeated: {', '.join(sorted(dup)[:5])}"
            + (" ..." if len(dup) > 5 else ""),
            where=where,
        )


def make_embedder(config: GraphConfig, cache_dir: str | Path | None = None) -> Any:
    from toolsynth.graph.embed import Embedder

    emb = config.embedding
    cdir = cache_dir if cache_dir is not None else emb.cache_dir
    return Embedder(
        model=emb.model,
        cache_dir=Path(cdir) if cdir else None,
        batch_size=emb.batch_size,
        device=emb.device,
        backend=emb.backend,
    )


def build_graph(
    tools: list[Tool],
    config: GraphConfig | None = None,
    *,
    llm: LLMConfig | None = None,
    llm_cache_dir: Path | None = None,
    embedder: Any = None,
    where: str = "catalog",
    gateway: ModelGateway | None = None,
) -> GraphBuild:
    """The graph over `tools` and a report (timings, embedding cache use, generic fields, candidate counts).

    `embedder` lets a caller share one loaded model across builds (tests, benchmarks); by default one is made from
    `config.embedding`. `gateway` is what the MAGNET judge calls (default: one built from `llm`).
    """
    from toolsynth.graph.edges import (
        EdgeTimings,
        collect_fields,
        generic_names,
        mark_fields,
        mix_context,
        param_param_edges,
        return_param_edges,
        tool_text,
    )

    config = config or GraphConfig()
    check_tools(tools, where)
    t_start = time.perf_counter()
    params, returns = collect_fields(tools, config)
    generic = generic_names(params, len(tools), config)
    mark_fields(params, generic, config.return_param)
    t_collect = time.perf_counter() - t_start

    embedder = embedder or make_embedder(config)
    stats_before = embedder.stats.to_dict()
    t0 = time.perf_counter()
    tool_texts = [tool_text(t) for t in tools]
    p_texts, r_texts = params.texts(), returns.texts()
    vecs = embedder.embed(tool_texts + p_texts + r_texts)
    t_embed = time.perf_counter() - t0
    embed_stats = {
        k: (v - stats_before[k] if isinstance(v, int | float) and not isinstance(v, bool) else v)
        for k, v in embedder.stats.to_dict().items()
    }
    n_t, n_p = len(tool_texts), len(p_texts)
    tool_vecs = vecs[:n_t]
    w = config.embedding.context_weight
    t0 = time.perf_counter()
    params.vectors = mix_context(vecs[n_t : n_t + n_p], params.tool_idx, tool_vecs, w)
    returns.vectors = mix_context(vecs[n_t + n_p :], returns.tool_idx, tool_vecs, w)
    t_mix = time.perf_counter() - t0

    timings = EdgeTimings()
    edges: list[Edge] = []
    edges += return_param_edges(tools, params, returns, config, timings)
    edges += param_param_edges(tools, params, config, timings)

    labels: dict[str, str] = {}
    magnet_summary: dict[str, Any] | None = None
    t_magnet = 0.0
    if config.magnet.enabled:
        from toolsynth.graph.judge import magnet_edges

        t0 = time.perf_counter()
        res = magnet_edges(
            tools, tool_vecs, llm or LLMConfig(), config.magnet, cache_dir=llm_cache_dir, gateway=gateway
        )
        t_magnet = time.perf_counter() - t0
        labels = res.labels
        edges += res.edges
        magnet_summary = res.summary()

    # Sorted by name, so the same catalog listed in another order gives the same file.
    edges.sort(key=lambda e: (e.kind, e.source, e.target))
    total = time.perf_counter() - t_start
    model_s = embed_stats["model_load_s"] + embed_stats["encode_s"]
    report: dict[str, Any] = {
        "tools": len(tools),
        "param_fields": len(params),
        "return_fields": len(returns),
        "payload_params": int(params.payload.sum()),
        "generic_fields": generic,
        "embedding": {"model": config.embedding.model, "identity": embedder.identity, **embed_stats},
        "index": timings.index_kinds,
        "candidates": timings.candidates,
        "edges": dict(Counter(e.kind for e in edges)),
        "timings_s": {
            "total": round(total, 4),
            "embed_model": round(model_s, 4),
            "embed_other": round(t_embed - model_s, 4),
            "index_build": round(timings.index_s, 4),
            "search": round(timings.search_s, 4),
            "scoring": round(timings.score_s, 4),
            "fields_and_context": round(t_collect + t_mix, 4),
            "magnet": round(t_magnet, 4),
        },
    }
    if magnet_summary is not None:
        report["magnet"] = magnet_summary
    log.info(
        "graph: %d tools, %d edges (%s) in %.2fs",
        len(tools),
        len(edges),
        ", ".join(f"{k} {v}" for k, v in report["edges"].items()),
        total,
    )
    graph = ToolGraph(tools={t.name: t for t in tools}, edges=edges, labels=labels)
    return GraphBuild(graph=graph, report=report)
