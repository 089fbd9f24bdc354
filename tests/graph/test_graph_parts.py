"""The pieces of build-graph on their own: model resolution, the embedding cache, FAISS indexes, field helpers,
stats and the HTML view."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from toolsynth.errors import InputError, RecipeError
from toolsynth.graph.build import GraphBuild, build_graph
from toolsynth.graph.config import GraphConfig, IndexConfig, ReturnParamConfig
from toolsynth.graph.edges import TYPES, base_type, compat_matrix, humanize, normalize_name, words
from toolsynth.graph.embed import DEFAULT_MODEL, EmbeddingCache, packaged_model_dir, resolve_model, text_key
from toolsynth.graph.index import build_index, choose_kind
from toolsynth.graph.stats import graph_stats, render_stats
from toolsynth.graph.view import subgraph_html


def test_default_model_is_the_packaged_one() -> None:
    d = packaged_model_dir()
    assert d is not None and (d / "model.safetensors").exists()
    target, identity = resolve_model(DEFAULT_MODEL)
    assert Path(target) == d and identity == DEFAULT_MODEL
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2")[1] == DEFAULT_MODEL
    # A directory path is accepted as is and keyed by its absolute path.
    assert resolve_model(str(d)) == (str(d.resolve()), f"path:{d.resolve()}")


@pytest.mark.parametrize("name", ["no-such-model-xyz", "someone/no-such-model", "./missing/dir", ""])
def test_unknown_model_is_a_recipe_error(name: str) -> None:
    with pytest.raises(RecipeError) as err:
        resolve_model(name)
    assert err.value.where == "graph.embedding.model"


def test_model_directory_must_look_like_a_model(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not a sentence-transformers model directory"):
        resolve_model(str(tmp_path))


def test_cache_shards_round_trip_and_survive_damage(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    cache = EmbeddingCache(tmp_path, "m")
    keys = [text_key(f"t{i}") for i in range(5)]
    vecs = rng.standard_normal((5, 4)).astype(np.float32)
    cache.add(keys[:3], vecs[:3])
    cache2 = EmbeddingCache(tmp_path, "m")
    hit, got = cache2.get(keys)
    assert hit == [0, 1, 2] and np.allclose(got, vecs[:3])
    cache2.add(keys[3:], vecs[3:])
    (cache2.dir / "shard-zzz-broken.npz").write_bytes(b"not a zip")
    hit, got = EmbeddingCache(tmp_path, "m").get(keys)
    assert hit == [0, 1, 2, 3, 4] and np.allclose(got, vecs)
    # Another model never sees these vectors.
    assert EmbeddingCache(tmp_path, "other").get(keys) == ([], None)


def test_cache_compacts_many_shards(tmp_path: Path) -> None:
    for i in range(20):
        EmbeddingCache(tmp_path, "m").add([text_key(str(i))], np.full((1, 2), i, dtype=np.float32))
    c = EmbeddingCache(tmp_path, "m")
    hit, got = c.get([text_key(str(i)) for i in range(20)])
    assert hit == list(range(20)) and got[:, 0].tolist() == list(range(20))
    assert len(list(c.dir.glob("shard-*.npz"))) == 1


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_index_kinds_find_neighbours(kind: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[:200] + 0.05 * rng.standard_normal((200, 32)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    exact = np.argsort(-(q @ x.T), axis=1)[:, :10]
    idx = build_index(x, IndexConfig(kind=kind, ivf_nprobe=16))
    assert idx.kind == kind
    sims, ids = idx.search(q, 10)
    assert ids.shape == (200, 10)
    assert (ids[:, 0] == np.arange(200)).mean() > 0.95
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact, strict=True)])
    assert recall > (0.999 if kind == "flat" else 0.6)
    assert np.all(np.diff(sims, axis=1) <= 1e-5)  # best first


def test_index_choice_and_small_inputs() -> None:
    assert choose_kind(10, IndexConfig()) == "flat"
    assert choose_kind(10**6, IndexConfig()) == "hnsw"
    assert choose_kind(10, IndexConfig(kind="ivf")) == "ivf"
    x = np.eye(3, dtype=np.float32)
    sims, ids = build_index(x).search(x, 10)  # k above the index size is clipped
    assert ids.shape == (3, 3) and ids[:, 0].tolist() == [0, 1, 2]


def test_field_name_helpers() -> None:
    assert words("originSkyId") == ["origin", "sky", "id"]
    assert words("items[].unitPrice") == ["items", "unit", "price"]
    assert normalize_name("pageNumber") == normalize_name("page_number") == "page_number"
    assert humanize("HTTPStatus") == "http status"
    assert base_type("array[string]") == "array" and base_type("string|null") == "string"
    assert base_type("weird") == "any"


def test_type_compatibility() -> None:
    cfg = ReturnParamConfig()
    m = compat_matrix(cfg)
    t = {name: i for i, name in enumerate(TYPES)}
    assert m[t["integer"], t["number"]] == 1.0
    assert m[t["number"], t["string"]] == cfg.convertible_weight
    assert m[t["string"], t["number"]] == cfg.unlikely_weight
    assert m[t["boolean"], t["object"]] == 0.0
    assert m[t["any"], t["object"]] == 1.0
    assert (compat_matrix(ReturnParamConfig(type_check=False)) == 1).all()


def test_empty_catalog_and_duplicate_names(bfcl_two) -> None:
    with pytest.raises(InputError, match="no tools"):
        build_graph([], GraphConfig())
    with pytest.raises(InputError, match="unique"):
        build_graph([bfcl_two[0], bfcl_two[0]], GraphConfig())


def test_stats(bfcl_build: GraphBuild) -> None:
    st = graph_stats(bfcl_build.graph, top=3)
    assert st["nodes"] == 36
    assert sum(st["edges_by_kind"].values()) == st["edges"] == len(bfcl_build.graph.edges)
    assert st["components"]["largest"] <= 36 and sum(st["components"]["sizes"]) <= 36
    rp = st["per_kind"]["return_param"]["out_degree"]
    assert rp["max"] <= 8 and sum(rp["histogram"].values()) == 36
    assert len(st["top_edges"]["return_param"]) == 3
    text = render_stats(st)
    assert "edges by kind" in text and "components:" in text and "top return_param edges" in text
    assert "return:booking_id ~ param:booking_id" in text


def test_view_html(bfcl_build: GraphBuild) -> None:
    page = subgraph_html(bfcl_build.graph, "book_flight")
    assert page.startswith("<!doctype html>") and "<svg" in page and "</svg>" in page
    assert "cancel_booking" in page and "return:booking_id" in page
    assert "<script" not in page
    with pytest.raises(InputError, match="did you mean book_flight"):
        subgraph_html(bfcl_build.graph, "book_flight_x")
