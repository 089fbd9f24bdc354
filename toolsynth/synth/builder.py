"""The per-plan dialog loop (`DialogBuilder`): one plan → one dialog. Per plan turn: the user agent speaks, the assistant agent acts (tool calls are executed on the
plan's real backend when it has the tool, else by the tool agent), the assistant acts again on the results, until it
answers in text or the step budget is spent. The turn is then verified; a turn that fails a required check is rolled
back (messages and backend state, rebuilt by `toolsynth.synth.replay`) and generated again, at most
`max_regenerations` times, with the failure fed back to the assistant as part of its hint; the failed attempt is kept
in the turn's record (`failed_attempts`: a ready negative for make-preferences). A dialog whose turn still fails is
rejected with that check and turn. Every assistant step records its hint and `tool_choice`, every tool result its
source (executed / simulated / rejected)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.errors import ToolsynthError
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan, PlanTurn
from toolsynth.synth.agents import AssistantAgent, UsageTally, UserAgent, render_hint, tool_choice_for
from toolsynth.synth.backends.base import Backend, ExecResult, normalize_spec
from toolsynth.synth.backends.simulated import SimulatedBackend
from toolsynth.synth.backends.trust import combine
from toolsynth.synth.context import DialogOutcome, SynthContext, TalliedGateway, dialog_id
from toolsynth.synth.grounded import GroundedAssistant
from toolsynth.synth.ingest import BAD_ARGS_KEY
from toolsynth.synth.record import (
    CheckResult,
    Dialog,
    DialogTurn,
    FailedAttempt,
    StepRecord,
    ToolResultRecord,
)
from toolsynth.synth.replay import RecordedCall, Replayer
from toolsynth.synth.turn_checks import TurnOutcome


class DialogBuilder:
    """Realizes one plan. Holds the dialog's messages, backends and accounting."""

    def __init__(self, plan: Plan, ctx: SynthContext) -> None:
        self.plan = plan
        self.ctx = ctx
        self.cfg = ctx.config
        self.usage = UsageTally()
        caps = {self.cfg.roles.get(agent, agent): n for agent, n in self.cfg.max_tokens.items()}
        self.gw = TalliedGateway(ctx.gateway, self.usage, caps)
        self.user = UserAgent(self.gw, self.cfg, self.usage)
        self.assistant: AssistantAgent | GroundedAssistant = (
            GroundedAssistant(self.gw, self.cfg, plan, self.usage)
            if self.cfg.assistant_mode == "grounded"
            else AssistantAgent(self.gw, self.cfg)
        )
        self.usage.grounded = self.cfg.assistant_mode == "grounded"
        self.tools: dict[str, Tool] = {name: plan.tool(name) for name in plan.tool_defs}
        self.messages: list[Message] = [Message(role="system", content=self.cfg.system_prompt)]
        self.turns: list[DialogTurn] = []
        self.checks: list[CheckResult] = []
        self.real: Backend | None = None
        self.sim: SimulatedBackend | None = None
        self.n_calls = 0
        self.required = set(self.cfg.required_checks)
        # Real-backend calls of the turns kept so far, in order, and of the turn being generated: a regenerated
        # turn starts from a fresh backend with the kept calls replayed and their results compared (BFCL classes
        # are seeded, so replay is exact; a difference is an error). Cheaper than snapshotting the state before
        # every turn when regenerations are the exception, and it works for backends whose state cannot be copied.
        # Made in `_make_backends`: the spec may be refused (data may not name code), which rejects this dialog.
        self.replayer: Replayer | None = None
        self._kept_calls: list[RecordedCall] = []
        self._turn_calls: list[RecordedCall] = []
        self._sim_history: list[dict[str, Any]] = []

    # -- backends --

    def backend_spec(self) -> dict[str, Any] | None:
        return combine(normalize_spec(self.plan.backend), normalize_spec(self.cfg.backend))

    def _make_backends(self) -> None:
        # The plan names the backend (data: allow-listed kinds only) unless the recipe or command line gives one
        # (`synth.backend`, the only way a `python:` module gets in); `backend_spec` has already applied that rule.
        self.replayer = Replayer(self.backend_spec(), list(self.tools.values()), trusted=True)
        self.real = self.replayer.fresh()
        rest = [t for n, t in self.tools.items() if self.real is None or not self.real.handles(n)]
        if rest and self.cfg.simulate_missing:
            self.sim = SimulatedBackend(
                rest,
                self.gw,
                role=self.cfg.roles.get("tool", "tool"),
                history_limit=self.cfg.history_window * 2,
                seed=self.plan.seed,
            )

    def backend_label(self) -> str:
        parts = []
        if self.real is not None:
            parts.append(self.real.name)
        if self.sim is not None and self.sim.history:
            parts.append(self.sim.name)
        return "+".join(parts) or ("simulated" if self.sim is not None else "none")

    async def execute(self, call: ToolCall, offered: dict[str, Tool]) -> ExecResult:
        result = await run_call(call, offered, self.real, self.sim)
        if self.real is not None and self.real.handles(call.name) and call.name in offered:
            self._turn_calls.append(RecordedCall(call, result.content(), result.source))
        return result

    # -- turns --

    def _begin_turn(self) -> None:
        self._turn_calls = []
        if self.sim is not None:
            self._sim_history = self.sim.checkpoint()

    def _keep_turn(self) -> None:
        self._kept_calls.extend(self._turn_calls)
        self._turn_calls = []

    def _roll_back_turn(self) -> None:
        """Backend state as it was when the turn began."""
        if self._turn_calls and self.real is not None:
            assert self.replayer is not None  # rollback only happens after _make_backends
            self.real = self.replayer.rebuild(
                self._kept_calls, where=f"plan {self.plan.id}: rollback"
            ).backend
        self._turn_calls = []
        if self.sim is not None:
            self.sim.restore(self._sim_history)

    def _offered(self, turn: PlanTurn) -> dict[str, Tool]:
        return {n: self.tools[n] for n in turn.offered_tools if n in self.tools}

    def _new_call_id(self) -> str:
        self.n_calls += 1
        return f"call_{self.n_calls}"

    async def realize_turn(
        self, turn: PlanTurn, attempt: int, feedback: str
    ) -> tuple[DialogTurn, dict[str, ExecResult], str | None]:
        start = len(self.messages)
        offered = self._offered(turn)
        tool_defs = [t.to_openai() for t in offered.values()]
        user_source: str | None = None
        if turn.intent.strip() or turn.user_provides or turn.index == 0:
            utt = await self.user.speak(self.plan, turn, self.messages, attempt=attempt)
            self.messages.append(Message(role="user", content=utt.text))
            user_source = utt.source
        results: dict[str, ExecResult] = {}
        done: list[ToolCall] = []
        first_hint: str | None = None
        steps: list[StepRecord] = []
        result_records: list[ToolResultRecord] = []
        followups = 0
        for step in range(self.cfg.max_steps):
            hint = render_hint(self.plan, turn, done, feedback if step == 0 else "")
            first_hint = first_hint or hint
            choice = tool_choice_for(turn, done) if self.cfg.steer_tool_choice else None
            res = await self.assistant.act(
                self.messages,
                tool_defs,
                hint,
                seed=_seed(self.plan, turn.index, attempt, step),
                tool_choice=choice,
                turn=turn,
                done=done,
            )
            calls = calls_of(res, self._new_call_id)
            content = res.content if (res.content or "").strip() else None
            steps.append(
                StepRecord(message=len(self.messages), hint=hint, tool_choice=choice if tool_defs else None)
            )
            self.messages.append(Message(role="assistant", content=content, tool_calls=calls))
            if not calls:
                if (
                    turn.expected.kind == "call"
                    and not done
                    and followups < self.cfg.max_followups
                    and (content or "").rstrip().endswith("?")
                ):
                    # The assistant asked before acting: the user answers, and the turn goes on.
                    followups += 1
                    utt = await self.user.follow_up(self.plan, turn, self.messages, attempt=attempt)
                    self.messages.append(Message(role="user", content=utt.text))
                    continue
                break
            for call in calls:
                r = await self.execute(call, offered)
                results[call.id] = r
                result_records.append(
                    ToolResultRecord(
                        message=len(self.messages),
                        tool_call_id=call.id,
                        source=r.source if r.source in ("executed", "simulated", "rejected") else None,  # type: ignore[arg-type]
                        error=not r.ok,
                    )
                )
                self.messages.append(
                    Message(role="tool", content=r.content(), tool_call_id=call.id, name=call.name)
                )
            done.extend(calls)
        dturn = DialogTurn(
            index=turn.index,
            start=start,
            end=len(self.messages),
            offered_tools=list(offered),
            expected=turn.expected.kind,
            hint=first_hint,
            attempts=attempt + 1,
            planned=turn.expected,
            steps=steps,
            results=result_records,
        )
        return dturn, results, user_source

    async def run(self) -> DialogOutcome:
        try:
            self._make_backends()
        except ToolsynthError as exc:
            return DialogOutcome(self._dialog(), False, error=f"backend: {exc.one_line()}")
        for turn in sorted(self.plan.turns, key=lambda t: t.index):
            self._begin_turn()
            start = len(self.messages)
            n_calls = self.n_calls
            feedback = ""
            failure: CheckResult | None = None
            failed: list[FailedAttempt] = []
            for attempt in range(self.cfg.max_regenerations + 1):
                if attempt:
                    del self.messages[start:]
                    self.n_calls = n_calls
                    self._roll_back_turn()
                dturn, results, user_source = await self.realize_turn(turn, attempt, feedback)
                outcome = TurnOutcome(
                    self.plan,
                    turn,
                    dturn,
                    self.messages,
                    self._offered(turn),
                    results,
                    user_source,
                    self.tools,
                )
                checks = list(await self.ctx.checker(outcome, self.gw, self.cfg))
                failure = next((c for c in checks if c.layer in self.required and c.passed is False), None)
                if failure is None or attempt == self.cfg.max_regenerations:
                    self._keep_turn()
                    dturn.failed_attempts = failed
                    self.turns.append(dturn)
                    self.checks.extend(checks)
                    break
                failed.append(
                    FailedAttempt(
                        attempt=attempt,
                        messages=list(self.messages[start:]),
                        steps=dturn.steps,
                        results=dturn.results,
                        checks=checks,
                        failure=failure,
                    )
                )
                feedback = f"{failure.layer} check: {failure.reason}"
            if failure is not None:
                return DialogOutcome(self._dialog(), False, failure=failure)
        return DialogOutcome(self._dialog(), True)

    def _dialog(self) -> Dialog:
        offered: dict[str, Tool] = {}
        for t in self.turns:
            for n in t.offered_tools:
                offered.setdefault(n, self.tools[n])
        if not self.turns:
            for pt in self.plan.turns:
                for n in pt.offered_tools:
                    if n in self.tools:
                        offered.setdefault(n, self.tools[n])
        return Dialog(
            id=dialog_id(self.plan),
            plan_id=self.plan.id or self.plan.compute_id(),
            strategy=self.plan.strategy,
            category=self.plan.category,
            parallel=self.plan.parallel,
            nested=self.plan.nested,
            tools=[t.to_openai() for t in offered.values()],
            system=self.cfg.system_prompt,
            messages=self.messages,
            turns=self.turns,
            checks=self.checks,
            models=dict(self.ctx.models),
            usage=self.usage.to_record(),
            backend=self.backend_label(),
            backend_spec=self._recorded_spec(),
        )

    def _recorded_spec(self) -> dict[str, Any] | None:
        if self.cfg.backend is None:
            return self.plan.backend
        try:
            return self.backend_spec()
        except ToolsynthError:
            return self.plan.backend  # the refused spec, recorded as the plan gave it


