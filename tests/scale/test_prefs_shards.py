"""`make-preferences --shard I/N` + `toolsynth merge` give the unsharded run's bytes (pairs are ordered by dialog,
then pair id, which merge keeps)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.testing.scripted import ScriptedModel

COMMON = ["--model", "scripted/good", "--no-cache", "--concurrency", "3", "--json"]


def _cli(*args: str) -> dict:
    r = CliRunner().invoke(app, list(args), catch_exceptions=True)
    if r.exit_code != 0:
        raise AssertionError(f"exit {r.exit_code}: {r.output} {r.exception!r}")
    return orjson.loads(r.stdout)


@pytest.fixture
def dialogs(tmp_path: Path) -> Path:
    from bfcl_plan_fixtures import all_plans, install_good_model

    ScriptedModel.reset()
    install_good_model()
    plans = tmp_path / "plans.jsonl"
    recs = [
        p.model_copy(update={"seed": p.seed + 100 * s, "id": ""}).with_id().to_record()
        for s in range(3)
        for p in all_plans()
    ]
    write_artifact(plans, "plan", recs)
    out = tmp_path / "dialogs.jsonl"
    _cli("synthesize", str(plans), "-o", str(out), *COMMON)
    yield out
    ScriptedModel.reset()


def test_make_preferences_shards_merge_to_the_unsharded_bytes(dialogs: Path, tmp_path: Path):
    whole = tmp_path / "all" / "preferences.jsonl"
    w = _cli("make-preferences", str(dialogs), "-o", str(whole), *COMMON)
    outs, sizes = [], []
    for i in (1, 0, 2):
        out = tmp_path / f"s{i}" / "preferences.jsonl"
        s = _cli("make-preferences", str(dialogs), "-o", str(out), "--shard", f"{i}/3", *COMMON)
        assert read_manifest(out)["options"]["shard"] == {"index": i, "count": 3}
        outs.append(str(out))
        sizes.append(s["dialogs"])
    assert sum(sizes) == w["dialogs"] == 15 and all(sizes)  # no overlap, no gap
    # pair ids are hashes: the unsharded file is in dialog order, not pair-id order, and merge must keep that
    recs = list(read_artifact(whole, "preference"))
    assert [r["id"] for r in recs] != sorted(r["id"] for r in recs)
    merged = tmp_path / "m" / "preferences.jsonl"
    summary = _cli("merge", *outs, "-o", str(merged), "--json")
    assert merged.read_bytes() == whole.read_bytes()
    assert summary["shards"] == 3 and summary["records"] == w["pairs"] == len(recs)
    m, u = read_manifest(merged)["counts"], read_manifest(whole)["counts"]
    for key in (
        "dialogs",
        "pairs",
        "failed_dialogs",
        "candidates",
        "by_kind",
        "by_error",
        "pairs_per_dialog",
    ):
        assert m[key] == u[key], key
    # a missing shard is refused like any stage's
    r = CliRunner().invoke(app, ["merge", outs[0], outs[1], "-o", str(tmp_path / "x.jsonl")])
    assert r.exit_code == 2 or getattr(r.exception, "exit_code", None) == 2
    assert not (tmp_path / "x.jsonl").exists()
