"""One replayer for rollback, verify and make-preferences: state at (turn, step) from the spec and the recorded
results; a replay that disagrees with the record is an error."""

from __future__ import annotations

import textwrap

import orjson
import pytest
from bfcl_plan_fixtures import _call, _turn, fs_split_plan, ticket_nested_plan
from prefs_fixtures import accepted, bank_module, bank_plan

from toolsynth.messages import ToolCall
from toolsynth.plans.record import Plan
from toolsynth.prefs.case import DialogCase
from toolsynth.synth.backends.python_module import tools_from_module
from toolsynth.synth.replay import Replayer, ReplayMismatch, recorded_calls
from toolsynth.synth.runner import SynthContext, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel


def _replayer(d, backend=None):
    from toolsynth.synth.config import SynthConfig

    return DialogCase(d, synth=SynthConfig(backend=backend)).replayer


def _tampered(d, turn: int):
    """The dialog with the first tool result of `turn` changed."""
    t = d.turns[turn]
    i = t.results[0].message
    msgs = list(d.messages)
    msgs[i] = msgs[i].model_copy(
        update={"content": orjson.dumps({"current_working_directory": "elsewhere"}).decode()}
    )
    return d.model_copy(update={"messages": msgs})


def test_bfcl_replay_at_every_step_matches_the_record():
    d = accepted(fs_split_plan())
    rp = _replayer(d)
    for t in d.turns:
        for k in range(len(t.steps)):
            st = rp.state_at(d, t.index, k)
            ran = [rc for rc in recorded_calls(d, t.steps[k].message) if rc.source == "executed"]
            assert set(st.outcomes) == {rc.call.id for rc in ran}
    # after the last turn's replay the file system has the folder made in turn 2, as the dialog's `ls` showed
    st = rp.state_before(d, len(d.messages))
    assert "drafts" in orjson.dumps(st.backend.state()).decode()
    ls = st.backend.execute(ToolCall(id="x", name="ls", arguments={}))
    assert ls.output == {"current_directory_content": ["report.txt", "drafts"]}


def test_bfcl_replay_that_differs_from_the_record_is_an_error():
    d = accepted(fs_split_plan())
    bad = _tampered(d, 0)
    with pytest.raises(ReplayMismatch, match="cd"):
        _replayer(bad).state_at(bad, 2, 0)
    # before the tampered result nothing is compared, so the state there still rebuilds
    assert _replayer(bad).state_at(bad, 0, 0).outcomes == {}


def test_python_module_replay_matches_and_detects_a_changed_record(tmp_path):
    plan = bank_plan(bank_module(tmp_path))
    # the module is the user's (synth.backend), as a data record may not name one
    d = accepted(plan, backend=plan.backend)
    rp = _replayer(d, backend=plan.backend)
    st = rp.state_at(d, 2, 0)  # after open_account and deposit
    assert st.backend.execute(ToolCall(id="q", name="get_balance", arguments={"account_id": 101})).output == {
        "balance": 50
    }
    i = d.turns[1].results[0].message
    msgs = list(d.messages)
    msgs[i] = msgs[i].model_copy(update={"content": '{"balance": 500}'})
    with pytest.raises(ReplayMismatch, match="deposit"):
        rp.state_at(d.model_copy(update={"messages": msgs}), 2, 0)


def test_rollback_on_a_backend_that_does_not_replay_the_same_is_an_error(tmp_path):
    path = tmp_path / "lottery.py"
    path.write_text(
        textwrap.dedent(
            '''
            import itertools
            _draws = itertools.count(1)

            class Lottery:
                def draw(self) -> dict:
                    """Draw a number."""
                    return {"number": next(_draws)}  # module state: a fresh instance does not start over

                def claim(self, number: int) -> dict:
                    """Claim a prize."""
                    return {"claimed": number}
            '''
        )
    )
    target = f"{path}:Lottery"
    tools = {t.name: t for t in tools_from_module(target)}
    plan = Plan(
        strategy="magnet",
        seed=3,
        tools=["draw", "claim"],
        turns=[
            _turn(0, "Draw a number.", ["draw", "claim"], calls=[_call("c1", "draw")]),
            _turn(1, "Claim prize 1.", ["draw", "claim"], calls=[_call("c2", "claim", number=1)]),
        ],
        tool_defs={n: t.to_record() for n, t in tools.items()},
        backend={"kind": "python", "module": target},
    ).with_id()
    # turn 1's first attempt calls draw (not planned): regenerated, so turn 0's draw is replayed on a fresh backend
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "claim(" in (r.messages[0].get("content") or ""),
        {"tool_calls": [{"name": "draw", "arguments": {}}]},
        times=1,
        first=True,
    )
    from bfcl_plan_fixtures import scripted_gateway

    from toolsynth.synth.config import SynthConfig

    with pytest.raises(ReplayMismatch, match="draw"):
        import asyncio

        cfg = SynthConfig(backend=plan.backend)
        asyncio.run(synthesize_dialog(plan, SynthContext(gateway=scripted_gateway(), config=cfg)))


def test_rollback_replays_the_kept_calls_so_the_regenerated_turn_sees_the_same_state():
    ScriptedModel.add_rule(
        lambda r: r.tools is not None and "close_ticket(" in (r.messages[0].get("content") or ""),
        {"tool_calls": [{"name": "close_ticket", "arguments": {"ticket_id": "one"}}]},
        times=1,
        first=True,
    )
    d = accepted(ticket_nested_plan())
    assert d.turns[1].attempts == 2
    created = orjson.loads(d.messages[d.turns[0].results[0].message].content)
    closed = orjson.loads(d.messages[d.turns[1].results[0].message].content)
    assert closed == {"status": f"Ticket {created['id']} has been closed successfully."}
    Replayer(d.backend_spec, DialogCase(d).tools.values()).state_before(d, len(d.messages))  # replays cleanly
