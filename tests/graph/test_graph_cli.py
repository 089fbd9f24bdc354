"""`toolsynth build-graph` through the real entry point: bad inputs give one clear line and exit 2; a run on a real
catalog writes the graph directory, stats, the HTML view and a JSON summary (from the warm embedding cache)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from toolsynth.artifacts import write_artifact
from toolsynth.graph.store import EDGES_FILE, NODE_LINK_FILE, NODES_FILE, load_graph


def _toolsynth(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "toolsynth", *map(str, args)], capture_output=True, text=True, cwd=cwd
    )


@pytest.fixture()
def bfcl_dir(shared_catalogs: Path, tmp_path: Path) -> Path:
    d = tmp_path / "cat"
    d.mkdir()
    for name in ("travel_booking.json", "gorilla_file_system.json"):
        shutil.copy(shared_catalogs / "bfcl" / "multi_turn_func_doc" / name, d / name)
    return d


def _one_error_line(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr
    return lines[0]


def test_empty_catalog(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _one_error_line(_toolsynth("build-graph", empty, "-o", tmp_path / "g"))
    assert line == f"error: {empty}: the catalog has no tools to build a graph from"
    tools = tmp_path / "tools.jsonl"
    write_artifact(tools, "tool", [])
    line = _one_error_line(_toolsynth("build-graph", tools, "-o", tmp_path / "g"))
    assert str(tools) in line


def test_unknown_model(bfcl_dir: Path, tmp_path: Path) -> None:
    line = _one_error_line(
        _toolsynth("build-graph", bfcl_dir, "-o", tmp_path / "g", "-m", "no-such-model-xyz")
    )
    assert line.startswith("error: graph.embedding.model: unknown embedding model 'no-such-model-xyz'")
    assert not (tmp_path / "g").exists()  # checked before anything is written


def test_unknown_model_in_recipe(bfcl_dir: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text("strategy: toolflow\ncatalog: cat\ngraph:\n  embedding:\n    model: nope/nothing\n")
    line = _one_error_line(_toolsynth("build-graph", bfcl_dir, "-o", tmp_path / "g", "-r", recipe))
    assert "unknown embedding model 'nope/nothing'" in line
    recipe.write_text("strategy: toolflow\ncatalog: cat\ngraph:\n  return_param:\n    max_outt: 3\n")
    line = _one_error_line(_toolsynth("build-graph", bfcl_dir, "-o", tmp_path / "g", "-r", recipe))
    assert "graph.return_param.max_outt" in line


def test_unwritable_output(bfcl_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    line = _one_error_line(_toolsynth("build-graph", bfcl_dir, "-o", blocker / "g"))
    assert line == f"error: {blocker / 'g'}: cannot create output directory: Not a directory"
    line = _one_error_line(_toolsynth("build-graph", bfcl_dir, "-o", blocker))
    assert line == f"error: {blocker}: output exists and is not a directory"


def test_missing_input_and_unknown_tool(
    bfcl_dir: Path, tmp_path: Path, embed_cache: Path, bfcl_build
) -> None:
    line = _one_error_line(_toolsynth("build-graph", tmp_path / "nope.json", "-o", tmp_path / "g"))
    assert "nope.json" in line
    res = _toolsynth(
        "build-graph", bfcl_dir, "-o", tmp_path / "g", "--cache-dir", embed_cache, "--show", "book_flite"
    )
    line = _one_error_line(res)
    assert line == "error: --show: no tool named 'book_flite' in the graph; did you mean book_flight?"
    assert (tmp_path / "g" / EDGES_FILE).exists()  # the graph itself was written before the view failed


def test_build_stats_show_json(bfcl_dir: Path, tmp_path: Path, embed_cache: Path, bfcl_build) -> None:
    out = tmp_path / "graph"
    res = _toolsynth(
        "build-graph",
        bfcl_dir,
        "-o",
        out,
        "--cache-dir",
        embed_cache,
        "--stats",
        "--show",
        "book_flight",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["tools"] == 36
    assert summary["embedding"]["embedded"] == 0  # the session fixture filled the cache
    assert summary["generic_fields"] == {"access_token": 8, "file_name": 8}
    assert summary["stats"]["edges_by_kind"] == summary["edges"]
    for name in (NODES_FILE, EDGES_FILE, NODE_LINK_FILE, f"{EDGES_FILE}.manifest.json"):
        assert (out / name).exists()
    view = Path(summary["view"])
    assert view == out / "show-book_flight.html" and "<svg" in view.read_text()
    g = load_graph(out)
    assert len(g.edges) == sum(summary["edges"].values())
    assert [e.to_record() for e in g.edges] == [e.to_record() for e in bfcl_build.graph.edges]

    text = _toolsynth("build-graph", bfcl_dir, "-o", out, "--cache-dir", embed_cache, "--stats")
    assert text.returncode == 0, text.stderr
    assert "wrote graph of 36 tools" in text.stdout and "0 new texts" in text.stdout
    assert "generic fields (tools carrying them): file_name (8), access_token (8)" in text.stdout
    assert "components:" in text.stdout and "top return_param edges:" in text.stdout
