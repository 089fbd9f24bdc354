"""build-graph on a large catalog: where the time goes, and peak memory.

The catalog is every function doc shipped in the `bfcl-eval` package (single-turn categories and the multi-turn
APIs, loaded through the project's catalog loader; single-turn docs describe no return values), plus copies of the
real tools that do describe return values (Seal-Tools, NESTFUL, BFCL multi-turn, ToolBench, tau-bench, tau2-bench,
ToolAlpaca, MCP servers from ../shared/catalogs) with renamed parameters and fields, so that there are 20k+
parameters and thousands of return fields, all distinct texts.

The first build starts from an empty embedding cache (everything is embedded); the split printed is
embedding model (load + encode) vs index build + search vs everything else (fields, hashing/cache I/O, scoring,
edge objects). Then the same catalog is rebuilt from the warm cache with each FAISS index kind.

Run: python benchmarks/graph_scale.py [--copies N] [--catalogs DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolsynth.catalog.load import load_catalog  # noqa: E402
from toolsynth.catalog.model import Tool  # noqa: E402
from toolsynth.graph.build import build_graph, make_embedder  # noqa: E402
from toolsynth.graph.config import GraphConfig  # noqa: E402

# Renamings for the copies: real-looking qualifiers, so the copies read like sibling APIs rather than noise.
QUALIFIERS = [
    "primary",
    "target",
    "source",
    "backup",
    "user",
    "default",
    "current",
    "new",
    "legacy",
    "remote",
]


def bfcl_tools() -> list[Tool]:
    import bfcl_eval

    data = Path(bfcl_eval.__file__).parent / "data"
    tools: list[Tool] = []
    for f in sorted(data.glob("BFCL_v4_*.json")):
        if "multi_turn" in f.name or "memory" in f.name or "web_search" in f.name or "format" in f.name:
            continue  # question files whose tools are the multi-turn func docs, loaded below
        tools += load_catalog(f).tools
    tools += load_catalog(data / "multi_turn_func_doc").tools
    return tools


def tools_with_returns(catalogs: Path) -> list[Tool]:
    out: list[Tool] = []
    for sub in ("seal-tools", "nestful", "bfcl/multi_turn_func_doc", "toolbench", "tau-bench", "tau2-bench",
                "toolalpaca", "mcp-servers"):  # fmt: skip
        p = catalogs / sub
        if p.exists():
            out += [t for t in load_catalog(p).tools if t.return_fields()]
    return out


def renamed_copy(tool: Tool, copy: int) -> Tool:
    q = QUALIFIERS[copy % len(QUALIFIERS)] + (str(copy // len(QUALIFIERS)) if copy >= len(QUALIFIERS) else "")
    rec = tool.to_record()
    props = rec["parameters"].get("properties", {})
    rec["parameters"]["properties"] = {
        f"{q}_{k}": {**v, "description": f"{v.get('description', '')} ({q})".strip()}
        for k, v in props.items()
    }
    if "required" in rec["parameters"]:
        rec["parameters"]["required"] = [f"{q}_{k}" for k in rec["parameters"]["required"]]
    ret = rec.get("returns")
    if ret and ret.get("fields"):
        ret["fields"] = [{**f, "name": f"{q}_{f['name']}"} for f in ret["fields"]]
    elif ret and isinstance(ret.get("schema"), dict) and isinstance(ret["schema"].get("properties"), dict):
        ret["schema"]["properties"] = {f"{q}_{k}": v for k, v in ret["schema"]["properties"].items()}
    rec["name"] = f"{tool.name[:52]}_{q}_{copy}"
    rec["description"] = f"{tool.description} ({q} edition)"
    return Tool.from_record(rec)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalogs", type=Path, default=ROOT / ".." / "shared" / "catalogs")
    ap.add_argument("--copies", type=int, default=3, help="renamed copies of the tools that describe returns")
    args = ap.parse_args()

    t0 = time.perf_counter()
    base_tools = bfcl_tools()
    with_returns = tools_with_returns(args.catalogs.resolve())
    tools: list[Tool] = []
    seen: set[str] = set()
    for t in (
        base_tools + with_returns + [renamed_copy(t, c) for c in range(args.copies) for t in with_returns]
    ):
        name, n = t.name, 2
        while name in seen:  # the same name in two source files: keep both, as a catalog merge would
            name = f"{t.name[:58]}_{n}"
            n += 1
        seen.add(name)
        tools.append(t if name == t.name else t.model_copy(update={"name": name}))
    n_params = sum(len(t.param_fields()) for t in tools)
    n_returns = sum(len(t.return_fields()) for t in tools)
    print(
        f"catalog: {len(tools)} tools ({len(base_tools)} from bfcl-eval, {len(with_returns)} real tools with "
        f"returns x{args.copies + 1}), {n_params} parameter fields, {n_returns} return fields "
        f"(assembled in {time.perf_counter() - t0:.1f}s)"
    )

    with tempfile.TemporaryDirectory() as cache:
        cfg = GraphConfig()
        cfg.embedding.cache_dir = cache
        embedder = make_embedder(cfg)
        rss0 = peak_rss_mb()
        b = build_graph(tools, cfg, embedder=embedder)
        t = b.report["timings_s"]
        model = t["embed_model"]
        index_search = t["index_build"] + t["search"]
        rest = t["total"] - model - index_search
        print(f"\ncold build (empty cache, index {b.report['index']}):")
        print(f"  total             {t['total']:8.2f}s")
        print(
            f"  embedding model   {model:8.2f}s  {model / t['total']:6.1%}  (load {b.report['embedding']['model_load_s']:.2f}s)"
        )
        print(f"  index + search    {index_search:8.2f}s  {index_search / t['total']:6.1%}")
        print(f"  everything else   {rest:8.2f}s  {rest / t['total']:6.1%}  (scoring {t['scoring']:.2f}s, "
              f"cache/hashing {t['embed_other']:.2f}s, fields {t['fields_and_context']:.2f}s)")  # fmt: skip
        print(
            f"  non-embedding share {(t['total'] - model) / t['total']:.1%} (target <= 20%); "
            f"embedded {b.report['embedding']['embedded']} texts; edges {b.report['edges']}"
        )
        print(f"  peak RSS {peak_rss_mb():.0f} MiB (before the build {rss0:.0f} MiB, model not yet loaded)")

        print("\nwarm rebuilds (cache hit for every text; no model call):")
        for kind in ("flat", "hnsw", "ivf"):
            c = cfg.model_copy(deep=True)
            c.index.kind = kind  # type: ignore[assignment]
            w = build_graph(tools, c, embedder=make_embedder(c))
            wt = w.report["timings_s"]
            print(
                f"  {kind:<5} total {wt['total']:6.2f}s: index {wt['index_build']:5.2f}s, search {wt['search']:5.2f}s, "
                f"scoring {wt['scoring']:5.2f}s, cache {wt['embed_other']:5.2f}s; embedded "
                f"{w.report['embedding']['embedded']}; edges {w.report['edges']}"
            )
        print(f"\npeak RSS overall {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
