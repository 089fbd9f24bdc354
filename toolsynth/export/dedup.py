"""Near-duplicate dialogs: FAISS range search over embeddings of each dialog's user turns.

The embedding model and its on-disk cache are build-graph's (`toolsynth/graph/embed.py`), so a dialog text embedded
once is never embedded again. Greedy in input order: a dialog is dropped when it lies within the threshold of an
earlier dialog that was kept, so the first of a group of near-copies survives.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def dialog_text(user_texts: Sequence[str]) -> str:
    return "\n".join(t.strip() for t in user_texts if t.strip())


def near_duplicates(
    texts: Sequence[str], threshold: float, *, model: str, cache_dir: Path | None, batch_size: int = 64
) -> tuple[dict[int, int], dict[str, Any]]:
    """{index of a dropped text: index of the kept text it duplicates}, and the embedder's statistics."""
    if len(texts) < 2:
        return {}, {}
    import faiss

    from toolsynth.graph.embed import Embedder

    embedder = Embedder(model=model, cache_dir=cache_dir, batch_size=batch_size)
    vecs = np.ascontiguousarray(embedder.embed(list(texts)), dtype=np.float32)
    index = faiss.IndexFlatIP(vecs.shape[1])
    index.add(vecs)
    # Vectors are L2-normalized, so inner product is cosine; a hair below the threshold absorbs float error.
    lims, sims, ids = index.range_search(vecs, float(threshold) - 1e-6)
    dropped: dict[int, int] = {}
    for i in range(len(texts)):
        if i in dropped:
            continue
        for j, s in zip(ids[lims[i] : lims[i + 1]], sims[lims[i] : lims[i + 1]], strict=True):
            j = int(j)
            if j > i and j not in dropped and s >= threshold - 1e-6:
                dropped[j] = i
    return dropped, embedder.stats.to_dict()
