"""Inputs for the export tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bfcl_plan_fixtures import all_plans, bfcl_tools, install_good_model
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, write_artifact
from toolsynth.messages import Message, ToolCall
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.record import CheckResult, Dialog, DialogTurn

SYSTEM = "You are a helpful assistant that can use tools."


def synthesized_dialogs(directory: Path) -> Path:
    from toolsynth.cli import app
    from toolsynth.testing.scripted import ScriptedModel

    plans = directory / "plans.jsonl"
    write_artifact(plans, "plan", (p.to_record() for p in all_plans()))
    out = directory / "dialogs.jsonl"
    ScriptedModel.reset()
    install_good_model()
    try:
        r = CliRunner().invoke(
            app, ["synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache"]
        )
    finally:
        ScriptedModel.reset()
    assert r.exit_code == 0, r.output
    return out


def load(path: Path) -> list[Dialog]:
    return [Dialog.from_record(r) for r in read_artifact(path, "dialog")]


def _tooldefs(names: list[str]) -> list[dict[str, Any]]:
    tools = bfcl_tools("TravelAPI")
    return [tools[n].to_openai() for n in names]


def _dialog(
    did: str, messages: list[Message], turns: list[DialogTurn], checks: list[CheckResult], tools: list[str]
) -> Dialog:
    return Dialog(
        id=did,
        plan_id=f"plan-{did}",
        strategy="magnet",
        tools=_tooldefs(tools),
        system=SYSTEM,
        messages=[Message(role="system", content=SYSTEM), *messages],
        turns=turns,
        checks=checks,
        backend="simulated",
    )


def _ok(turn: int) -> list[CheckResult]:
    return [CheckResult(layer=layer, turn=turn, passed=True) for layer in ("format", "execution", "semantic")]


AIRPORT = "get_nearest_airport_by_city"
OFFERED = [AIRPORT, "list_all_airports"]


def parallel_dialog() -> Dialog:
    """One assistant message with two calls at once, both results, then the answer."""
    msgs = [
        Message(role="user", content="Which airports are nearest to Boston and to London?"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(id="call_1", name=AIRPORT, arguments={"location": "Boston"}),
                ToolCall(id="call_2", name=AIRPORT, arguments={"location": "London"}),
            ],
        ),
        Message(role="tool", tool_call_id="call_1", name=AIRPORT, content='{"nearest_airport": "BOS"}'),
        Message(role="tool", tool_call_id="call_2", name=AIRPORT, content='{"nearest_airport": "LHR"}'),
        Message(role="assistant", content="Boston: BOS. London: LHR."),
    ]
    return _dialog(
        "dialog-parallel",
        msgs,
        [DialogTurn(index=0, start=1, end=6, offered_tools=OFFERED, expected="call")],
        _ok(0),
        OFFERED,
    )


def content_and_calls_dialog() -> Dialog:
    """Text and a call in one assistant message."""
    msgs = [
        Message(role="user", content="Find the airport nearest to Rome."),
        Message(
            role="assistant",
            content="Let me look that up.",
            tool_calls=[ToolCall(id="call_1", name=AIRPORT, arguments={"location": "Rome"})],
        ),
        Message(role="tool", tool_call_id="call_1", name=AIRPORT, content='{"nearest_airport": "FCO"}'),
        Message(role="assistant", content="The nearest airport to Rome is FCO."),
    ]
    return _dialog(
        "dialog-content-calls",
        msgs,
        [DialogTurn(index=0, start=1, end=5, offered_tools=OFFERED, expected="call")],
        _ok(0),
        OFFERED,
    )


def failed_turn_dialog() -> Dialog:
    """Turn 1 failed the semantic check (not required in that run, so the dialog was accepted); turn 0 is fine.
    Its call-only message has content "" (must become None)."""
    msgs = [
        Message(role="user", content="Find the airport nearest to Tokyo."),
        Message(
            role="assistant",
            content="",
            tool_calls=[ToolCall(id="call_1", name=AIRPORT, arguments={"location": "Tokyo"})],
        ),
        Message(role="tool", tool_call_id="call_1", name=AIRPORT, content='{"nearest_airport": "HND"}'),
        Message(role="assistant", content="Tokyo's nearest airport is HND."),
        Message(role="user", content="And list every airport you know."),
        Message(role="assistant", tool_calls=[ToolCall(id="call_2", name="list_all_airports", arguments={})]),
        Message(role="tool", tool_call_id="call_2", name="list_all_airports", content='["BOS", "HND"]'),
        Message(role="assistant", content="I know of three airports."),
    ]
    turns = [
        DialogTurn(index=0, start=1, end=5, offered_tools=OFFERED, expected="call"),
        DialogTurn(index=1, start=5, end=9, offered_tools=OFFERED, expected="call"),
    ]
    checks = [
        *_ok(0),
        CheckResult(layer="format", turn=1, passed=True),
        CheckResult(layer="semantic", turn=1, passed=False, reason="answer not grounded: says three"),
    ]
    return _dialog("dialog-failed-turn", msgs, turns, checks, OFFERED)


def shrinking_tools_dialog() -> Dialog:
    """Turn 1 no longer offers list_all_airports and adds get_flight_cost."""
    msgs = [
        Message(role="user", content="Find the airport nearest to Paris."),
        Message(
            role="assistant",
            tool_calls=[ToolCall(id="call_1", name=AIRPORT, arguments={"location": "Paris"})],
        ),
        Message(role="tool", tool_call_id="call_1", name=AIRPORT, content='{"nearest_airport": "CDG"}'),
        Message(role="assistant", content="CDG."),
        Message(role="user", content="What does economy from CDG to BOS cost on 2024-11-15?"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(
                    id="call_2",
                    name="get_flight_cost",
                    arguments={
                        "travel_from": "CDG",
                        "travel_to": "BOS",
                        "travel_date": "2024-11-15",
                        "travel_class": "economy",
                    },
                )
            ],
        ),
        Message(
            role="tool",
            tool_call_id="call_2",
            name="get_flight_cost",
            content='{"travel_cost_list": [410.0]}',
        ),
        Message(role="assistant", content="410 USD."),
    ]
    later = [AIRPORT, "get_flight_cost"]
    turns = [
        DialogTurn(index=0, start=1, end=5, offered_tools=OFFERED, expected="call"),
        DialogTurn(index=1, start=5, end=9, offered_tools=later, expected="call"),
    ]
    return _dialog("dialog-tools-change", msgs, turns, [*_ok(0), *_ok(1)], [*OFFERED, "get_flight_cost"])


def rule_dialogs() -> list[Dialog]:
    return [parallel_dialog(), content_and_calls_dialog(), failed_turn_dialog(), shrinking_tools_dialog()]


def pairs_from(dialogs_path: Path) -> list[PreferencePair]:
    """A rule negative for every dialog turn that makes a call with arguments: the first call of the turn with one
    argument dropped, an error result, and an apology; `prompt` is everything before that call."""
    pairs = []
    for d in load(dialogs_path):
        for t in d.turns:
            call_at = next(
                (
                    i
                    for i in range(t.start, t.end)
                    if d.messages[i].tool_calls and d.messages[i].tool_calls[0].arguments
                ),
                None,
            )
            if call_at is None:
                continue
            good = d.messages[call_at]
            call = good.tool_calls[0]
            dropped = sorted(call.arguments)[0]
            bad_call = ToolCall(
                id=call.id,
                name=call.name,
                arguments={k: v for k, v in call.arguments.items() if k != dropped},
            )
            rejected = [
                Message(role="assistant", tool_calls=[bad_call]),
                Message(
                    role="tool",
                    tool_call_id=call.id,
                    name=call.name,
                    content=f'{{"error": "missing argument {dropped}"}}',
                ),
                Message(role="assistant", content="Sorry, that did not work."),
            ]
            pairs.append(
                PreferencePair(
                    id=f"pair-{d.id}-{t.index}",
                    dialog_id=d.id,
                    plan_id=d.plan_id,
                    category=d.category,
                    tools=d.tools,
                    system=d.system,
                    prompt=d.messages[:call_at],
                    chosen=d.messages[call_at:],
                    rejected=rejected,
                    turn=t.index,
                    differing_turns=[t.index],
                    kind="rule",
                    error="missing_argument",
                    detail=f"dropped {dropped}",
                    failed_checks=[
                        CheckResult(
                            layer="format",
                            turn=t.index,
                            passed=False,
                            reason=f"missing required argument {dropped}",
                        )
                    ],
                )
            )
            break
    return pairs
