"""Fixtures for the sample-plans tests: the BFCL multi-turn catalog as a tool graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_graphs import bfcl_tools, lexical_graph, write_graph

from toolsynth.graph.store import ToolGraph


@pytest.fixture(scope="session")
def bfcl_graph() -> ToolGraph:
    return lexical_graph(bfcl_tools())


@pytest.fixture(scope="session")
def bfcl_graph_dir(tmp_path_factory: pytest.TempPathFactory, bfcl_graph: ToolGraph) -> Path:
    return write_graph(bfcl_graph, tmp_path_factory.mktemp("graph"))
