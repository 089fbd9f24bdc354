"""Nearest-neighbour search with FAISS: inner product on L2-normalized vectors (= cosine).

Small catalogs are searched exactly (`IndexFlatIP`); above `exact_max` vectors an HNSW (default) or IVF index keeps
search near-linear. Queries are answered in batches, never by a Python loop over pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolsynth.graph.config import IndexConfig

# One search call per this many query rows: bounds the (rows × k) result buffers on huge catalogs.
_QUERY_BATCH = 8192


def choose_kind(n: int, config: IndexConfig) -> str:
    if config.kind != "auto":
        return config.kind
    return "flat" if n <= config.exact_max else "hnsw"


@dataclass
class VectorIndex:
    kind: str
    size: int
    dim: int
    _index: Any

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, ids), both (len(queries) × k'), k' = min(k, size); ids are -1 where fewer were found."""
        k = min(k, self.size)
        nq = len(queries)
        if k <= 0 or nq == 0:
            return np.zeros((nq, 0), dtype=np.float32), np.zeros((nq, 0), dtype=np.int64)
        sims = np.empty((nq, k), dtype=np.float32)
        ids = np.empty((nq, k), dtype=np.int64)
        q = np.ascontiguousarray(queries, dtype=np.float32)
        for start in range(0, nq, _QUERY_BATCH):
            s, i = self._index.search(q[start : start + _QUERY_BATCH], k)
            sims[start : start + len(s)] = s
            ids[start : start + len(s)] = i
        return sims, ids


def build_index(
    vectors: np.ndarray, config: IndexConfig | None = None, kind: str | None = None
) -> VectorIndex:
    """An inner-product index over `vectors` (rows must already be L2-normalized)."""
    import faiss

    config = config or IndexConfig()
    if config.threads:
        faiss.omp_set_num_threads(config.threads)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n, d = x.shape
    kind = kind or choose_kind(n, config)
    if kind == "flat" or n == 0:
        index = faiss.IndexFlatIP(d)
        kind = "flat"
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, 2 * config.hnsw_m)
        index.hnsw.efSearch = config.hnsw_ef_search
    elif kind == "ivf":
        nlist = config.ivf_nlist or max(1, int(4 * math.sqrt(n)))
        # FAISS wants ~39 training points per cell; fewer cells beat a warning-riddled, badly trained index.
        nlist = max(1, min(nlist, n // 39 or 1))
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.nprobe = min(config.ivf_nprobe, nlist)
    else:
        raise ValueError(f"unknown index kind {kind!r}")
    if n:
        index.add(x)
    return VectorIndex(kind=kind, size=n, dim=d, _index=index)
