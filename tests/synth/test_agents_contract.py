"""Each agent's contract, with the scripted model steered into the mistakes a real model makes."""

from __future__ import annotations

import asyncio

import jsonschema
import pytest
from bfcl_plan_fixtures import (
    HINT_MARK,
    all_plans,
    fs_split_plan,
    install_good_model,
    is_tool_request,
    is_user_request,
    message_plan,
    scripted_gateway,
    simulated_travel_plan,
)

from toolsynth.messages import ToolCall
from toolsynth.synth.agents import UsageTally, UserAgent, names_function
from toolsynth.synth.backends.simulated import SimulatedBackend, return_schema
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    yield
    ScriptedModel.reset()


def _user_prompts() -> list[str]:
    return [r.messages[-1]["content"] for r in ScriptedModel.calls if is_user_request(r)]


# ---- user agent ----------------------------------------------------------------------------------------------------


def test_user_message_that_names_the_function_is_asked_again_with_the_reason():
    plan = fs_split_plan()
    turn = plan.turns[0]
    ScriptedModel.add_rule(is_user_request, "Please run cd(folder='document') for me", times=1)
    ScriptedModel.add_rule(is_user_request, "Could you take me into the document folder?")
    usage = UsageTally()
    utt = asyncio.run(UserAgent(scripted_gateway(), SynthConfig(), usage).speak(plan, turn, []))
    assert utt.source == "model"
    assert utt.text == "Could you take me into the document folder?"
    assert utt.rejected == ["it names the function `cd`"]
    prompts = _user_prompts()
    assert len(prompts) == 2 and "names the function `cd`" in prompts[1]
    assert usage.rule_user_messages == 0


def test_user_that_keeps_naming_functions_is_replaced_by_the_rule_message():
    plan = message_plan()
    ScriptedModel.add_rule(is_user_request, "Use send_message with receiver_id USR002.")
    cfg = SynthConfig(user_retries=2)
    usage = UsageTally()
    turn = plan.turns[1]
    utt = asyncio.run(UserAgent(scripted_gateway(), cfg, usage).speak(plan, turn, []))
    assert utt.source == "rule" and len(utt.rejected) == 3
    assert names_function(utt.text, list(plan.tool_defs)) is None
    assert "USR002" in utt.text and "Lunch at noon?" in utt.text  # what the user knows is still said
    assert usage.rule_user_messages == 1


def test_split_turn_user_never_states_the_withheld_argument():
    plan = fs_split_plan()
    split = plan.turns[1]
    ScriptedModel.add_rule(is_user_request, "Make a new folder here called drafts.")
    utt = asyncio.run(UserAgent(scripted_gateway(), SynthConfig(user_retries=1), None).speak(plan, split, []))
    assert "drafts" not in utt.text.lower()
    assert utt.rejected == ["it states the dir name, which the user has not given yet"] * 2
    assert all("drafts" not in p for p in _user_prompts())  # the prompt never had the value to leak


def test_agreeing_is_not_done_the_user_follow_up_cannot_end_the_conversation():
    """The assistant asks for confirmation instead of acting; a user that says "thanks, that's all" is refused, the
    turn goes on and the call is really made."""
    install_good_model()
    plan = message_plan()
    ScriptedModel.add_rule(
        lambda r: (
            r.tools is not None
            and "send_message" in (r.messages[0].get("content") or "")
            and not any(
                m.get("role") == "user" and "go ahead" in (m.get("content") or "").lower() for m in r.messages
            )
        ),
        "Shall I send that message to USR002 now?",
        first=True,
    )
    ScriptedModel.add_rule(
        lambda r: is_user_request(r) and "Your goal: " in r.messages[-1]["content"],
        "Great, thanks, that's all!",
        times=1,
        first=True,
    )
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    out = asyncio.run(synthesize_dialog(plan, ctx))
    msgs = out.dialog.messages
    turn = out.dialog.turns[1]
    roles = [m.role for m in msgs[turn.start : turn.end]]
    assert roles == ["user", "assistant", "user", "assistant", "tool", "assistant"]
    follow_up = msgs[turn.start + 2].content
    assert "that's all" not in follow_up.lower() and "go ahead" in follow_up.lower()
    assert [c.name for c in msgs[turn.start + 3].tool_calls] == ["send_message"]
    assert out.accepted


# ---- assistant agent -----------------------------------------------------------------------------------------------


