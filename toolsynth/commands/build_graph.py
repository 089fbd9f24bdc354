"""`toolsynth build-graph`: a catalog (or tools.jsonl) → the tool graph directory that plan sampling walks."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout


def _is_tools_artifact(path: Path) -> bool:
    """A toolsynth `tools.jsonl` (first record tagged `toolsynth.tool/N`), read as is rather than re-loaded."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    return b'"schema":"toolsynth.tool/' in line.replace(b" ", b"")
    except OSError:
        return False
    return False


def load_tools(path: Path, fmt: str | None = None) -> tuple[list[Any], dict[str, Any]]:
    """Tools from a tools.jsonl artifact or any catalog path, plus what the load skipped (for the summary)."""
    from toolsynth.errors import InputError

    if not path.exists():
        raise InputError("no such file or directory", where=str(path))
    if fmt is None and _is_tools_artifact(path):
        from toolsynth.artifacts import read_artifact
        from toolsynth.catalog.model import Tool

        tools = []
        for i, rec in enumerate(read_artifact(path, "tool"), 1):
            try:
                tools.append(Tool.from_record(rec))
            except ValueError as exc:
                raise InputError(f"not a valid tool record ({exc})", where=f"{path}:{i}") from exc
        return tools, {"source": "tools.jsonl", "skipped": 0}
    from toolsynth.catalog.load import load_catalog

    res = load_catalog(path, fmt=fmt)
    if not res.tools and res.skipped:
        from toolsynth.commands.catalog import require_tools

        require_tools(res, path)  # says why every tool was skipped
    return list(res.tools), {"source": "catalog", "files": len(res.files), "skipped": len(res.skipped)}


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
    from toolsynth.graph.config import GraphConfig
    from toolsynth.llm.config import LLMConfig

    cfg = GraphConfig()
    llm = LLMConfig()
    base_dir = Path.cwd()
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        r = load_recipe(recipe)
        cfg, llm, base_dir = r.graph, r.llm, r.base_dir
    cfg = cfg.model_copy(deep=True)
    if model:
        cfg.embedding.model = model
    if no_cache:
        cfg.embedding.cache_dir = None
    elif cache_dir is not None:
        cfg.embedding.cache_dir = str(cache_dir)
    elif cfg.embedding.cache_dir and recipe is not None and not Path(cfg.embedding.cache_dir).is_absolute():
        cfg.embedding.cache_dir = str(base_dir / cfg.embedding.cache_dir)
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

    from toolsynth.graph.build import build_graph, check_tools, make_embedder

    embedder = make_embedder(cfg)  # resolves the model name now: a bad one fails before any work
    _check_output(output)
    tools, load_info = load_tools(catalog, fmt)
    check_tools(tools, where=str(catalog))
    llm_cache = None
    if llm.cache:
        cd = Path(llm.cache_dir)
        llm_cache = cd if cd.is_absolute() else base_dir / cd
    built = build_graph(tools, cfg, llm=llm, llm_cache_dir=llm_cache, embedder=embedder, where=str(catalog))

    from toolsynth.graph.stats import graph_stats, render_stats
    from toolsynth.graph.store import write_graph

    paths = write_graph(
        output,
        built.graph,
        options={
            "catalog": str(catalog),
            "recipe": str(recipe) if recipe else None,
            "graph": cfg.model_dump(),
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

    st = graph_stats(built.graph)
    summary = {
        "output": str(output),
        "files": {k: str(v) for k, v in paths.items()},
        "view": str(view_path) if view_path else None,
        "tools": len(tools),
        "edges": st["edges_by_kind"],
        "generic_fields": built.report["generic_fields"],
        "embedding": built.report["embedding"],
        "timings_s": built.report["timings_s"],
        "load": load_info,
    }
    if "magnet" in built.report:
        summary["magnet"] = built.report["magnet"]
    if stats:
        summary["stats"] = st
    if as_json:
        emit_json(summary)
        return
    e = built.report["embedding"]
    stdout.print(
        f"wrote graph of {len(tools)} tools, {st['edges']} edges ("
        + (", ".join(f"{k} {v}" for k, v in st["edges_by_kind"].items()) or "none")
        + f") to {output}; embedded {e['embedded']} new texts, {e['cached']} from cache",
        highlight=False,
    )
    if built.report["generic_fields"]:
        gen = ", ".join(f"{k} ({v})" for k, v in list(built.report["generic_fields"].items())[:12])
        stdout.print(f"generic fields (tools carrying them): {gen}", highlight=False)
    if "magnet" in built.report:
        from toolsynth.console import stderr
        from toolsynth.llm.accounting import format_summary

        m = built.report["magnet"]
        stdout.print(
            f"magnet: {m['labelled_tools']} tools labelled into {m['labels']} labels, {m['judged_pairs']} pairs "
            f"judged, {m['edges']} kept ({m['label_failures']} label / {m['judge_failures']} judge failures)",
            highlight=False,
        )
        stderr.print(f"  {format_summary(m['usage'])}", highlight=False)
    if view_path:
        stdout.print(f"view: {view_path}", highlight=False)
    if stats:
        stdout.print(render_stats(st), highlight=False, markup=False)
