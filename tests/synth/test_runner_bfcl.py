"""The dialog loop on real BFCL classes: state carried across turns, regeneration with rollback, rejection."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from bfcl_plan_fixtures import (
    HINT_MARK,
    fs_split_plan,
    install_good_model,
    message_plan,
    scripted_gateway,
    ticket_nested_plan,
    trading_missing_function_plan,
)

from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def _run(plan, **cfg):
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig(**cfg))
    return asyncio.run(synthesize_dialog(plan, ctx))


def _results(dialog, turn):
    t = dialog.turns[turn]
    return [orjson.loads(m.content) for m in dialog.messages[t.start : t.end] if m.role == "tool"]


def _calls(dialog, turn):
    t = dialog.turns[turn]
    return [c for m in dialog.messages[t.start : t.end] for c in m.tool_calls]


def test_file_system_state_carries_from_mkdir_two_turns_later_into_ls():
    out = _run(fs_split_plan())
    d = out.dialog
    assert out.accepted, out.failure
    assert d.backend == "bfcl" and d.backend_spec["classes"] == ["GorillaFileSystem"]
    assert _results(d, 0) == [{"current_working_directory": "document"}]
    assert _calls(d, 1) == []  # the split turn asked
    assert [c.arguments for c in _calls(d, 2)] == [{"dir_name": "drafts"}]
    # ls ran in /alex/document (cd of turn 0) and sees the folder made in turn 2
    assert _results(d, 3) == [{"current_directory_content": ["report.txt", "drafts"]}]
    assert all(c.passed is not False for c in d.checks)
    assert {(c.turn, c.layer) for c in d.checks if c.layer == "execution" and c.passed} == {
        (0, "execution"),
        (2, "execution"),
        (3, "execution"),
    }


def test_ticket_nested_call_takes_its_argument_from_the_real_output_and_close_sees_it():
    out = _run(ticket_nested_plan())
    d = out.dialog
    assert out.accepted, out.failure
    created, fetched = _results(d, 0)
    get_call = _calls(d, 0)[1]
    assert get_call.name == "get_ticket" and get_call.arguments == {"ticket_id": created["id"]}
    assert fetched["title"] == "Printer jam on floor 3" and fetched["created_by"] == "alice"
    assert _results(d, 1) == [{"status": f"Ticket {created['id']} has been closed successfully."}]
    # the two calls of turn 0 came in two assistant steps: the second needed the first's result
    t0 = d.messages[d.turns[0].start : d.turns[0].end]
    assert [m.role for m in t0] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]


def test_message_login_state_carries_and_never_leaks_into_another_dialog():
    plans = [message_plan(seed=3), message_plan(seed=30)]
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())

    async def both():
        return await asyncio.gather(*(synthesize_dialog(p, ctx) for p in plans))

    for out in asyncio.run(both()):
        d = out.dialog
        assert out.accepted, out.failure
        assert _results(d, 1)[0]["sent_status"] is True  # only possible because the login of turn 0 held
        sent = _results(d, 2)[0]["messages"]["USR002"]
        assert sent.count("Lunch at noon?") == 1  # each dialog has its own MessageAPI instance


def test_failed_turn_is_rolled_back_and_regenerated_with_the_failure_in_the_hint():
    """Turn 3 expects `ls`; the first try calls mkdir("oops") (a real state change). The turn fails adherence, the
    state is rolled back, and the second try's ls must not see "oops"."""
    ScriptedModel.add_rule(
        lambda r: (
            r.tools is not None
            and "Make this tool call now: ls(" in r.messages[0]["content"]
            and "previous attempt" not in r.messages[0]["content"]
        ),
        {"tool_calls": [{"name": "mkdir", "arguments": {"dir_name": "oops"}}]},
        times=1,
        first=True,
    )
    out = _run(fs_split_plan())
    d = out.dialog
    assert out.accepted, out.failure
    assert d.turns[3].attempts == 2
    assert "previous attempt at this step was rejected: adherence check: called but not planned: mkdir" in (
        d.turns[3].hint
    )
    assert _results(d, 3) == [{"current_directory_content": ["report.txt", "drafts"]}]
    assert all("oops" not in (m.content or "") for m in d.messages)
    # the rejected attempt left no messages and no call ids behind
    ids = [c.id for m in d.messages for c in m.tool_calls]
    assert ids == [f"call_{i}" for i in range(1, len(ids) + 1)]


def test_call_on_a_split_turn_is_rejected_after_the_regeneration_budget():
    ScriptedModel.add_rule(
        lambda r: (
            r.tools is not None and "Ask the user" in r.messages[0]["content"] and r.last["role"] == "user"
        ),
        {"tool_calls": [{"name": "mkdir", "arguments": {"dir_name": "new_folder"}}]},
        first=True,
    )
    out = _run(fs_split_plan(), max_regenerations=2)
    assert not out.accepted
    assert (out.failure.layer, out.failure.turn) == ("adherence", 1)
    assert "expected a clarifying question, the assistant called mkdir" in out.failure.reason
    assert out.dialog.turns[-1].attempts == 3
    asks = [
        r
        for r in ScriptedModel.calls
        if r.tools is not None and "Ask the user" in r.messages[0]["content"] and r.last["role"] == "user"
    ]
    assert len(asks) == 3
    rec = out.reject_record()
    assert rec["failure"] == {"layer": "adherence", "turn": 1, "reason": out.failure.reason}


