"""Rebuild a dialog's backend state at any point from its `backend_spec` and its recorded results.

One replayer serves synthesis rollback (a regenerated turn restarts from the state its kept predecessors left),
`verify` and make-preferences (a negative forks from the state at (turn, step)). Replay is a proof, not a guess:
every call that really ran (`source` `executed`, or unknown in a migrated dialog/1 record) is run again on a fresh
backend in order, and a result that differs from the recorded one raises `ReplayMismatch`: state rebuilt from
different results is not the state the dialog saw. Calls refused before running (`rejected`) are skipped, since
they never changed anything; simulated results come back as the simulator's history, which is its whole state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.errors import ToolsynthError
from toolsynth.messages import Message, ToolCall
from toolsynth.synth.backends.base import Backend, ExecResult
from toolsynth.synth.backends.registry import make_backend
from toolsynth.synth.record import Dialog


class ReplayMismatch(ToolsynthError):
    """A replayed call gave another result than the one recorded: the backend is not deterministic, or the record
    was changed after it was made."""


@dataclass
class RecordedCall:
    """A call as a dialog recorded it: the call, its tool message content and where that result came from."""

    call: ToolCall
    content: str | None
    source: str | None = (
        None  # executed / simulated / rejected / None (unknown: replay it when a backend can)
    )


@dataclass
class ReplayedState:
    """The backend at the replay point, the outcomes of the replayed calls (by call id) and the simulator history."""

    backend: Backend | None
    outcomes: dict[str, ExecResult] = field(default_factory=dict)
    simulated: list[dict[str, Any]] = field(default_factory=list)


def same_result(recorded: str | None, replayed: ExecResult) -> bool:
    """Recorded tool message content vs a replayed outcome, compared as JSON values (key order aside)."""
    content = replayed.content()
    if recorded == content:
        return True
    try:
        return bool(recorded is not None and orjson.loads(recorded) == orjson.loads(content))
    except orjson.JSONDecodeError:
        return False


def _parsed(content: str | None) -> Any:
    if content is None:
        return None
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return content


def recorded_result(content: str | None, source: str = "simulated") -> ExecResult:
    """A recorded result taken as it is (nothing can run it again): an error payload is a failed result."""
    out = _parsed(content)
    failed = isinstance(out, dict) and out.get("error") not in (None, "", False)
    error = str(out.get("error")) if failed and isinstance(out, dict) else None
    return ExecResult(ok=not failed, output=out, error=error, source=source)


class Replayer:
    """Fresh backends for one dialog's spec, and the state after a list of recorded calls."""

    def __init__(
        self, spec: dict[str, Any] | str | None, tools: Iterable[Tool], *, trusted: bool = False
    ) -> None:
        # `trusted`: the spec is the user's (recipe, command line) or already passed the data allow-list; a spec
        # read from a record stays untrusted, so it may only name the allow-listed backends.
        self.spec = spec
        self.tools = list(tools)
        self.trusted = trusted

    def fresh(self) -> Backend | None:
        return make_backend(self.spec, self.tools, trusted=self.trusted)

    def rebuild(self, calls: Iterable[RecordedCall], *, where: str = "replay") -> ReplayedState:
        """A fresh backend with `calls` run on it in order; raises `ReplayMismatch` at the first differing result."""
        backend = self.fresh()
        state = ReplayedState(backend)
        for rc in calls:
            if rc.source == "simulated":
                outcome = recorded_result(rc.content)
                if outcome.ok:
                    # The simulator's state is its history of good results (failed ones are never appended).
                    state.simulated.append(
                        {"name": rc.call.name, "arguments": rc.call.arguments, "output": outcome.output}
                    )
                state.outcomes[rc.call.id] = outcome
                continue
            if rc.source == "rejected" or backend is None or not backend.handles(rc.call.name):
                continue
            outcome = backend.execute(rc.call)
            if not same_result(rc.content, outcome):
                raise ReplayMismatch(
                    f"{rc.call.name} ({rc.call.id}) gave {outcome.content()[:160]!r} on replay, "
                    f"the record says {str(rc.content)[:160]!r}",
                    where=where,
                )
            state.outcomes[rc.call.id] = outcome
        return state

    def state_before(self, dialog: Dialog, message: int) -> ReplayedState:
        """The state just before `dialog.messages[message]` (every call and result in `messages[:message]`)."""
        return self.rebuild(recorded_calls(dialog, message), where=f"{dialog.id}: replay")

    def state_at(self, dialog: Dialog, turn: int, step: int) -> ReplayedState:
        """The state when step `step` (0-based) of turn `turn` was generated: after every earlier result."""
        t = next((x for x in dialog.turns if x.index == turn), None)
        if t is None:
            raise ToolsynthError(f"no turn {turn}", where=f"{dialog.id}: replay")
        if step < len(t.steps):
            return self.state_before(dialog, t.steps[step].message)
        assistant = [i for i in range(t.start, t.end) if dialog.messages[i].role == "assistant"]
        if step >= len(assistant):
            raise ToolsynthError(f"turn {turn} has no step {step}", where=f"{dialog.id}: replay")
        return self.state_before(dialog, assistant[step])


def recorded_calls(dialog: Dialog, upto: int | None = None) -> list[RecordedCall]:
    """Every call in `dialog.messages[:upto]` with its recorded result and source, in message order."""
    end = len(dialog.messages) if upto is None else upto
    sources: dict[int, str | None] = {r.message: r.source for t in dialog.turns for r in t.results}
    return calls_in(dialog.messages[:end], {i: s for i, s in sources.items() if i < end})


def calls_in(messages: list[Message], sources: dict[int, str | None] | None = None) -> list[RecordedCall]:
    """Calls and results of a message list; `sources` maps a tool message's index to its result source."""
    calls: dict[str, ToolCall] = {}
    out: list[RecordedCall] = []
    for i, m in enumerate(messages):
        if m.role == "assistant":
            for c in m.tool_calls:
                calls[c.id] = c
        elif m.role == "tool" and m.tool_call_id in calls:
            out.append(RecordedCall(calls[m.tool_call_id], m.content, (sources or {}).get(i)))
    return out
