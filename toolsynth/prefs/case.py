"""One accepted dialog as make-preferences works on it: its tools, backend state at any fork, and how a negative is
executed and proven wrong.

A negative replaces the accepted dialog from one assistant message (`fork`) to the end of that turn. Its calls run
the way synthesis runs them (`toolsynth.synth.runner.run_call`) on the state replayed up to the fork, and the turn it
makes is checked by synthesis's own checker (`runner.default_checker`); only a negative that fails at least one of
the configured checks is kept. A call that is malformed for its turn (unparsed arguments, a tool not on offer,
arguments that break the schema) is refused before it runs, as every backend refuses it, so it needs no replay.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import ExpectedAction, Plan, PlanTurn
from toolsynth.synth.backends.base import ExecResult, normalize_spec, validate_arguments
from toolsynth.synth.backends.trust import combine
from toolsynth.synth.checks import call_format_problems
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.ingest import BAD_ARGS_KEY, tool_from_def
from toolsynth.synth.record import CheckResult, Dialog, DialogTurn
from toolsynth.synth.replay import ReplayedState, Replayer


@dataclass
class Negative:
    """A rejected continuation of the accepted dialog: `messages` replace `dialog.messages[fork:turn.end]`."""

    kind: str  # model / rule / regeneration
    error: str
    detail: str
    turn: DialogTurn
    fork: int
    messages: list[Message]
    results: dict[str, ExecResult] = field(default_factory=dict)
    open_ended: bool = False
    models: dict[str, str] = field(default_factory=dict)
    failed: list[CheckResult] = field(default_factory=list)
    recorded_failure: CheckResult | None = None  # regeneration: what synthesis's checks said at the time


def expected_of(turn: DialogTurn) -> ExpectedAction | None:
    if turn.planned is not None:
        return turn.planned
    if turn.expected in ("call", "ask", "refuse", "chat"):
        return ExpectedAction(kind=turn.expected)  # type: ignore[arg-type]
    return None


class DialogCase:
    """An accepted dialog, its tools and a replayer; backend states at fork points are built once and copied."""

    def __init__(self, dialog: Dialog, gateway: Any = None, synth: SynthConfig | None = None) -> None:
        self.dialog = dialog
        self.gateway = gateway
        self.synth = synth or SynthConfig()
        self.tools: dict[str, Tool] = {}
        for i, d in enumerate(dialog.tools):
            t = tool_from_def(d, source=dialog.id, where=f"{dialog.id}.tools[{i}]")
            self.tools.setdefault(t.name, t)
        # Data never chooses code: the dialog's own spec may only name the allow-listed backends; a `python:`
        # module comes from the user (`synth.backend` in the recipe, `--backend`), as in synthesize.
        spec = combine(normalize_spec(dialog.backend_spec), normalize_spec(self.synth.backend))
        self.replayer = Replayer(spec, list(self.tools.values()), trusted=True)
        self._states: dict[int, tuple[ReplayedState, Any]] = {}

    # -- where things are --

    def offered(self, turn: DialogTurn) -> dict[str, Tool]:
        names = turn.offered_tools or list(self.tools)
        return {n: self.tools[n] for n in names if n in self.tools}

    def step_messages(self, turn: DialogTurn) -> list[int]:
        """Indexes of the turn's assistant messages (its steps), in order."""
        if turn.steps:
            return [s.message for s in turn.steps]
        return [i for i in range(turn.start, turn.end) if self.dialog.messages[i].role == "assistant"]

    def final_text(self, turn: DialogTurn) -> str | None:
        for i in range(turn.end - 1, turn.start - 1, -1):
            m = self.dialog.messages[i]
            if m.role == "assistant":
                return m.content if not m.tool_calls and (m.content or "").strip() else None
        return None

    # -- state --

    def state(self, fork: int) -> ReplayedState:
        """The backend as it was just before `messages[fork]`: a private copy each call."""
        cached = self._states.get(fork)
        if cached is None:
            st = self.replayer.state_before(self.dialog, fork)
            cached = self._states[fork] = (st, _snapshot(st.backend))
            return ReplayedState(st.backend, dict(st.outcomes), list(st.simulated))
        st, token = cached
        backend = st.backend
        if backend is not None:
            if token is None:
                return self.replayer.state_before(self.dialog, fork)
            backend = _from_snapshot(backend, token)
        return ReplayedState(backend, dict(st.outcomes), list(st.simulated))

    def outcomes_before(self, fork: int) -> ReplayedState:
        """The replay at `fork` for reading its outcomes only (no private copy of the backend is made)."""
        if fork not in self._states:
            return self.state(fork)
        return self._states[fork][0]

    def simulator(self, st: ReplayedState) -> Any:
        """The tool agent for the tools no backend runs, with the history the dialog had at the fork."""
        if self.gateway is None:
            return None
        from toolsynth.synth.backends.simulated import SimulatedBackend

        rest = [t for n, t in self.tools.items() if st.backend is None or not st.backend.handles(n)]
        if not rest:
            return None
        sim = SimulatedBackend(
            rest,
            self.gateway,
            role=self.synth.roles.get("tool", "tool"),
            history_limit=self.synth.history_window * 2,
            seed=0,
        )
        sim.restore(st.simulated)
        return sim

    # -- executing a negative's calls --

    async def execute(
        self, calls: list[ToolCall], turn: DialogTurn, fork: int, st: ReplayedState | None = None
    ) -> tuple[dict[str, ExecResult], list[Message]] | None:
        """Results and tool messages of `calls` run at `fork`; None when a result would need the tool agent and
        there is none."""
        from toolsynth.synth.runner import run_call

        offered = self.offered(turn)
        malformed = {c.id: bool(call_format_problems(c, offered, self.tools)) for c in calls}
        results: dict[str, ExecResult] = {}
        if st is None and not all(malformed.values()):
            st = self.state(fork)
        sim = None
        for c in calls:
            if malformed[c.id]:
                r = refused(c, offered, self.tools)
            else:
                assert st is not None
                real = st.backend
                if (real is None or not real.handles(c.name)) and sim is None:
                    sim = self.simulator(st)
                    if sim is None:
                        return None
                r = await run_call(c, offered, real, sim)
            results[c.id] = r
        tool_msgs = [
            Message(role="tool", content=results[c.id].content(), tool_call_id=c.id, name=c.name)
            for c in calls
        ]
        return results, tool_msgs

    # -- proving --

    async def prove(self, neg: Negative, checks: list[str], gateway: Any = None) -> list[CheckResult]:
        """The checks the negative's turn fails, computed by synthesis's checker (empty = it is correct)."""
        from toolsynth.synth.runner import TurnOutcome, default_checker

        turn = neg.turn
        messages = self.dialog.messages[: neg.fork] + neg.messages
        expected = expected_of(turn) or ExpectedAction(kind="chat")
        if neg.open_ended and expected.kind == "call" and expected.calls:
            expected = self._due_by(turn, neg.fork, expected)
        plan_turn = PlanTurn(
            index=turn.index, intent="", offered_tools=list(self.offered(turn)), expected=expected
        )
        plan = Plan(strategy="magnet", seed=0, tools=[], turns=[plan_turn])
        view_turn = turn.model_copy(
            update={"end": len(messages), "failed_attempts": [], "steps": [], "results": []}
        )
        results = dict(neg.results)
        prefix_calls = [
            c
            for m in self.dialog.messages[turn.start : neg.fork]
            if m.role == "assistant"
            for c in m.tool_calls
        ]
        if prefix_calls:
            st = self.outcomes_before(neg.fork)
            for c in prefix_calls:
                if c.id in st.outcomes:
                    results.setdefault(c.id, st.outcomes[c.id])
        wanted = list(checks)
        if turn.planned is None and expected_of(turn) is None:
            wanted = [c for c in wanted if c != "adherence"]
        cfg = self.synth.model_copy(update={"checks": wanted, "required_checks": wanted})
        outcome = TurnOutcome(
            plan=plan,
            plan_turn=plan_turn,
            turn=view_turn,
            messages=messages,
            offered=self.offered(turn),
            results=results,
            tools=self.tools,
            open_ended=neg.open_ended,
        )
        out = await default_checker(outcome, gateway, cfg)
        return [c for c in out if c.passed is False]

    def _due_by(self, turn: DialogTurn, fork: int, expected: ExpectedAction) -> ExpectedAction:
        """The planned calls due by the end of the step at `fork` (what the accepted turn had called by then): a
        negative cut after that step is not wrong for lacking the calls of later steps."""
        msgs = self.dialog.messages
        upto = fork + 1
        while upto < turn.end and msgs[upto].role == "tool":
            upto += 1
        called = {c.name for m in msgs[turn.start : upto] if m.role == "assistant" for c in m.tool_calls}
        due = [c for c in expected.calls if c.tool in called]
        return expected.model_copy(update={"calls": due or expected.calls})


