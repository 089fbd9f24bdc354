"""The plan-grounded assistant: the plan's calls on the real BFCL classes, dependencies from real results, guarded
model text with a rule fallback, and a judge too weak to judge recorded as not run."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from bfcl_plan_fixtures import (
    fs_split_plan,
    install_good_model,
    scripted_gateway,
    ticket_nested_plan,
    trading_missing_function_plan,
)

from toolsynth.plans.record import Dependency
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.grounded import REPLY_SYSTEM, reply_problem, rule_reply
from toolsynth.synth.runner import SynthContext, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel


def is_reply_request(req) -> bool:
    return any(m.get("content") == REPLY_SYSTEM for m in req.messages if m.get("role") == "system")


def good_reply(req):
    """A reply model that answers each kind of turn as the guard wants it, quoting a value from the results."""
    prompt = req.messages[-1]["content"]
    if "Ask for it" in prompt:
        return "Sure, what name should the new folder have?"
    if "cannot do it" in prompt:
        return "Sorry, I can't do that with the tools I have."
    if "You did what was asked" in prompt:
        first_line = prompt.split("You did what was asked and got:\n", 1)[1].split("\n", 1)[0]
        value = orjson.loads(first_line.split(": ", 1)[1].rstrip("…"))
        first = next(iter(value.values())) if isinstance(value, dict) and value else value
        return f"All done, the result is {first}."
    return "Happy to help."


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def _run(plan, **cfg):
    cfg = {"assistant_mode": "grounded", "required_checks": ["format", "execution", "adherence"], **cfg}
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig(**cfg))
    return asyncio.run(synthesize_dialog(plan, ctx))


def _turn_messages(dialog, i):
    t = dialog.turns[i]
    return dialog.messages[t.start : t.end]


def test_calls_are_the_plans_and_a_nested_argument_comes_from_the_real_result():
    ScriptedModel.add_rule(is_reply_request, good_reply, first=True)
    plan = ticket_nested_plan()
    out = _run(plan)
    assert out.accepted, out.failure
    msgs = _turn_messages(out.dialog, 0)
    assistant = [m for m in msgs if m.role == "assistant"]
    # step 1: create_ticket alone; step 2: get_ticket with the id the real TicketAPI returned; step 3: the reply
    assert [[c.name for c in m.tool_calls] for m in assistant] == [["create_ticket"], ["get_ticket"], []]
    created = orjson.loads(next(m for m in msgs if m.role == "tool" and m.name == "create_ticket").content)
    assert assistant[1].tool_calls[0].arguments == {"ticket_id": created["id"]}
    assert assistant[0].tool_calls[0].arguments == plan.turns[0].expected.calls[0].arguments
    assert str(created["id"]) in assistant[2].content or "Printer" in assistant[2].content
    assert out.dialog.usage["model_replies"] == 2 and out.dialog.usage["rule_replies"] == 0
    # no assistant model was asked to choose a call
    assert not [r for r in ScriptedModel.calls if r.tools]


def test_a_dependency_on_an_earlier_turn_is_filled_from_that_turns_result():
    ScriptedModel.add_rule(is_reply_request, good_reply, first=True)
    plan = ticket_nested_plan()
    close = plan.turns[1].expected.calls[0]
    close.arguments = {}
    close.depends_on = [Dependency(arg="ticket_id", call="c1", field="id")]
    out = _run(plan.with_id())
    assert out.accepted, out.failure
    created = orjson.loads(
        next(m for m in _turn_messages(out.dialog, 0) if m.name == "create_ticket").content
    )
    call = next(c for m in _turn_messages(out.dialog, 1) for c in m.tool_calls)
    assert call.name == "close_ticket" and call.arguments == {"ticket_id": created["id"]}


def test_replies_that_break_the_guard_fall_back_to_the_rule_and_are_counted():
    # A model that answers in tags, the failure the offline model showed: never used, the rule text is.
    ScriptedModel.add_rule(is_reply_request, "<tool_call><tool_call></tool_call>", first=True)
    plan = fs_split_plan()
    out = _run(plan, user_retries=1)
    assert out.accepted, out.failure
    d = out.dialog
    texts = [m.content for m in d.messages if m.role == "assistant" and not m.tool_calls]
    assert texts and not any("<" in t for t in texts)
    assert d.usage["rule_replies"] == len(texts) == 4 and d.usage["model_replies"] == 0
    ask = next(m.content for m in _turn_messages(d, 1) if m.role == "assistant")
    assert ask == rule_reply(plan, plan.turns[1], []) and ask.endswith("?") and "dir name" in ask
    assert (
        sum(is_reply_request(r) for r in ScriptedModel.calls) == 2 * 4
    )  # each text tried twice, then the rule


def test_refusal_turn_makes_no_call_and_says_it_cannot():
    ScriptedModel.add_rule(is_reply_request, good_reply, first=True)
    out = _run(trading_missing_function_plan())
    assert out.accepted, out.failure
    msgs = _turn_messages(out.dialog, 1)
    assert not [c for m in msgs for c in m.tool_calls]
    assert "can't" in next(m.content for m in msgs if m.role == "assistant")


def test_a_weak_judge_is_recorded_as_not_run_and_never_asked():
    ScriptedModel.add_rule(is_reply_request, good_reply, first=True)
    out = _run(ticket_nested_plan(), weak_judges=["scripted/*"])
    semantic = [c for c in out.dialog.checks if c.layer == "semantic"]
    assert semantic and all(c.passed is None and "too weak to judge" in c.reason for c in semantic)
    assert not [r for r in ScriptedModel.calls if r.schema is not None]


@pytest.mark.parametrize(
    ("text", "kind", "problem"),
    [
        ("<p>done</p>", "call", "markup"),
        ('{"ok": true}', "call", "JSON"),
        ("The file was saved.", "call", "quotes nothing"),
        ("Saved as report.txt.", "call", None),
        ("Which folder?", "ask", "does not ask for the dir name"),
        ("What should the folder name be?", "ask", None),
        ("Here you go!", "refuse", "cannot be done"),
        ("Going there with cd now.", "chat", "names the function"),
    ],
)
def test_reply_guard(text, kind, problem):
    got = reply_problem(
        text,
        kind,
        tool_names=["mkdir", "cd"],
        results=[{"file": "report.txt"}],
        missing=["mkdir.dir_name"],
        withheld_values=["drafts"],
    )
    assert (got is None) if problem is None else (problem in got)
