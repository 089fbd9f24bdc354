"""`toolsynth build-graph`: a catalog (or tools.jsonl) → the tool graph directory that plan sampling walks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout


def command(
    catalog: Path = typer.Argument(
        ..., help="A tools.jsonl (from `toolsynth catalog convert`) or any catalog file or directory."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Graph directory to write."),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML: its `graph` (and, for MAGNET, `llm`) settings apply."
    ),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Force a catalog loader (see `catalog`)."),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Embedding model: sentence-transformers name (offline) or local directory.",
    ),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Embedding cache directory."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Embed everything again; write no cache."),
    index: str | None = typer.Option(None, "--index", help="FAISS index: auto, flat, hnsw or ivf."),
    max_out: int | None = typer.Option(
        None, "--max-out", min=0, help="Most consumer tools per producer (return→parameter edges)."
    ),
    no_generic: bool = typer.Option(
        False, "--no-generic-rule", help="Keep generic fields (limit, page, ...) like any other."
    ),
    magnet: bool | None = typer.Option(
        None, "--magnet/--no-magnet", help="Add MAGNET label+judge edges (LLM calls). Default: recipe's."
    ),
    llm_model: str | None = typer.Option(None, "--llm-model", help="LLM for MAGNET labels and judge."),
    stats: bool = typer.Option(False, "--stats", help="Print degrees, components, edge kinds, top edges."),
    show: str | None = typer.Option(
        None, "--show", help="Also write <output>/show-<TOOL>.html: the sub-graph around TOOL."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Build the tool graph: embed every parameter and return field, link them with FAISS neighbour search
    (ToolFlow parameter↔parameter and return→parameter edges, each with the field pair that caused it), optionally
    add MAGNET edges (LLM domain labels + LLM judge), and write nodes.jsonl, edges.jsonl and graph.json."""
    from toolsynth.errors import RecipeError
    from toolsynth.pipeline import build_graph, graph_settings

    settings = graph_settings(None)
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        settings = graph_settings(load_recipe(recipe))
    cfg, llm = settings.graph, settings.llm
    if model:
        cfg.embedding.model = model
    if no_cache:
        cfg.embedding.cache_dir = None
    elif cache_dir is not None:
        cfg.embedding.cache_dir = str(cache_dir)
    if index is not None:
        if index not in ("auto", "flat", "hnsw", "ivf"):
            raise RecipeError(
                f"unknown index kind {index!r}; choose auto, flat, hnsw or ivf", where="--index"
            )
        cfg.index.kind = index  # type: ignore[assignment]
    if max_out is not None:
        cfg.return_param.max_out = max_out
    if no_generic:
        cfg.generic.enabled = False
    if magnet is not None:
        cfg.magnet.enabled = magnet
    if llm_model:
        llm = llm.model_copy(update={"model": llm_model})
    result = build_graph(catalog, output, replace(settings, llm=llm), fmt=fmt, show=show, recipe_path=recipe)
    print_graph(result, stats=stats, as_json=as_json)


def print_graph(result: Any, *, stats: bool = False, as_json: bool = False) -> None:
    """build-graph's summary: one JSON document, or a few lines (and the statistics with `stats`)."""
    if as_json:
        emit_json(result.to_json(with_stats=stats))
        return
    report, st, output = result.report, result.stats, result.output
    e = report["embedding"]
    stdout.print(
        f"wrote graph of {result.tools} tools, {st['edges']} edges ("
        + (", ".join(f"{k} {v}" for k, v in st["edges_by_kind"].items()) or "none")
        + f") to {output}; embedded {e['embedded']} new texts, {e['cached']} from cache",
        highlight=False,
    )
    if report["generic_fields"]:
        gen = ", ".join(f"{k} ({v})" for k, v in list(report["generic_fields"].items())[:12])
        stdout.print(f"generic fields (tools carrying them): {gen}", highlight=False)
    if "magnet" in report:
        from toolsynth.console import stderr
        from toolsynth.llm.accounting import format_summary

        m = report["magnet"]
        stdout.print(
            f"magnet: {m['labelled_tools']} tools labelled into {m['labels']} labels, {m['judged_pairs']} pairs "
            f"judged, {m['edges']} kept ({m['label_failures']} label / {m['judge_failures']} judge failures)",
            highlight=False,
        )
        stderr.print(f"  {format_summary(m['usage'])}", highlight=False)
    if result.view:
        stdout.print(f"view: {result.view}", highlight=False)
    if stats:
        from toolsynth.graph.stats import render_stats

        stdout.print(render_stats(st), highlight=False, markup=False)
