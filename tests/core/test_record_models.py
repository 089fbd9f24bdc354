"""One record model per artifact, each pointing at its entry of the one schema table; older versions read through
that table (plan/1 as it is, dialog/1 through its upgrade); rejects are models with the exact record shape."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError

from toolsynth.artifacts import SCHEMAS, RecordSchema, read_artifact, schema_tag
from toolsynth.errors import InputError
from toolsynth.messages import Message
from toolsynth.plans.record import Plan, PlanReject
from toolsynth.synth.record import CheckResult, Dialog, DialogReject, DialogTurn, RecordSource


def test_each_record_model_carries_its_own_schema_entry() -> None:
    for model, kind in (
        (Plan, "plan"),
        (PlanReject, "plan_reject"),
        (Dialog, "dialog"),
        (DialogReject, "dialog_reject"),
    ):
        assert model.RECORD is SCHEMAS[kind]
        assert model.RECORD.tag == schema_tag(kind)


def test_older_versions_read_only_within_the_table_entry() -> None:
    plan = RecordSchema("plan", 3, oldest=2)
    assert plan.older_version("toolsynth.plan/2") == 2
    for tag in ("toolsynth.plan/3", "toolsynth.plan/1", "toolsynth.plan/x", "toolsynth.dialog/2", None, 7):
        assert plan.older_version(tag) is None
    assert RecordSchema("tool", 1).older_version("toolsynth.tool/0") is None


def _write(path: Path, *records: dict) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def test_reader_passes_plan_1_upgrades_dialog_1_and_refuses_other_versions(tmp_path: Path) -> None:
    old_plan = {"schema": "toolsynth.plan/1", "id": "p"}
    assert list(read_artifact(_write(tmp_path / "p.jsonl", old_plan), "plan")) == [old_plan]
    old_dialog = {"schema": "toolsynth.dialog/1", "id": "d", "messages": [], "turns": []}
    (up,) = read_artifact(_write(tmp_path / "d.jsonl", old_dialog), "dialog")
    assert up["schema"] == "toolsynth.dialog/2"
    for tag, hint in (
        ("toolsynth.plan/3", "different toolsynth version"),
        ("toolsynth.dialog/2", "not a plan"),
    ):
        with pytest.raises(InputError, match=hint) as err:
            list(read_artifact(_write(tmp_path / "bad.jsonl", old_plan, {"schema": tag}), "plan"))
        assert err.value.where.endswith("bad.jsonl:2")


def test_plan_reject_writes_only_the_fields_the_run_had() -> None:
    base = {
        "index": 3,
        "seed": 9,
        "strategy": "magnet",
        "category": "base",
        "tools": ["a"],
        "reason": "no walk",
    }
    magnet = PlanReject(**base, failed_call={"tool": "a", "error": "404"})
    assert list(magnet.to_record()) == [*base, "failed_call"]  # no `raw` key at all, as before the model
    toolflow = PlanReject(**{**base, "strategy": "toolflow"}, raw=None)
    assert toolflow.to_record() == {**base, "strategy": "toolflow", "raw": None}
    assert PlanReject.from_record({"schema": "toolsynth.plan_reject/1", **magnet.to_record()}) == magnet
    with pytest.raises(ValidationError):
        PlanReject.from_record({**base, "surprise": 1})


def _dialog() -> Dialog:
    return Dialog(
        id="d1",
        plan_id="p1",
        strategy="magnet",
        tools=[],
        messages=[Message(role="user", content="hi"), Message(role="assistant", content="hello")],
        turns=[DialogTurn(index=0, start=0, end=2, offered_tools=[], expected="chat", hint="h")],
        checks=[CheckResult(layer="format", turn=0, passed=False, reason="bad")],
    )


def test_dialog_reject_record_is_the_dialog_record_then_failure_then_source() -> None:
    d = _dialog()
    check = d.checks[0]
    rec = DialogReject.of(d, check, source=RecordSource(line=4, format="openai")).to_record()
    # The shape verify and synthesize wrote by hand before the model.
    expected = d.to_record()
    expected["failure"] = {"layer": "format", "turn": 0, "reason": "bad"}
    expected["source"] = {"line": 4, "format": "openai"}
    assert orjson.dumps(rec) == orjson.dumps(expected)
    bare = DialogReject.of(d, None, reason="model error").to_record()
    assert "source" not in bare and bare["failure"] == {"layer": None, "turn": None, "reason": "model error"}
    again = DialogReject.from_record({"schema": "toolsynth.dialog_reject/2", **rec})
    assert orjson.dumps(again.to_record()) == orjson.dumps(rec)
