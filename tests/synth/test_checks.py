"""Each verification layer passes good turns and fails where it should."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from toolsynth.catalog.load import load_catalog
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import ExpectedAction, PlannedCall
from toolsynth.synth.backends import make_backend
from toolsynth.synth.checks import (
    ExecutionReplay,
    ToolIndex,
    TurnView,
    check_adherence,
    check_dialog,
    check_format,
    check_semantic,
)
from toolsynth.synth.record import Dialog, DialogTurn

SHARED_CATALOGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "catalogs"
FUNC_DOCS = SHARED_CATALOGS / "bfcl" / "multi_turn_func_doc"


@pytest.fixture(scope="module")
def fs_tools() -> ToolIndex:
    return ToolIndex(load_catalog(FUNC_DOCS / "gorilla_file_system.json").tools)


def turn(index: int, *msgs: Message, offered: list[str] | None = None, expected: str = "call") -> TurnView:
    return TurnView(
        index=index, messages=list(msgs), offered=offered or ["cd", "ls", "mkdir", "cat"], expected=expected
    )


def user(text: str) -> Message:
    return Message(role="user", content=text)


def calls(*cs: ToolCall) -> Message:
    return Message(role="assistant", tool_calls=list(cs))


def result(c: ToolCall, content: str = "{}") -> Message:
    return Message(role="tool", tool_call_id=c.id, name=c.name, content=content)


def say(text: str) -> Message:
    return Message(role="assistant", content=text)


# ---- format --------------------------------------------------------------------------------------------------------


def test_format_passes_a_valid_call(fs_tools: ToolIndex) -> None:
    c = ToolCall(id="1", name="mkdir", arguments={"dir_name": "reports"})
    r = check_format(turn(0, user("make reports"), calls(c), result(c), say("Done.")), fs_tools)
    assert r.passed is True and r.layer == "format"


@pytest.mark.parametrize(
    ("arguments", "name", "needle"),
    [
        ({"dir_name": "x", "permissions": "755"}, "mkdir", "unknown argument 'permissions'"),  # hallucinated
        ({"dir_name": 42}, "mkdir", "is not of type 'string'"),  # wrong type
        ({}, "mkdir", "'dir_name' is a required property"),  # missing required
        ({"file_name": "a"}, "rm", "not an offered tool"),  # exists in the class, not offered here
        ({"q": 1}, "search_web", "not an offered tool"),  # hallucinated function
    ],
)
def test_format_fails_where_it_should(
    fs_tools: ToolIndex, arguments: dict[str, Any], name: str, needle: str
) -> None:
    c = ToolCall(id="1", name=name, arguments=arguments)
    r = check_format(turn(0, user("do it"), calls(c), result(c)), fs_tools)
    assert r.passed is False and needle in r.reason


def test_format_fails_unparsed_arguments_and_missing_results(fs_tools: ToolIndex) -> None:
    from toolsynth.synth.ingest import BAD_ARGS_KEY

    bad = ToolCall(id="1", name="cd", arguments={BAD_ARGS_KEY: "{folder: docs"})
    assert "not a JSON object" in check_format(turn(0, user("go"), calls(bad), result(bad)), fs_tools).reason
    c = ToolCall(id="2", name="cd", arguments={"folder": "docs"})
    r = check_format(turn(0, user("go"), calls(c), say("ok")), fs_tools)
    assert r.passed is False and "has no result" in r.reason
    r = check_format(turn(0, user("go")), fs_tools)
    assert r.passed is False and "no assistant reply" in r.reason


# ---- execution -------------------------------------------------------------------------------------------------------


FS = {"root": {"ana": {"type": "directory", "contents": {"a.txt": {"type": "file", "content": "hello"}}}}}


def _fs_backend(tools: ToolIndex) -> Any:
    spec = {"kind": "bfcl", "classes": ["GorillaFileSystem"], "initial_config": {"GorillaFileSystem": FS}}
    return make_backend(spec, tools.tools())


def test_execution_replays_state_across_turns(fs_tools: ToolIndex) -> None:
    mk = ToolCall(id="1", name="mkdir", arguments={"dir_name": "docs"})
    cd = ToolCall(id="2", name="cd", arguments={"folder": "docs"})
    t0 = turn(0, user("make docs"), calls(mk), result(mk, "null"))
    t1 = turn(1, user("go in"), calls(cd), result(cd, '{"current_working_directory": "docs"}'))
    replay = ExecutionReplay(_fs_backend(fs_tools), fs_tools)
    assert replay.run_turn(t0).passed is True
    r1 = replay.run_turn(t1)
    assert r1.passed is True and "differs" not in r1.reason
    # Without turn 0 the folder does not exist: the backend's error fails the turn.
    fresh = ExecutionReplay(_fs_backend(fs_tools), fs_tools).run_turn(t1)
    assert fresh.passed is False and "No such file or directory" in fresh.reason


def test_execution_fails_a_backend_error_and_skips_malformed_calls(fs_tools: ToolIndex) -> None:
    bad = ToolCall(id="1", name="cat", arguments={"file_name": "missing.txt"})
    r = ExecutionReplay(_fs_backend(fs_tools), fs_tools).run_turn(
        turn(0, user("show"), calls(bad), result(bad))
    )
    assert r.passed is False and "missing.txt" in r.reason
    wrong = ToolCall(id="2", name="cat", arguments={"file_name": 7})
    r = ExecutionReplay(_fs_backend(fs_tools), fs_tools).run_turn(
        turn(0, user("show"), calls(wrong), result(wrong))
    )
    assert r.passed is False and "not executed" in r.reason


def test_execution_without_backend_checks_results_against_return_schema(fs_tools: ToolIndex) -> None:
    c = ToolCall(id="1", name="cat", arguments={"file_name": "a.txt"})
    ok = ExecutionReplay(None, fs_tools).run_turn(
        turn(0, user("show"), calls(c), result(c, '{"file_content": "hi"}'))
    )
    assert ok.passed is True
    r = ExecutionReplay(None, fs_tools).run_turn(
        turn(0, user("show"), calls(c), result(c, '{"file_content": 5}'))
    )
    assert r.passed is False and "return schema" in r.reason
    r = ExecutionReplay(None, fs_tools).run_turn(
        turn(0, user("show"), calls(c), result(c, '{"error": "no file"}'))
    )
    assert r.passed is False and "is an error" in r.reason
    assert ExecutionReplay(None, fs_tools).run_turn(turn(0, user("hi"), say("hello"))).passed is None


# ---- adherence -------------------------------------------------------------------------------------------------------


def test_adherence_split_turn() -> None:
    ask = ExpectedAction(kind="ask", missing=["cd.folder"])
    c = ToolCall(id="1", name="cd", arguments={"folder": "guess"})
    r = check_adherence(turn(0, user("go to the folder"), calls(c), result(c)), ask)
    assert r.passed is False and "called cd" in r.reason
    assert check_adherence(turn(0, user("go"), say("Which folder should I open?")), ask).passed is True
    assert check_adherence(turn(0, user("go"), say("Done, all moved.")), ask).passed is False


def test_adherence_missing_function_and_call_turns() -> None:
    refuse = ExpectedAction(kind="refuse", withheld_tools=["rm"])
    rm = ToolCall(id="1", name="rm", arguments={"file_name": "a"})
    assert check_adherence(turn(0, user("delete a"), calls(rm), result(rm)), refuse).passed is False
    assert (
        check_adherence(turn(0, user("delete a"), say("I can't delete files here.")), refuse).passed is True
    )
    planned = ExpectedAction(
        kind="call",
        calls=[
            PlannedCall(id="c1", tool="mkdir", arguments={"dir_name": "x"}),
            PlannedCall(id="c2", tool="cd"),
        ],
    )
    mk = ToolCall(id="1", name="mkdir", arguments={"dir_name": "x"})
    cd = ToolCall(id="2", name="cd", arguments={"folder": "x"})
    ls = ToolCall(id="3", name="ls", arguments={})
    assert check_adherence(turn(0, user("."), calls(mk, cd), result(mk), result(cd)), planned).passed is True
    r = check_adherence(turn(0, user("."), calls(mk), result(mk)), planned)
    assert r.passed is False and "not called: cd" in r.reason
    r = check_adherence(turn(0, user("."), calls(mk, cd, ls), result(mk), result(cd), result(ls)), planned)
    assert r.passed is False and "not planned: ls" in r.reason
    assert check_adherence(turn(0, user("."), say("ok")), "call").passed is False
    assert check_adherence(turn(0, user("."), say("ok")), "unknown").passed is None


# ---- semantic --------------------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    ok: bool
    data: dict[str, Any] | None
    error: str | None = None
    raw: str | None = None


class JudgeStub:
    """Answers like Gateway.structured; fails any turn whose transcript mentions `poison`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = []

    async def structured(
        self, role: str, messages: list[dict[str, Any]], schema: dict[str, Any], **kw: Any
    ) -> Verdict:
        self.requests.append((role, messages, schema))
        bad = "poison" in messages[-1]["content"]
        return Verdict(True, {"reason": "r", "action_fits_request": not bad, "answer_grounded": True})


