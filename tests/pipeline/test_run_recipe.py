"""`toolsynth run RECIPE`: every stage from one recipe, with the scripted model, on the bundled BFCL catalog."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

from toolsynth.artifacts import read_artifact, read_manifest

REPO = Path(__file__).resolve().parents[2]


def _recipe(tmp_path: Path, extra: str = "") -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: e2e\nstrategy: magnet\nseed: 5\n"
        f"catalog: {REPO / 'tool_catalogs' / 'bfcl'}\n"
        "output_dir: out\n"
        "llm: {model: scripted/e2e, concurrency: 4}\n"
        "plans: {n: 4}\n"
        # one embedding cache for the whole test session's runs: the second run embeds nothing
        f"graph: {{embedding: {{cache_dir: {tmp_path.parent / 'emb-cache'}}}}}\n" + extra
    )
    return recipe


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolsynth", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def test_run_writes_every_stage_and_accounts_for_every_plan(tmp_path):
    recipe = _recipe(tmp_path)
    proc = _run("run", str(recipe), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = orjson.loads(proc.stdout)  # stdout holds exactly one JSON document
    assert [s["stage"] for s in summary["stages"]] == [
        "convert",
        "build-graph",
        "sample-plans",
        "synthesize",
        "make-preferences",
        "export",
        "report",
    ]
    assert all(s["status"] == "ran" for s in summary["stages"])
    assert summary["report"] and summary["dataset"]
    out = tmp_path / "out"
    tools = list(read_artifact(out / "tools.jsonl", "tool"))
    assert len(tools) == 36  # travel_booking 18 + gorilla_file_system 18
    assert (out / "graph" / "graph.json").exists()
    plans = list(read_artifact(out / "plans.jsonl", "plan"))
    assert len(plans) == 4
    accepted = list(read_artifact(out / "dialogs.jsonl", "dialog"))
    rejected = list(read_artifact(out / "dialogs.rejects.jsonl", "dialog_reject"))
    # Every plan ends up exactly once, accepted or rejected with its reason.
    assert sorted(d["plan_id"] for d in accepted + rejected) == sorted(p["id"] for p in plans)
    assert all(r["failure"]["layer"] for r in rejected)
    for artifact in ("tools.jsonl", "plans.jsonl", "dialogs.jsonl"):
        assert read_manifest(out / artifact)["toolsynth_version"]
    exported = orjson.loads((out / "export" / "export.manifest.json").read_bytes())
    assert exported["counts"]["dialogs"]["input"] == len(accepted)
    # Plans are reproducible: the same recipe again gives byte-identical plans.
    first = (out / "plans.jsonl").read_bytes()
    again = _run("run", str(recipe), "--until", "sample-plans", "--force", cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "plans.jsonl").read_bytes() == first


def test_broken_recipe_and_bad_stage_are_one_line_errors(tmp_path):
    recipe = _recipe(tmp_path, extra="synth: {max_regenerations: many}\n")
    proc = _run("run", str(recipe), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"error: {recipe}: synth.max_regenerations: Input should be a valid integer, unable to parse string as an integer"
    )
    proc = _run("run", str(_recipe(tmp_path)), "--until", "export-everything", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown stage 'export-everything'" in proc.stderr
    assert not (tmp_path / "out").exists()  # nothing ran
