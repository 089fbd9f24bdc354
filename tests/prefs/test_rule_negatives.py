"""One test per error class of the rules: the rejected action really has that error, and really fails the synthesis
check that catches such an error (computed by synthesis's own checker on the replayed state)."""

from __future__ import annotations

import jsonschema
import pytest
from bfcl_plan_fixtures import fs_split_plan, message_plan, ticket_nested_plan, trading_missing_function_plan
from prefs_fixtures import accepted, pairs

from toolsynth.prefs.case import DialogCase
from toolsynth.prefs.rules import ERROR_OF_RULE

_DIALOGS: dict[str, object] = {}


def dialog(name: str):
    if name not in _DIALOGS:
        plan = {
            "fs": fs_split_plan,
            "ticket": ticket_nested_plan,
            "message": message_plan,
            "trading": trading_missing_function_plan,
        }[name]()
        _DIALOGS[name] = accepted(plan)
    return _DIALOGS[name]


def rule_pairs(name: str, rule: str):
    d = dialog(name)
    res = pairs(d, kinds=["rule"], rules={rule: 1.0}, per_dialog=None)
    assert res.error is None
    assert res.pairs, f"{rule} made no pair on {name}"
    return d, res


def _fork_call(d, pair):
    """The accepted call the rule changed and the call it became."""
    fork = len(pair.prompt)
    old = d.messages[fork].tool_calls
    new = pair.rejected[0].tool_calls
    changed = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    assert len(changed) == 1
    return changed[0]


def _layers(pair) -> set[str]:
    assert pair.failed_checks and all(c.passed is False and c.turn == pair.turn for c in pair.failed_checks)
    return {c.layer for c in pair.failed_checks}


def _common(d, pair, rule):
    assert pair.kind == "rule" and pair.error == ERROR_OF_RULE[rule] and pair.detail.startswith(rule)
    assert pair.prompt + pair.chosen == d.messages  # the accepted dialog word for word
    assert pair.rejected[0].role == "assistant" and pair.rejected != pair.chosen[: len(pair.rejected)]
    t = next(t for t in d.turns if t.index == pair.turn)
    assert t.start <= len(pair.prompt) < t.end


@pytest.mark.parametrize("name", ["fs", "ticket", "message"])
def test_swap_function_is_a_wrong_function_caught_by_adherence(name):
    d, res = rule_pairs(name, "swap_function")
    tools = DialogCase(d).tools
    for p in res.pairs:
        _common(d, p, "swap_function")
        old, new = _fork_call(d, p)
        planned = {c.tool for c in next(t for t in d.turns if t.index == p.turn).planned.calls}
        assert new.name != old.name and new.name in p.offered_tools and new.name not in planned
        assert jsonschema.Draft202012Validator(tools[new.name].parameters).is_valid(new.arguments)
        assert "adherence" in _layers(p)
        assert any("called but not planned" in c.reason for c in p.failed_checks)


def test_drop_argument_is_a_missing_argument_caught_by_format():
    d, res = rule_pairs("ticket", "drop_argument")
    tools = DialogCase(d).tools
    for p in res.pairs:
        _common(d, p, "drop_argument")
        old, new = _fork_call(d, p)
        gone = set(old.arguments) - set(new.arguments)
        assert len(gone) == 1 and gone <= set(tools[new.name].required)
        assert "format" in _layers(p) and any("is a required property" in c.reason for c in p.failed_checks)


def test_wrong_type_is_caught_by_format():
    d, res = rule_pairs("ticket", "wrong_type")
    tools = DialogCase(d).tools
    for p in res.pairs:
        _common(d, p, "wrong_type")
        old, new = _fork_call(d, p)
        (arg,) = [a for a in old.arguments if old.arguments[a] != new.arguments[a]]
        assert type(old.arguments[arg]) is not type(new.arguments[arg])
        errors = list(jsonschema.Draft202012Validator(tools[new.name].parameters).iter_errors(new.arguments))
        assert errors and all(e.validator == "type" for e in errors)
        assert "format" in _layers(p) and any("is not of type" in c.reason for c in p.failed_checks)


@pytest.mark.parametrize("name", ["fs", "ticket"])
def test_wrong_value_keeps_the_type_and_is_caught_by_execution(name):
    d, res = rule_pairs(name, "wrong_value")
    tools = DialogCase(d).tools
    for p in res.pairs:
        _common(d, p, "wrong_value")
        old, new = _fork_call(d, p)
        assert new.name == old.name and set(new.arguments) == set(old.arguments)
        (arg,) = [a for a in old.arguments if old.arguments[a] != new.arguments[a]]
        assert type(old.arguments[arg]) is type(new.arguments[arg])
        assert jsonschema.Draft202012Validator(tools[new.name].parameters).is_valid(new.arguments)
        # a right-typed value that is not the planned one breaks adherence to the plan (and, where it names
        # nothing that exists, execution too)
        assert _layers(p) & {"adherence", "execution"}
        # where execution caught it, the error is the real backend's answer, recorded in the rejected side's result
        result = next(m for m in p.rejected if m.role == "tool" and m.tool_call_id == new.id)
        if "execution" in _layers(p):
            assert "error" in (result.content or "")