def _snapshot(backend: Any) -> Any:
    """A copy of a backend's state to start each negative from: a pickle of the whole backend where it pickles (a
    pickle round trip is several times cheaper than `deepcopy` on BFCL's object trees), else its own checkpoint,
    else None (the state is then replayed for every negative)."""
    if backend is None:
        return None
    try:
        return ("pickle", pickle.dumps(backend, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - modules, locks, open files: fall back to the backend's own copy
        pass
    try:
        return ("checkpoint", backend.checkpoint())
    except Exception:  # noqa: BLE001 - a backend whose state cannot be copied at all
        return None


def _from_snapshot(backend: Any, token: Any) -> Any:
    how, data = token
    if how == "pickle":
        return pickle.loads(data)  # noqa: S301 - bytes this process pickled a moment ago, never read from a file
    backend.restore(data)
    return backend


def refused(call: ToolCall, offered: dict[str, Tool], tools: dict[str, Tool]) -> ExecResult:
    """The result every backend gives a call that is malformed for its turn: refused, nothing run."""
    if BAD_ARGS_KEY in call.arguments:
        return ExecResult(ok=False, error="arguments are not a JSON object", source="rejected")
    if call.name not in offered:
        return ExecResult(ok=False, error=f"tool {call.name!r} is not available", source="rejected")
    tool = tools.get(call.name)
    if tool is None:
        return ExecResult(ok=False, error=f"unknown tool {call.name!r}", source="rejected")
    problems = validate_arguments(tool, call.arguments)
    return ExecResult(ok=False, error="invalid arguments: " + "; ".join(problems), source="rejected")