def test_semantic_uses_the_judge_role_and_records_its_verdict(fs_tools: ToolIndex) -> None:
    judge = JudgeStub()
    c = ToolCall(id="1", name="cd", arguments={"folder": "poison"})
    r = asyncio.run(check_semantic(turn(0, user("open docs"), calls(c), result(c)), [], fs_tools, judge))
    assert r.passed is False and "action_fits_request false" in r.reason
    role, messages, schema = judge.requests[0]
    assert role == "judge" and 'cd({"folder":"poison"})' in messages[-1]["content"]
    assert set(schema["required"]) == {"reason", "action_fits_request", "answer_grounded"}
    c2 = ToolCall(id="2", name="cd", arguments={"folder": "docs"})
    assert asyncio.run(
        check_semantic(turn(0, user("open docs"), calls(c2), result(c2)), [], fs_tools, judge)
    ).passed


def test_semantic_with_the_scripted_gateway(fs_tools: ToolIndex) -> None:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway
    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.reset()
    try:
        # The judge rejects any turn that opens a folder named `tmp`; it approves everything else.
        ScriptedModel.add_rule(
            lambda r: r.schema is not None and 'cd({"folder":"tmp"})' in r.last_text,
            {
                "json": {
                    "reason": "the user asked for docs",
                    "action_fits_request": False,
                    "answer_grounded": True,
                }
            },
        )
        ScriptedModel.add_rule(
            lambda r: r.schema is not None,
            {"json": {"reason": "fine", "action_fits_request": True, "answer_grounded": True}},
        )
        ScriptedModel.fail("invalid_json", times=3, match=lambda r: "broken judge" in r.last_text)
        gw = Gateway(LLMConfig(model="scripted/judge", cache=False, structured_retries=0), stage="verify")

        def judged(folder: str, text: str = "open docs") -> Any:
            c = ToolCall(id="1", name="cd", arguments={"folder": folder})
            return asyncio.run(check_semantic(turn(0, user(text), calls(c), result(c)), [], fs_tools, gw))

        bad = judged("tmp")
        assert bad.passed is False and "the user asked for docs" in bad.reason
        assert judged("docs").passed is True
        broken = judged("docs", "broken judge")
        # no verdict is not a pass: the layer fails as a judge error (a dead judge must not accept everything)
        assert broken.passed is False and broken.reason.startswith("judge_error: the judge gave no verdict")
    finally:
        ScriptedModel.reset()


