"""The scale tests drive stages with the fixtures of the synth and plans tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for sub in ("synth", "plans"):
    p = str(HERE.parent / sub)
    if p not in sys.path:
        sys.path.insert(0, p)


@pytest.fixture(scope="session")
def bfcl_graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from plan_graphs import bfcl_tools, lexical_graph, write_graph

    return write_graph(lexical_graph(bfcl_tools()), tmp_path_factory.mktemp("graph"))
