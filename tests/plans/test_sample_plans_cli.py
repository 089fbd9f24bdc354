"""`toolsynth sample-plans` end to end on the BFCL multi-turn graph (MAGNET: no model involved)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, read_manifest
from toolsynth.cli import app


def _run(*args: str) -> str:
    r = CliRunner().invoke(app, ["sample-plans", *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_same_graph_and_seed_give_byte_identical_plans(bfcl_graph_dir: Path, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a" / "plans.jsonl", tmp_path / "b" / "plans.jsonl", tmp_path / "c" / "plans.jsonl"
    _run(str(bfcl_graph_dir), "-o", str(a), "-n", "200", "--seed", "5")
    _run(str(bfcl_graph_dir), "-o", str(b), "-n", "200", "--seed", "5")
    _run(str(bfcl_graph_dir), "-o", str(c), "-n", "200", "--seed", "6")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    records = list(read_artifact(a, "plan"))
    assert len(records) == 200
    assert (tmp_path / "a" / "plans.rejects.jsonl").exists()


def test_json_summary_and_manifest(bfcl_graph_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "plans.jsonl"
    text = _run(str(bfcl_graph_dir), "-o", str(out), "-n", "400", "--seed", "1", "--json")
    # The runner mixes stderr in: a warning about rejected plans may precede the JSON on stdout.
    summary = json.loads(text[text.index("\n{") + 1 :] if not text.startswith("{") else text)
    stats = summary["stats"]
    assert stats["plans"] + stats["rejects"] == 400
    assert stats["max_category_gap_points"] <= 2.0
    assert stats["coverage"]["catalog_tools"] == 162
    assert stats["coverage"]["share"] > 0.9
    assert 0 <= stats["coverage"]["gini"] < 0.5
    manifest = read_manifest(out)
    assert manifest is not None
    assert manifest["counts"]["plans"] == stats["plans"]
    assert manifest["usage"] == {}  # MAGNET asks no model
    assert manifest["stats"]["categories"] == stats["categories"]
    assert manifest["options"]["strategy"] == "magnet"


def test_stats_table_and_recipe_settings(bfcl_graph_dir: Path, tmp_path: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "strategy: magnet\nseed: 3\ncatalog: x\nplans:\n  n: 120\n  subset_size: [3, 3]\n"
        "  magnet:\n    category_targets: {base: 0.5, miss_param: 0.5}\n"
    )
    out = tmp_path / "plans.jsonl"
    text = _run(str(bfcl_graph_dir), "-o", str(out), "--recipe", str(recipe), "--stats")
    assert "category mix" in text and "miss_param" in text and "coverage" in text
    plans = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert len(plans) == 120
    assert {p["category"] for p in plans} == {"base", "miss_param"}
    assert sum(p["category"] == "miss_param" for p in plans) == 60


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolsynth",
            "sample-plans",
            str(tmp_path / "nope"),
            "-o",
            str(tmp_path / "p.jsonl"),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("strategy: magnet\ncatalog: x\nplans:\n  magnet:\n    category_targets: {base: 0.7}\n")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "toolsynth",
            "sample-plans",
            str(tmp_path),
            "-o",
            "p.jsonl",
            "--recipe",
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and "category_targets" in r.stderr and "sum to 1" in r.stderr
