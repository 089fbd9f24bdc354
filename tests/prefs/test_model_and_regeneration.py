"""Model negatives (the assistant re-run without the hint, MAGNET) with the scripted model, and regeneration
negatives (failed synthesis attempts)."""

from __future__ import annotations

import asyncio

from bfcl_plan_fixtures import HINT_MARK, fs_split_plan, message_plan
from prefs_fixtures import accepted, pairs, synthesize

from toolsynth.llm.config import LLMConfig, ModelSettings
from toolsynth.llm.gateway import Gateway
from toolsynth.prefs.config import PrefsConfig
from toolsynth.prefs.run import PrefsContext, pairs_for_dialog
from toolsynth.testing.scripted import ScriptedModel


def neg_gateway() -> Gateway:
    roles = {"negative": ModelSettings(model="scripted/neg")}
    return Gateway(LLMConfig(model="scripted/good", cache=False, roles=roles), stage="make-preferences")


def _negative_requests():
    return [r for r in ScriptedModel.calls if r.name == "neg"]


def test_model_negatives_run_without_the_hint_and_are_deterministic():
    d = accepted(fs_split_plan())
    ScriptedModel.calls.clear()
    gw = neg_gateway()  # the default scripted answer for `neg`: no rules, so it picks a tool on its own
    first = pairs(d, gateway=gw, kinds=["model"], per_dialog=None)
    reqs = _negative_requests()
    assert reqs, "the negative model was never asked"
    for r in reqs:
        system = r.messages[0]["content"]
        assert r.messages[0]["role"] == "system" and system == d.system and HINT_MARK not in system
        assert "tool_choice" not in r.params
    again = pairs(d, gateway=neg_gateway(), kinds=["model"], per_dialog=None)
    assert [p.to_record() for p in first.pairs] == [p.to_record() for p in again.pairs]
    k = first.stats["by_kind"]["model"]
    assert (
        k["candidates"] == 4 and k["proven"] + k["accidentally_correct"] == 4
    )  # every turn expects an action
    errors = {p.turn: p.error for p in first.pairs}
    assert errors[1] == "called_instead_of_asking"  # the split turn: it called instead of asking
    for p in first.pairs:
        t = next(t for t in d.turns if t.index == p.turn)
        assert p.kind == "model" and p.models["assistant"] == "scripted/neg"
        assert len(p.prompt) == t.steps[0].message  # forks at the turn's first assistant step
        assert p.prompt + p.chosen == d.messages
        assert p.failed_checks and all(c.passed is False for c in p.failed_checks)
        assert p.rejected[-1].role == "assistant" or p.rejected[-1].role == "tool"


def _neg_follows_plan(req):
    """A hint-free model that happens to act exactly as the plan says, then answers with a marked text."""
    if req.name != "neg" or req.tools is None:
        return None
    last = req.messages[-1]
    if last["role"] == "tool":
        return "NEG-ANSWER: done, and Bob already replied yes."
    text = last.get("content") or ""
    if "Log in" in text:
        return {"tool_calls": [{"name": "message_login", "arguments": {"user_id": "USR001"}}]}
    if "Send Bob" in text:
        return {
            "tool_calls": [
                {"name": "send_message", "arguments": {"receiver_id": "USR002", "message": "Lunch at noon?"}}
            ]
        }
    return {"tool_calls": [{"name": "view_messages_sent", "arguments": {}}]}


def test_a_hint_free_run_that_is_right_is_dropped_and_counted():
    d = accepted(message_plan())
    ScriptedModel.add_rule(lambda r: r.name == "neg", _neg_follows_plan, first=True)
    res = pairs(d, gateway=neg_gateway(), kinds=["model"], per_dialog=None)
    assert res.pairs == []
    assert res.stats["by_kind"]["model"] == {
        "candidates": 3,
        "accidentally_correct": 3,
        "proven": 0,
        "kept": 0,
    }