async def run_call(
    call: ToolCall, offered: dict[str, Tool], real: Backend | None, sim: SimulatedBackend | None
) -> ExecResult:
    """How synthesis executes one call (make-preferences executes negatives the same way): never a call whose
    arguments did not parse or a tool not offered at this turn; the real backend when it has the tool, else the
    tool agent."""
    if BAD_ARGS_KEY in call.arguments:
        return ExecResult(ok=False, error="arguments are not a JSON object", source="rejected")
    if call.name not in offered:
        # Never run a tool the assistant was not offered (a miss_func turn's withheld tool would change state).
        return ExecResult(ok=False, error=f"tool {call.name!r} is not available", source="rejected")
    if real is not None and real.handles(call.name):
        return await real.aexecute(call)
    if sim is not None and sim.handles(call.name):
        return await sim.aexecute(call)
    return ExecResult(ok=False, error=f"no backend can run {call.name!r}", source="rejected")


def calls_of(res: Any, new_id: Callable[[], str]) -> list[ToolCall]:
    """The calls of a model answer with fresh ids. A call whose arguments did not parse stays, marked, so the format
    check names it (dropping it would leave an empty or misleading message); it is never executed."""
    calls = [ToolCall(id=new_id(), name=c.name, arguments=c.arguments) for c in res.tool_calls]
    calls += [
        ToolCall(
            id=new_id(),
            name=str(bad.get("name") or ""),
            arguments={BAD_ARGS_KEY: _as_text(bad.get("arguments"))},
        )
        for bad in getattr(res, "invalid_tool_calls", None) or []
    ]
    return calls


def _as_text(value: Any) -> str:
    import orjson

    return value if isinstance(value, str) else orjson.dumps(value, default=str).decode()


def _seed(plan: Plan, turn: int, attempt: int, step: int) -> int:
    return (plan.seed * 7919 + turn * 131 + attempt * 31 + step) % (2**31)


async def synthesize_dialog(plan: Plan, ctx: SynthContext) -> DialogOutcome:
    return await DialogBuilder(plan, ctx).run()
