"""Model negatives (MAGNET's own): the assistant agent run again on the same prefix WITHOUT the hint.

At each turn whose plan expects an action (call, ask, refuse), the agent gets the accepted dialog up to the turn's
first assistant step, the tools offered at that turn, no hint and no `tool_choice` (the plan's `tool_choice` would
leak the expected action), optionally another model (`prefs.negative_model`). Its calls are executed exactly as in
synthesis (same `run_call`, on the state replayed to that point; tools no backend runs go to the tool agent with the
dialog's simulated history) until it answers in text or the step budget is spent. The turn it made is kept only if
it fails a check; a hint-free run that gets it right is dropped and counted.
"""

from __future__ import annotations

from typing import Any

from toolsynth.messages import Message, ToolCall
from toolsynth.prefs.case import DialogCase, Negative, expected_of
from toolsynth.synth.agents import AssistantAgent
from toolsynth.synth.backends.base import ExecResult
from toolsynth.synth.record import DialogTurn


def _seed(dialog_id: str, turn: int, step: int) -> int:
    import hashlib

    h = int(hashlib.sha256(f"{dialog_id}:{turn}".encode()).hexdigest()[:8], 16)
    return (h + step) % (2**31)


async def rerun_turn(
    case: DialogCase, turn: DialogTurn, gateway: Any, role: str, model: str | None = None
) -> Negative | None:
    """The hint-free realization of `turn` from its first assistant step; None when the turn has no step."""
    from toolsynth.synth.runner import calls_of, run_call

    steps = case.step_messages(turn)
    if not steps:
        return None
    fork = steps[0]
    cfg = case.synth.model_copy(update={"roles": {**case.synth.roles, "assistant": role}})
    agent = AssistantAgent(gateway, cfg)
    offered = case.offered(turn)
    tool_defs = [t.to_openai() for t in offered.values()]
    st = case.state(fork)
    sim = case.simulator(st)
    history = list(case.dialog.messages[:fork])
    new: list[Message] = []
    results: dict[str, ExecResult] = {}
    counter = 0

    def new_id() -> str:
        nonlocal counter
        counter += 1
        return f"call_m{fork}_{counter}"

    for step in range(case.synth.max_steps):
        res = await agent.act(history + new, tool_defs, None, seed=_seed(case.dialog.id, turn.index, step))
        calls: list[ToolCall] = calls_of(res, new_id)
        content = res.content if (res.content or "").strip() else None
        new.append(Message(role="assistant", content=content, tool_calls=calls))
        if not calls:
            break
        for call in calls:
            r = await run_call(call, offered, st.backend, sim)
            results[call.id] = r
            new.append(Message(role="tool", content=r.content(), tool_call_id=call.id, name=call.name))
    expected = expected_of(turn)
    return Negative(
        kind="model",
        error="other",
        detail=f"hint-free re-run of turn {turn.index} (expected {expected.kind if expected else 'unknown'})",
        turn=turn,
        fork=fork,
        messages=new,
        results=results,
        models={"assistant": model} if model else {},
    )


def rerun_turns(case: DialogCase, limit: int | None) -> list[DialogTurn]:
    """The turns worth a hint-free run: those whose plan expects an action."""
    turns = [
        t
        for t in case.dialog.turns
        if (e := expected_of(t)) is not None and e.kind in ("call", "ask", "refuse")
    ]
    return turns[:limit] if limit else turns