def test_an_ungrounded_answer_fails_the_judge_and_is_kept_as_such():
    d = accepted(message_plan())
    ScriptedModel.add_rule(lambda r: r.name == "neg", _neg_follows_plan, first=True)

    def judge(req):
        if req.schema is None or "answer_grounded" not in (req.schema.get("properties") or {}):
            return None
        marked = "NEG-ANSWER" in req.messages[-1]["content"]
        return {
            "json": {"reason": "invents a reply", "action_fits_request": True, "answer_grounded": not marked}
        }

    ScriptedModel.add_rule(judge, judge, first=True)
    ctx = PrefsContext(
        PrefsConfig(
            kinds=["model"], per_dialog=None, checks=["format", "execution", "semantic", "adherence"]
        ),
        gateway=neg_gateway(),
    )
    res = asyncio.run(pairs_for_dialog(d, ctx))
    assert len(res.pairs) == 3
    for p in res.pairs:
        assert p.error == "ungrounded_answer"
        assert [c.layer for c in p.failed_checks] == ["semantic"]
        assert "answer_grounded false" in p.failed_checks[0].reason
        assert p.rejected[-1].content.startswith("NEG-ANSWER")


def test_a_failed_synthesis_attempt_becomes_a_regeneration_pair():
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "mkdir(" in (r.messages[0].get("content") or ""),
        {"tool_calls": [{"name": "mkdir", "arguments": {}}]},
        times=1,
        first=True,
    )
    d = synthesize(fs_split_plan()).dialog
    res = pairs(d, kinds=["regeneration"], per_dialog=None)
    (p,) = res.pairs
    t = d.turns[2]
    assert p.kind == "regeneration" and p.turn == 2 and p.error == "missing_argument"
    assert len(p.prompt) == t.start + 1  # same user message: the fork is the assistant's call
    assert p.rejected[0].tool_calls[0].name == "mkdir" and p.rejected[0].tool_calls[0].arguments == {}
    assert [c.layer for c in p.failed_checks][:1] == ["format"]
    assert p.prompt + p.chosen == d.messages


def test_a_judge_only_failure_is_kept_with_the_recorded_verdict():
    # Turn 0's first answer invents a fact; the judge rejects it; the retry answers from the result. The rule
    # checks make-preferences re-runs all pass that answer, so the judge's recorded verdict is the proof.
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "All the needed tool calls" in (r.messages[0].get("content") or ""),
        "Logged in. You also have 3 new messages from Bob.",
        times=1,
        first=True,
    )

    def judge(req):
        if req.schema is None or "answer_grounded" not in (req.schema.get("properties") or {}):
            return None
        invented = "3 new messages" in req.messages[-1]["content"].split("This turn:")[-1]
        return {
            "json": {
                "reason": "invents messages",
                "action_fits_request": True,
                "answer_grounded": not invented,
            }
        }

    ScriptedModel.add_rule(judge, judge, first=True)
    d = synthesize(message_plan()).dialog
    assert d.turns[0].attempts == 2
    res = pairs(d, kinds=["regeneration"], per_dialog=None)
    (p,) = res.pairs
    assert p.error == "ungrounded_answer" and [c.layer for c in p.failed_checks] == ["semantic"]
    assert p.rejected == [p.rejected[0]] and "3 new messages" in p.rejected[0].content
    assert p.prompt + p.chosen == d.messages


def test_a_failed_attempt_identical_to_the_kept_turn_is_no_negative():
    # the judge rejects once, the retry says the very same thing: nothing to prefer
    def judge_once(req):
        if req.schema is not None and "answer_grounded" in (req.schema.get("properties") or {}):
            return {"json": {"reason": "unsure", "action_fits_request": True, "answer_grounded": False}}
        return None

    ScriptedModel.add_rule(judge_once, judge_once, times=1, first=True)
    d = synthesize(message_plan()).dialog
    assert d.turns[0].failed_attempts
    assert pairs(d, kinds=["regeneration"], per_dialog=None).pairs == []
