"""dialog/2: per-step hints and tool_choice, the plan's full expected action, result sources, failed attempts kept;
dialog/1 files still read through the migration."""

from __future__ import annotations

import orjson
from bfcl_plan_fixtures import HINT_MARK, fs_split_plan, ticket_nested_plan, trading_missing_function_plan
from prefs_fixtures import accepted, synthesize

from toolsynth.artifacts import read_artifact, write_artifact
from toolsynth.synth.ingest import read_dialogs
from toolsynth.synth.record import Dialog
from toolsynth.testing.scripted import ScriptedModel


def test_every_step_keeps_its_hint_and_tool_choice_and_every_result_its_source():
    plan = ticket_nested_plan()
    d = accepted(plan)
    t0 = d.turns[0]
    # create_ticket, then get_ticket (needs the first's output), then the answer: three steps, three hints
    assert [s.tool_choice for s in t0.steps] == ["required", "required", "none"]
    assert [d.messages[s.message].role for s in t0.steps] == ["assistant"] * 3
    assert "create_ticket(" in t0.steps[0].hint and "get_ticket(" in t0.steps[1].hint
    assert t0.steps[1].hint != t0.steps[0].hint and t0.hint == t0.steps[0].hint
    assert t0.planned == plan.turns[0].expected  # the whole expected action, depends_on included
    assert t0.planned.calls[1].depends_on[0].field == "id"
    assert [(r.source, r.error) for r in t0.results] == [("executed", False), ("executed", False)]
    assert [d.messages[r.message].tool_call_id for r in t0.results] == [r.tool_call_id for r in t0.results]
    # the hint is never in the messages
    assert all(HINT_MARK not in (m.content or "") for m in d.messages)


def test_split_and_missing_function_turns_keep_what_the_plan_withheld():
    d = accepted(fs_split_plan())
    assert d.turns[1].planned.kind == "ask" and d.turns[1].planned.missing == ["mkdir.dir_name"]
    assert [s.tool_choice for s in d.turns[1].steps] == ["none"]
    m = accepted(trading_missing_function_plan())
    assert m.turns[1].planned.withheld_tools == ["get_stock_info"]


def test_a_failed_attempt_is_kept_with_its_failing_check():
    # The first answer to the mkdir hint leaves the required name out: format fails, the turn is generated again.
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "mkdir(" in (r.messages[0].get("content") or ""),
        {"tool_calls": [{"name": "mkdir", "arguments": {}}]},
        times=1,
        first=True,
    )
    out = synthesize(fs_split_plan())
    assert out.accepted
    t2 = out.dialog.turns[2]
    assert t2.attempts == 2 and len(t2.failed_attempts) == 1
    fa = t2.failed_attempts[0]
    assert fa.failure.layer == "format" and "'dir_name' is a required property" in fa.failure.reason
    assert fa.messages[0].role == "user" and fa.messages[1].tool_calls[0].arguments == {}
    assert [r.source for r in fa.results] == ["rejected"]
    assert fa.steps[0].message == t2.start + 1 and fa.steps[0].tool_choice == "required"


def _as_v1(rec: dict) -> dict:
    old = {k: v for k, v in rec.items()}
    old["schema"] = "toolsynth.dialog/1"
    old["turns"] = [
        {k: v for k, v in t.items() if k not in ("planned", "steps", "results", "failed_attempts")}
        for t in rec["turns"]
    ]
    return old


def test_dialog_1_records_read_through_the_migration(tmp_path):
    d = accepted(fs_split_plan())
    v2 = d.to_record()
    path = tmp_path / "old.jsonl"
    path.write_bytes(orjson.dumps(_as_v1({"schema": "toolsynth.dialog/2", **v2})) + b"\n")
    (rec,) = read_artifact(path, "dialog")
    assert rec["schema"] == "toolsynth.dialog/2"
    old = Dialog.from_record(rec)
    assert old.messages == d.messages
    for new_t, old_t in zip(d.turns, old.turns, strict=True):
        assert [s.message for s in old_t.steps] == [s.message for s in new_t.steps]
        assert old_t.steps[0].hint == new_t.hint and old_t.steps[0].tool_choice is None
        assert [r.message for r in old_t.results] == [r.message for r in new_t.results]
        assert all(r.source is None for r in old_t.results) and old_t.planned is None
    # and through verify's reader, which takes any dialog file
    ((_, fmt, via_ingest),) = list(read_dialogs(path))
    assert fmt == "canonical" and via_ingest.turns == old.turns


def test_a_newer_or_foreign_tag_is_still_refused(tmp_path):
    import pytest

    from toolsynth.errors import InputError

    path = tmp_path / "x.jsonl"
    write_artifact(path, "plan", [{"id": "p"}])
    with pytest.raises(InputError, match="not a dialog artifact"):
        list(read_artifact(path, "dialog"))
    path.write_bytes(b'{"schema": "toolsynth.dialog/9", "id": "d"}\n')
    with pytest.raises(InputError, match="different toolsynth version"):
        list(read_artifact(path, "dialog"))
