"""synthesize's plan reader: everything validated before work, then streamed; repeats, limit and shard applied alike."""

from __future__ import annotations

import orjson
import pytest
from bfcl_plan_fixtures import all_plans

from toolsynth.artifacts import write_artifact
from toolsynth.errors import InputError
from toolsynth.shard import Shard
from toolsynth.synth.plan_source import PlanSource


def _plans(n_seeds: int) -> list[dict]:
    return [
        p.model_copy(update={"seed": p.seed + 100 * s, "id": ""}).with_id().to_record()
        for s in range(n_seeds)
        for p in all_plans()
    ]


def test_repeats_limit_and_shards_select_the_same_plans_in_both_passes(tmp_path):
    recs = _plans(4)
    path = tmp_path / "plans.jsonl"
    write_artifact(path, "plan", [*recs[:7], recs[2], *recs[7:]])  # one plan twice
    whole = PlanSource(path, limit=12)
    assert whole.scan() == 12
    ids = [p.id for p in whole]
    assert ids == [r["id"] for r in recs[:12]]
    parts = [PlanSource(path, limit=12, shard=Shard(i, 3)) for i in range(3)]
    got = [[p.id for p in part] for part in parts]
    assert sorted(sum(got, [])) == sorted(ids) and [len(part) for part in parts] == [len(g) for g in got]


def test_a_broken_plan_far_down_stops_the_scan_and_a_changed_file_stops_the_stream(tmp_path):
    recs = _plans(4)
    path = tmp_path / "plans.jsonl"
    bad = {**recs[-1], "turns": [{"index": 0, "intent": "x", "offered_tools": ["nope"]}]}
    write_artifact(path, "plan", [*recs[:-1], bad])
    with pytest.raises(InputError, match=r"plans.jsonl:20: .*(offers tools with no definition|invalid plan)"):
        PlanSource(path).scan()
    write_artifact(path, "plan", recs)
    src = PlanSource(path)
    src.scan()
    with open(path, "ab") as fh:
        fh.write(orjson.dumps({"schema": "toolsynth.plan/1", **recs[0]}) + b"\n")
    with pytest.raises(InputError, match="changed after it was checked"):
        next(iter(src))