def test_extra_argument_is_a_hallucinated_argument_caught_by_format():
    d, res = rule_pairs("message", "extra_argument")
    tools = DialogCase(d).tools
    for p in res.pairs:
        _common(d, p, "extra_argument")
        old, new = _fork_call(d, p)
        extra = set(new.arguments) - set(old.arguments)
        assert len(extra) == 1 and not extra & set(tools[new.name].properties)
        assert "format" in _layers(p) and any("unknown argument" in c.reason for c in p.failed_checks)
        # refused before it ran: the backend state was never touched by it
        assert any(m.role == "tool" and "invalid arguments" in (m.content or "") for m in p.rejected)


def test_answer_without_calling_is_caught_by_adherence():
    d, res = rule_pairs("message", "answer_without_calling")
    for p in res.pairs:
        _common(d, p, "answer_without_calling")
        assert len(p.rejected) == 1 and not p.rejected[0].tool_calls and p.rejected[0].content
        assert not p.rejected_open_ended
        assert "adherence" in _layers(p)
        assert any("expected a call, the assistant made none" in c.reason for c in p.failed_checks)


def test_call_when_missing_calls_instead_of_asking_and_is_caught_by_adherence():
    d, res = rule_pairs("fs", "call_when_missing")
    (p,) = res.pairs
    _common(d, p, "call_when_missing")
    assert p.turn == 1 and p.expected == "ask" and p.planned.missing == ["mkdir.dir_name"]
    (call,) = p.rejected[0].tool_calls
    assert call.name == "mkdir" and call.arguments["dir_name"] != "drafts"  # invented, not the user's
    assert "adherence" in _layers(p)
    assert any(
        "expected a clarifying question, the assistant called mkdir" in c.reason for c in p.failed_checks
    )
    # it really ran on the replayed file system (in the rejected world only)
    assert p.rejected[1].role == "tool" and "error" not in (p.rejected[1].content or "")


def test_near_miss_calls_an_offered_tool_when_the_needed_one_is_missing():
    d, res = rule_pairs("trading", "near_miss")
    (p,) = res.pairs
    _common(d, p, "near_miss")
    assert p.turn == 1 and p.planned.withheld_tools == ["get_stock_info"]
    (call,) = p.rejected[0].tool_calls
    assert call.name in p.offered_tools and call.name != "get_stock_info"
    assert "adherence" in _layers(p)
    assert any("expected a refusal" in c.reason for c in p.failed_checks)


def test_rates_turn_rules_off_and_the_same_seed_gives_the_same_pairs():
    d = dialog("ticket")
    off = pairs(d, kinds=["rule"], rules={"drop_argument": 0.0}, per_dialog=None)
    assert off.pairs == [] and off.stats["by_kind"]["rule"]["candidates"] == 0
    half = [
        pairs(d, kinds=["rule"], rules={r: 0.5 for r in ERROR_OF_RULE}, per_dialog=None, seed=3) for _ in "ab"
    ]
    assert [p.id for p in half[0].pairs] == [p.id for p in half[1].pairs]
    full = pairs(d, kinds=["rule"], per_dialog=None)
    assert 0 < half[0].stats["by_kind"]["rule"]["candidates"] < full.stats["by_kind"]["rule"]["candidates"]


def test_per_dialog_spreads_pairs_over_error_classes():
    d = dialog("ticket")
    res = pairs(d, kinds=["rule"], per_dialog=4)
    assert len(res.pairs) == 4 and len({p.error for p in res.pairs}) == 4


def test_a_rejected_side_that_passes_every_check_is_dropped_and_counted():
    # On the message dialog a wrong value is still a working call (another real user id logs in, another text is
    # sent). With a recipe that requires only format and execution, such a candidate passes every required check,
    # so none becomes a pair. (With adherence required, the value that is not the planned one is caught there.)
    import asyncio

    from bfcl_plan_fixtures import scripted_gateway

    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.prefs.run import PrefsContext, pairs_for_dialog
    from toolsynth.synth.config import SynthConfig

    d = dialog("message")
    synth = SynthConfig(checks=["format", "execution"], required_checks=["format", "execution"])
    prefs = PrefsConfig(
        kinds=["rule"], rules={"wrong_value": 1.0}, per_dialog=None, checks=["format", "execution"]
    )
    res = asyncio.run(pairs_for_dialog(d, PrefsContext(prefs, synth=synth, gateway=scripted_gateway())))
    k = res.stats["by_kind"]["rule"]
    assert k["accidentally_correct"] >= 1  # a working call with another value passes format and execution
    assert len(res.pairs) == k["candidates"] - k["accidentally_correct"]
    assert all(c.passed is False for p in res.pairs for c in p.failed_checks)
