"""The embedding backends of build-graph side by side: encode time on the real catalogs' field texts, and NESTFUL
recall with each, in one run.

Texts: every distinct `tool_text` and field text (`field_text`, as build-graph embeds them) of the real tools
with return values in ../shared/catalogs (graph_scale.py's catalog without its renamed copies), the first --texts
of them. Each backend embeds the same texts from a cold cache, model load timed apart; vectors are compared with
PyTorch's (cosine per text). Recall: benchmarks/graph_recall.py's NESTFUL gold pairs, default recipe, each backend
with its own fresh cache.

    python benchmarks/embed_speed.py [--texts 4000] [--rounds 4] [--backends torch,onnx,onnx-int8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def field_texts(catalogs: Path, limit: int) -> list[str]:
    from graph_scale import tools_with_returns

    from toolsynth.graph.config import GraphConfig
    from toolsynth.graph.edges import collect_fields, tool_text

    tools = tools_with_returns(catalogs)
    params, returns = collect_fields(tools, GraphConfig())
    out = [tool_text(t) for t in tools] + params.texts() + returns.texts()
    return list(dict.fromkeys(out))[:limit]


def nestful_recall(catalogs: Path, backend: str, cache: Path) -> tuple[float, float]:
    from graph_recall import NESTFUL_SPLITS, nestful_gold, score

    from toolsynth.catalog.load import load_catalog
    from toolsynth.graph.build import build_graph, make_embedder
    from toolsynth.graph.config import GraphConfig

    cfg = GraphConfig()
    cfg.embedding.cache_dir = str(cache)
    cfg.embedding.backend = backend  # type: ignore[assignment]
    emb = make_embedder(cfg)
    hit = use = 0
    deg = []
    for _split, (spec, data) in NESTFUL_SPLITS.items():
        gold, _ = nestful_gold(catalogs / data)
        s = score(build_graph(load_catalog(catalogs / spec).tools, cfg, embedder=emb), gold)
        hit += s["hit"]
        use += s["usable"]
        deg.append(s["out_degree"])
    return hit / use, float(np.mean(deg))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalogs", type=Path, default=ROOT / ".." / "shared" / "catalogs")
    ap.add_argument("--texts", type=int, default=4000)
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    ap.add_argument("--rounds", type=int, default=4, help="slices each backend encodes in turn")
    ap.add_argument("--no-recall", action="store_true")
    args = ap.parse_args()
    cats = args.catalogs.resolve()
    from toolsynth.graph.embed import Embedder

    texts = field_texts(cats, args.texts)
    print(f"{len(texts)} distinct field texts, {os.cpu_count()} CPUs (machine shared: ratios, not seconds)")
    # The machine is shared and its load drifts: each backend encodes every slice of the texts in turn, in a
    # rotating order, so a busy minute costs all backends alike and the ratios hold.
    names = args.backends.split(",")
    embedders, loads = {}, {}
    for backend in names:
        e = Embedder(backend=backend)
        t0 = time.perf_counter()
        if backend == "torch":
            e._load()
        else:
            e._load_onnx()
        loads[backend] = time.perf_counter() - t0
        embedders[backend] = e
    k = max(1, args.rounds)
    slices = [texts[i::k] for i in range(k)]
    enc = dict.fromkeys(names, 0.0)
    parts: dict[str, list] = {b: [] for b in names}
    for r, part in enumerate(slices):
        for j in range(len(names)):
            backend = names[(r + j) % len(names)]
            t1 = time.perf_counter()
            parts[backend].append(embedders[backend]._encode(part))
            enc[backend] += time.perf_counter() - t1
    rows = []
    ref = None
    for backend in names:
        vecs = np.concatenate(parts[backend])
        if ref is None:
            ref = vecs
        cos = (ref * vecs).sum(axis=1)
        rows.append((backend, loads[backend], enc[backend], float(cos.min()), float(cos.mean())))
        print(
            f"{backend:<10} load {loads[backend]:6.1f}s  encode {enc[backend]:7.1f}s  "
            f"cos vs first: min {cos.min():.4f} mean {cos.mean():.4f}",
            flush=True,
        )
    base = rows[0][2]
    for backend, _load, enc, _mn, _me in rows:
        print(f"{backend:<10} encode speed-up vs {rows[0][0]}: {base / enc:.2f}x")
    if not args.no_recall:
        for backend, *_ in rows:
            with tempfile.TemporaryDirectory() as cache:
                r, od = nestful_recall(cats, backend, Path(cache))
            print(f"{backend:<10} NESTFUL micro recall {r:.3f} @ out-degree {od:.2f}", flush=True)


if __name__ == "__main__":
    main()