def test_hint_reaches_the_assistant_but_never_the_exported_dialog():
    install_good_model()
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    for plan in all_plans():
        ScriptedModel.calls.clear()
        out = asyncio.run(synthesize_dialog(plan, ctx))
        assert out.accepted, out.failure
        seen_hints = [
            r.messages[0]["content"].split(HINT_MARK, 1)[1]
            for r in ScriptedModel.calls
            if r.tools is not None and HINT_MARK in (r.messages[0].get("content") or "")
        ]
        assert seen_hints, "the assistant was never given a hint"
        exported = [m.to_openai() for m in out.dialog.messages]
        text = repr(exported)
        assert HINT_MARK.strip() not in text
        for hint in seen_hints:
            assert hint not in text
        # kept apart, for make-preferences: what each turn's first assistant request was told
        assert all(t.hint and t.hint in seen_hints for t in out.dialog.turns)
        assert out.dialog.messages[0].content == SynthConfig().system_prompt


def test_assistant_sees_native_tools_of_the_turn_only():
    """miss_func: on the refuse turn the withheld tool is not in the request's `tools`; it is on the next turn."""
    install_good_model()
    from bfcl_plan_fixtures import trading_missing_function_plan

    plan = trading_missing_function_plan()
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    out = asyncio.run(synthesize_dialog(plan, ctx))
    assert out.accepted
    offered = [
        set(r.tool_names)
        for r in ScriptedModel.calls
        if r.tools is not None and HINT_MARK in r.messages[0]["content"]
    ]
    assert any("get_stock_info" not in o for o in offered) and any("get_stock_info" in o for o in offered)
    refuse = out.dialog.turns[1]
    assert refuse.offered_tools == ["get_symbol_by_name", "get_watchlist", "add_to_watchlist"]
    assert not any(m.tool_calls for m in out.dialog.messages[refuse.start : refuse.end])


# ---- tool agent ----------------------------------------------------------------------------------------------------


def test_tool_agent_result_matches_the_return_schema_and_sees_earlier_results():
    plan = simulated_travel_plan()
    tools = [plan.tool(n) for n in plan.tool_defs]
    sim = SimulatedBackend(tools, scripted_gateway(), seed=3)
    first = asyncio.run(
        sim.aexecute(ToolCall(id="1", name="get_nearest_airport_by_city", arguments={"location": "Boston"}))
    )
    assert first.ok and first.source == "simulated" and first.meta["schema_valid"]
    schema = return_schema(plan.tool("get_nearest_airport_by_city"))
    jsonschema.validate(first.output, schema)
    assert set(first.output) == set(schema["properties"])  # every field filled, nothing invented
    second = asyncio.run(
        sim.aexecute(
            ToolCall(
                id="2",
                name="get_flight_cost",
                arguments={
                    "travel_from": "BOS",
                    "travel_to": "JFK",
                    "travel_date": "2024-11-15",
                    "travel_class": "economy",
                },
            )
        )
    )
    assert second.ok
    jsonschema.validate(second.output, return_schema(plan.tool("get_flight_cost")))
    prompts = [r.messages[-1]["content"] for r in ScriptedModel.calls if is_tool_request(r)]
    assert len(prompts) == 2
    assert "get_nearest_airport_by_city" in prompts[1] and "Boston" in prompts[1]  # consistency context


def test_tool_agent_never_returns_a_result_off_its_schema():
    plan = simulated_travel_plan()
    sim = SimulatedBackend([plan.tool(n) for n in plan.tool_defs], scripted_gateway())
    # a model that keeps answering with the wrong shape: the gateway re-asks, then gives up; no result is made up
    ScriptedModel.add_rule(is_tool_request, {"json": {"airport": 7}})
    res = asyncio.run(
        sim.aexecute(ToolCall(id="1", name="get_nearest_airport_by_city", arguments={"location": "Oslo"}))
    )
    assert not res.ok and res.output is None and "tool simulation failed" in res.error
    assert sim.history == []


def test_tool_agent_rejects_invalid_arguments_without_asking_the_model():
    plan = simulated_travel_plan()
    sim = SimulatedBackend([plan.tool(n) for n in plan.tool_defs], scripted_gateway())
    res = asyncio.run(
        sim.aexecute(ToolCall(id="1", name="get_nearest_airport_by_city", arguments={"city": "Oslo"}))
    )
    assert not res.ok and res.source == "rejected" and "unknown argument 'city'" in res.error
    assert ScriptedModel.calls == []