def test_withheld_tool_is_never_executed_even_when_the_model_calls_it():
    ScriptedModel.add_rule(
        lambda r: (
            r.tools is not None
            and "not available to you" in r.messages[0]["content"]
            and r.last["role"] == "user"
        ),
        {"tool_calls": [{"name": "get_stock_info", "arguments": {"symbol": "AAPL"}}]},
        first=True,
    )
    out = _run(trading_missing_function_plan(), max_regenerations=0)
    assert not out.accepted and out.failure.turn == 1 and out.failure.layer == "format"
    assert "get_stock_info: not an offered tool" in out.failure.reason
    (result,) = _results(out.dialog, 1)
    assert result == {"error": "tool 'get_stock_info' is not available"}


def test_judge_rejection_is_required_by_default_and_optional_by_recipe():
    ScriptedModel.add_rule(
        lambda r: r.schema is not None and "action_fits_request" in str(r.schema),
        {"json": {"reason": "wrong folder", "action_fits_request": False, "answer_grounded": True}},
        first=True,
    )
    strict = _run(fs_split_plan(), max_regenerations=0)
    assert not strict.accepted and strict.failure.layer == "semantic"
    lenient = _run(fs_split_plan(), required_checks=["format", "execution", "adherence"])
    assert lenient.accepted
    assert any(c.layer == "semantic" and c.passed is False for c in lenient.dialog.checks)  # still recorded


def test_assistant_requests_carry_the_dialog_so_far_in_canonical_form():
    out = _run(ticket_nested_plan())
    last = [r for r in ScriptedModel.calls if r.tools is not None and HINT_MARK in r.messages[0]["content"]][
        -1
    ]
    sent = last.messages[1:]
    exported = [m.to_openai() for m in out.dialog.messages[1:-1]]
    assert [m["role"] for m in sent] == [m["role"] for m in exported]
    tool_msgs = [m for m in sent if m["role"] == "tool"]
    assert all(m["tool_call_id"].startswith("call_") for m in tool_msgs)


def test_answer_length_caps_apply_only_where_the_recipe_sets_none():
    from bfcl_plan_fixtures import is_user_request

    from toolsynth.llm.config import ModelSettings

    _run(message_plan())
    user_caps = {r.params["max_tokens"] for r in ScriptedModel.calls if is_user_request(r)}
    assert user_caps == {100}
    ScriptedModel.calls.clear()
    gw = scripted_gateway(roles={"user": ModelSettings(max_tokens=40)})
    asyncio.run(synthesize_dialog(message_plan(), SynthContext(gateway=gw, config=SynthConfig())))
    assert {r.params["max_tokens"] for r in ScriptedModel.calls if is_user_request(r)} == {40}
    assert {r.params["max_tokens"] for r in ScriptedModel.calls if r.tools is not None} == {384}


def test_tool_choice_follows_the_plan_unless_the_recipe_turns_it_off():
    out = _run(fs_split_plan())
    assert out.accepted
    choices = [
        (r.messages[0]["content"].split(HINT_MARK, 1)[1][:12], r.params.get("tool_choice"))
        for r in ScriptedModel.calls
        if r.tools is not None
    ]
    assert choices == [
        ("Make this to", "required"),  # turn 0: cd
        ("All the need", "none"),  # its answer
        ("The user has", "none"),  # split turn: ask
        ("Make this to", "required"),  # mkdir
        ("All the need", "none"),
        ("Make this to", "required"),  # ls
        ("All the need", "none"),
    ]
    ScriptedModel.calls.clear()
    _run(fs_split_plan(), steer_tool_choice=False)
    assert all("tool_choice" not in r.params for r in ScriptedModel.calls)


def test_a_call_with_unparsable_arguments_is_kept_marked_never_run_and_fails_format():
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "Make this tool call now: cd(" in r.messages[0]["content"],
        {"tool_calls": [{"name": "cd", "arguments": '{"folder": "document"'}]},
        times=1,
        first=True,
    )
    out = _run(fs_split_plan(), max_regenerations=0)
    assert not out.accepted and (out.failure.layer, out.failure.turn) == ("format", 0)
    assert "arguments are not a JSON object" in out.failure.reason
    (call,) = _calls(out.dialog, 0)
    assert call.name == "cd" and list(call.arguments.values()) == ['{"folder": "document"']
    assert _results(out.dialog, 0) == [{"error": "arguments are not a JSON object"}]