# ---- a whole dialog: checks never drop anything ----------------------------------------------------------------------


def test_check_dialog_reports_every_layer_per_turn(fs_tools: ToolIndex) -> None:
    mk = ToolCall(id="1", name="mkdir", arguments={"dir_name": "docs", "force": True})
    msgs = [
        user("make docs"),
        calls(mk),
        result(mk, "null"),
        say("Made it."),
        user("and now?"),
        say("Which file?"),
    ]
    d = Dialog(
        id="d1",
        plan_id="p1",
        strategy="magnet",
        tools=[fs_tools.get(n).to_openai() for n in ("mkdir", "cd")],
        messages=msgs,
        turns=[
            DialogTurn(index=0, start=0, end=4, offered_tools=["mkdir", "cd"], expected="call"),
            DialogTurn(index=1, start=4, end=6, offered_tools=["mkdir", "cd"], expected="ask"),
        ],
    )
    out = asyncio.run(check_dialog(d, tools=fs_tools, backend=_fs_backend(fs_tools)))
    got = {(c.layer, c.turn): c.passed for c in out}
    assert got == {
        ("format", 0): False,
        ("execution", 0): False,
        ("adherence", 0): True,
        ("format", 1): True,
        ("execution", 1): None,
        ("adherence", 1): True,
    }
    with pytest.raises(ValueError, match="gateway"):
        asyncio.run(check_dialog(d, layers=["semantic"]))
