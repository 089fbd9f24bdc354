"""`--shard I/N` + `toolsynth merge` give the unsharded run's bytes; merge refuses what is not one run's shards."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.errors import InputError
from toolsynth.shard import Shard, id_shard, parse_shard
from toolsynth.testing.scripted import ScriptedModel


def _cli(*args: str) -> str:
    r = CliRunner().invoke(app, list(args), catch_exceptions=True)
    if r.exit_code != 0:
        raise AssertionError(f"exit {r.exit_code}: {r.output} {r.exception!r}")
    return r.stdout


def _fail(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, list(args), catch_exceptions=True)
    # In-process, the error reaches the runner as the exception `toolsynth.cli.main` turns into its exit code.
    exc = r.exception
    assert isinstance(exc, InputError), (r.exit_code, r.output, exc)
    return exc.exit_code, exc.one_line()


@pytest.fixture
def scripted():
    from bfcl_plan_fixtures import install_good_model

    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def test_partitions_have_no_overlap_and_no_gap():
    ids = [f"plan-{i:05x}" for i in range(2000)]
    for n in (1, 2, 3, 7):
        owners = [[s for s in range(n) if Shard(s, n).owns(i)] for i in ids]
        assert all(len(o) == 1 for o in owners)
        slots = [list(Shard(s, n).slots(101)) for s in range(n)]
        assert sum(slots, []) == list(range(101))
    assert {id_shard(i, 4) for i in ids} == {0, 1, 2, 3}
    assert parse_shard(" 2/5 ") == Shard(2, 5) and parse_shard(None) is None
    for bad in ("5/5", "1/0", "a/3", "-1/3", "1"):
        with pytest.raises(InputError, match="--shard"):
            parse_shard(bad)


def test_sample_plans_shards_merge_to_the_unsharded_bytes(bfcl_graph_dir: Path, tmp_path: Path):
    base = ["sample-plans", str(bfcl_graph_dir), "-n", "120", "--seed", "3"]
    _cli(*base, "-o", str(tmp_path / "all" / "plans.jsonl"))
    shards = []
    for i in (2, 0, 1):  # any order on the command line
        out = tmp_path / f"s{i}" / "plans.jsonl"
        _cli(*base, "-o", str(out), "--shard", f"{i}/3")
        shards.append(str(out))
        assert read_manifest(out)["options"]["shard"] == {"index": i, "count": 3}
    merged = tmp_path / "merged" / "plans.jsonl"
    _cli("merge", *shards, "-o", str(merged))
    assert merged.read_bytes() == (tmp_path / "all" / "plans.jsonl").read_bytes()
    assert (tmp_path / "merged" / "plans.rejects.jsonl").read_bytes() == (
        tmp_path / "all" / "plans.rejects.jsonl"
    ).read_bytes()
    m = read_manifest(merged)
    assert m["counts"]["plans"] == len(list(read_artifact(merged, "plan")))
    assert [e["shard"]["index"] for e in m["merged_from"]] == [0, 1, 2]
    assert "shard" not in m["options"] and m["options"]["n"] == 120

    # incomplete, repeated, other settings: refused with the file named, exit 2
    code, msg = _fail("merge", shards[0], shards[1], "-o", str(tmp_path / "x.jsonl"))
    assert code == 2 and "shards missing: 1/3" in msg
    code, msg = _fail("merge", shards[0], shards[0], shards[1], "-o", str(tmp_path / "x.jsonl"))
    assert code == 2 and "given twice" in msg
    other = tmp_path / "o" / "plans.jsonl"
    _cli("sample-plans", str(bfcl_graph_dir), "-n", "120", "--seed", "4", "-o", str(other), "--shard", "2/3")
    code, msg = _fail("merge", shards[1], shards[2], str(other), "-o", str(tmp_path / "x.jsonl"))
    assert code == 2 and "other settings" in msg and "seed" in msg
    assert not (tmp_path / "x.jsonl").exists()


def test_synthesize_shards_merge_to_the_unsharded_bytes(scripted, tmp_path: Path):
    from bfcl_plan_fixtures import all_plans

    plans = tmp_path / "plans.jsonl"
    recs = [
        p.model_copy(update={"seed": p.seed + 100 * s, "id": ""}).with_id().to_record()
        for s in range(3)
        for p in all_plans()
    ]
    recs.append(recs[3])  # a repeated plan is one dialog, sharded or not
    write_artifact(plans, "plan", recs)
    # Rejected dialogs too: every assistant turn that is due to ask calls instead in seed block 1.
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "Ask the user" in r.messages[0]["content"] and "101" in r.text, None
    )
    common = ["--model", "scripted/good", "--no-cache", "--concurrency", "3"]
    whole = tmp_path / "all" / "dialogs.jsonl"
    _cli("synthesize", str(plans), "-o", str(whole), *common)
    outs = []
    for i in range(3):
        out = tmp_path / f"s{i}" / "dialogs.jsonl"
        _cli("synthesize", str(plans), "-o", str(out), "--shard", f"{i}/3", *common)
        outs.append(str(out))
    sizes = [len(list(read_artifact(o, "dialog"))) for o in outs]
    assert sum(sizes) == len(list(read_artifact(whole, "dialog"))) and all(sizes)
    merged = tmp_path / "m" / "dialogs.jsonl"
    summary = orjson.loads(_cli("merge", *outs, "-o", str(merged), "--json"))
    assert merged.read_bytes() == whole.read_bytes()
    rej = (tmp_path / "all" / "dialogs.rejects.jsonl").read_bytes()
    assert (tmp_path / "m" / "dialogs.rejects.jsonl").read_bytes() == rej
    assert summary["shards"] == 3 and summary["records"] == len(list(read_artifact(whole, "dialog")))
    m, w = read_manifest(merged), read_manifest(whole)
    for key in ("accepted", "rejected", "plans", "checks", "turns"):
        assert m["counts"][key] == w["counts"][key], key
    assert m["options"]["fingerprint"] == w["options"]["fingerprint"]
    # The usage is the shards' summed (the gateway's totals also count requests that dialogs share, so they
    # depend on which dialogs ran together; the dialogs' own usage is in the records, identical above).
    shard_calls = [read_manifest(o)["usage"]["total"]["calls"] for o in outs]
    assert m["usage"]["total"]["calls"] == sum(shard_calls) > 0
    assert [e["usage"]["total"]["calls"] for e in m["merged_from"]] == shard_calls
    # a rerun of the unsharded command on the merged output has nothing left to make
    again = orjson.loads(_cli("synthesize", str(plans), "-o", str(merged), *common, "--json"))
    assert again["resumed_from_journal"] == again["plans"] == 15 and merged.read_bytes() == whole.read_bytes()


def _dialog(did: str, x: int) -> dict:
    msgs = [{"role": "user", "content": f"hello {x}"}, {"role": "assistant", "content": "hi"}]
    turns = [{"index": 0, "start": 0, "end": 2, "offered_tools": [], "expected": "chat"}]
    return {"id": did, "plan_id": "p", "strategy": "magnet", "tools": [], "messages": msgs, "turns": turns}


def test_merge_refuses_mixed_kinds_and_conflicting_records(tmp_path: Path):
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_artifact(a, "dialog", [_dialog("d1", 1), _dialog("d2", 2)])
    write_artifact(b, "dialog", [_dialog("d2", 3)])
    write_artifact(c, "tool", [{"name": "t"}])
    code, msg = _fail("merge", str(a), str(b), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2 and "two different records with id 'd2'" in msg
    assert not (tmp_path / "out.jsonl").exists()
    code, msg = _fail("merge", str(a), str(c), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2 and "c.jsonl" in msg and "cannot merge" in msg
    code, msg = _fail("merge", str(a), "-o", str(a))
    assert code == 2 and "also an input" in msg
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(orjson.dumps({"schema": "toolsynth.dialog/1", **_dialog("z", 0)}) + b"\n{oops\n")
    code, msg = _fail("merge", str(a), str(bad), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2 and "bad.jsonl:2" in msg
    bad.write_bytes(orjson.dumps({"schema": "toolsynth.dialog/1", "id": "z", "messages": []}) + b"\n")
    code, msg = _fail("merge", str(a), str(bad), "-o", str(tmp_path / "out.jsonl"))
    assert code == 2 and "bad.jsonl:1" in msg and "invalid dialog record" in msg
    # the same record in two plain inputs is written once, in id order
    write_artifact(b, "dialog", [_dialog("d0", 0), _dialog("d2", 2)])
    _cli("merge", str(b), str(a), "-o", str(tmp_path / "out.jsonl"))
    got = list(read_artifact(tmp_path / "out.jsonl", "dialog"))
    assert [r["messages"][0]["content"] for r in got] == ["hello 0", "hello 1", "hello 2"]
    assert read_manifest(tmp_path / "out.jsonl")["counts"]["accepted"] == 3
