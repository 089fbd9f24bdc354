"""build-graph's ONNX embedding backend: exported locally from the shipped weights, PyTorch's vectors (fp32), close
ones (int8), cached apart where they differ, and a clear error or fallback where it cannot run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from toolsynth.errors import RecipeError
from toolsynth.graph.embed import Embedder

pytest.importorskip("onnxruntime")

TEXTS = [
    "city: the city to search hotels in (string)",
    "check in date: arrival date, YYYY-MM-DD (string)",
    "id",
    "artist id: Spotify id of the artist returned by search_artist (string)",
    "Look up the current weather for a location and return temperature and conditions",
    "amount: how much money to convert, in the source currency (number) " * 20,  # longer than max_seq_length
    "limit: maximum number of results (integer)",
    "file name: name of the file to create in the current directory (string)",
]


@pytest.mark.slow
def test_fp32_export_gives_pytorch_vectors_and_int8_close_ones(tmp_path):
    torch_vecs = Embedder(backend="torch").embed(TEXTS)
    fp32 = Embedder(backend="onnx", cache_dir=tmp_path / "c")
    int8 = Embedder(backend="onnx-int8", cache_dir=tmp_path / "c")
    a, b = fp32.embed(TEXTS), int8.embed(TEXTS)
    assert a.shape == b.shape == torch_vecs.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert float((a * torch_vecs).sum(axis=1).min()) > 0.9999
    assert float((b * torch_vecs).sum(axis=1).mean()) > 0.98
    assert fp32.stats.to_dict()["backend"] == "onnx" and int8.identity.endswith("#onnx-int8")
    assert fp32.identity != int8.identity  # int8 vectors never answer for fp32 ones from the cache
    again = Embedder(backend="onnx-int8", cache_dir=tmp_path / "c")
    assert np.array_equal(again.embed(TEXTS), b) and not again.stats.model_loaded


def test_a_model_the_onnx_path_cannot_run_is_an_error_or_falls_back(tmp_path):
    d = tmp_path / "odd-model"
    d.mkdir()
    (d / "config.json").write_text("{}")
    (d / "modules.json").write_text(
        json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Dense"}])
    )
    with pytest.raises(RecipeError, match="graph.embedding.backend.*plain transformer"):
        Embedder(model=str(d), backend="onnx")
    assert Embedder(model=str(d), backend="auto").backend == "torch"
    with pytest.raises(RecipeError, match="unknown embedding backend"):
        Embedder(backend="tensorrt")
