"""Fixtures for the build-graph tests: BFCL `travel_booking` + `gorilla_file_system`, embedded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolsynth.catalog.load import load_catalog
from toolsynth.catalog.model import Tool
from toolsynth.graph.build import GraphBuild, build_graph, make_embedder
from toolsynth.graph.config import GraphConfig

BFCL_FILES = ("travel_booking.json", "gorilla_file_system.json")


@pytest.fixture(scope="session")
def bfcl_two(shared_catalogs: Path) -> list[Tool]:
    tools: list[Tool] = []
    for name in BFCL_FILES:
        tools += load_catalog(shared_catalogs / "bfcl" / "multi_turn_func_doc" / name).tools
    return tools


@pytest.fixture(scope="session")
def embed_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embeddings")


@pytest.fixture(scope="session")
def graph_config(embed_cache: Path) -> GraphConfig:
    cfg = GraphConfig()
    cfg.embedding.cache_dir = str(embed_cache)
    return cfg


@pytest.fixture(scope="session")
def embedder(graph_config: GraphConfig):
    """One loaded model for the whole session; later builds share it (and its cache directory)."""
    return make_embedder(graph_config)


@pytest.fixture(scope="session")
def bfcl_build(bfcl_two: list[Tool], graph_config: GraphConfig, embedder) -> GraphBuild:
    return build_graph(bfcl_two, graph_config, embedder=embedder)
