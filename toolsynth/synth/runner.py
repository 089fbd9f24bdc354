"""The per-plan dialog loop and the run over a plans file (concurrency, progress, resume).

One plan → one dialog. Per plan turn: the user agent speaks, the assistant agent acts (tool calls are executed on the
plan's real backend when it has the tool, else by the tool agent), the assistant acts again on the results, until it
answers in text or the step budget is spent. The turn is then verified; a turn that fails a required check is rolled
back (messages and backend state, rebuilt by `toolsynth.synth.replay`) and generated again, at most
`max_regenerations` times, with the failure fed back to the assistant as part of its hint; the failed attempt is kept
in the turn's record (`failed_attempts`: a ready negative for make-preferences). A dialog whose turn still fails is
rejected with that check and turn. Every assistant step records its hint and `tool_choice`, every tool result its
source (executed / simulated / rejected).

Resume: every finished dialog (accepted or rejected) is one flushed line of a journal; a rerun skips the plans whose
dialog is already there, so a kill at any point loses at most the dialogs in flight and duplicates nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.artifacts import JournalWriter, partial_path, promote_sorted, read_artifact, write_artifact
from toolsynth.catalog.model import Tool
from toolsynth.console import log
from toolsynth.errors import LLMError, ToolsynthError
from toolsynth.idset import IdSet
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan, PlanTurn
from toolsynth.synth.agents import AssistantAgent, UsageTally, UserAgent, render_hint, tool_choice_for
from toolsynth.synth.backends.base import Backend, ExecResult, normalize_spec
from toolsynth.synth.backends.simulated import SimulatedBackend
from toolsynth.synth.backends.trust import combine
from toolsynth.synth.checks import JUDGE_ERROR, is_judge_error
from toolsynth.synth.config import SynthConfig
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

LAYERS = ("format", "execution", "semantic", "adherence")


def dialog_id(plan: Plan) -> str:
    """One dialog per plan, named after it, so a rerun recognizes what it already made."""
    pid = plan.id or plan.compute_id()
    tail = pid.split("-", 1)[1] if pid.startswith("plan-") else hashlib.sha256(pid.encode()).hexdigest()[:16]
    return f"dialog-{tail}"


def rejects_path(out: str | Path) -> Path:
    """`dialogs.jsonl` → `dialogs.rejects.jsonl`."""
    out = Path(out)
    name = out.name
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
    return out.with_name(f"{stem}.rejects.jsonl")


# ---- one turn's realization, as the checks see it ----------------------------------------------------------------


@dataclass
class TurnOutcome:
    """Everything a verification layer may need about one realized turn."""

    plan: Plan
    plan_turn: PlanTurn
    turn: DialogTurn
    messages: list[Message]  # the whole dialog so far; the turn is messages[turn.start:turn.end]
    offered: dict[str, Tool]
    results: dict[str, ExecResult]  # tool_call_id → result
    user_source: str | None = None  # "model" / "rule" / None when the turn has no user message
    tools: dict[str, Tool] = field(default_factory=dict)  # every tool of the plan (parsed once per dialog)
    # The turn ends at its action by design (a make-preferences negative cut after its wrong call): a last message
    # that is a tool result is then not an unanswered turn.
    open_ended: bool = False

    @property
    def turn_messages(self) -> list[Message]:
        return self.messages[self.turn.start : self.turn.end]

    @property
    def calls(self) -> list[ToolCall]:
        return [c for m in self.turn_messages if m.role == "assistant" for c in m.tool_calls]


Checker = Callable[
    [TurnOutcome, Any, SynthConfig], Any
]  # async (outcome, gateway, config) -> list[CheckResult]


def _unfinished(outcome: TurnOutcome) -> CheckResult | None:
    """A turn whose last message is a tool result: the assistant never answered (its step budget ran out). No layer
    of `checks` sees this (the judge counts a missing reply as grounded), yet the turn is unusable as it stands."""
    msgs = outcome.turn_messages
    if msgs and msgs[-1].role == "tool" and not outcome.open_ended:
        return CheckResult(
            layer="adherence",
            turn=outcome.turn.index,
            passed=False,
            reason="the assistant never answered after its tool calls (step budget spent)",
        )
    return None


def weak_judge(gateway: Any, config: SynthConfig) -> str | None:
    """The judge's model string when the recipe lists it as too weak to judge, else None."""
    from fnmatch import fnmatchcase

    llm = getattr(gateway, "config", None)
    if llm is None or not hasattr(llm, "roles"):
        return None
    model = role_models(llm, config).get("judge")
    return model if model and any(fnmatchcase(model, p) for p in config.weak_judges) else None


async def default_checker(outcome: TurnOutcome, gateway: Any, config: SynthConfig) -> list[CheckResult]:
    """APIGen's layers plus plan adherence (`toolsynth.synth.checks`) on a turn just generated. Execution uses the
    results the turn already got (the real backend ran them while generating); the LLM judge is skipped when a
    required rule layer already failed, since that turn is regenerated or rejected whatever the judge says."""
    from toolsynth.synth import checks

    wanted = set(config.checks) | set(config.required_checks)
    required = set(config.required_checks)
    view = checks.TurnView(
        index=outcome.turn.index,
        messages=outcome.turn_messages,
        offered=list(outcome.offered),
        expected=outcome.turn.expected,
    )
    tools = checks.ToolIndex(
        outcome.tools.values() if outcome.tools else (outcome.plan.tool(n) for n in outcome.plan.tool_defs)
    )
    out: list[CheckResult] = []
    if "format" in wanted:
        out.append(checks.check_format(view, tools))
    if "execution" in wanted:
        out.append(checks.check_execution(view, tools, None, outcome.results))
    if "adherence" in wanted:
        unfinished = _unfinished(outcome)
        out.append(unfinished or checks.check_adherence(view, outcome.plan_turn.expected))
    failed_rule = any(c.passed is False and c.layer in required for c in out)
    weak = weak_judge(gateway, config)
    if "semantic" in wanted and not failed_rule and weak:
        reason = f"not run: the judge model {weak} is too weak to judge (synth.weak_judges)"
        out.append(CheckResult(layer="semantic", turn=outcome.turn.index, passed=None, reason=reason))
    elif "semantic" in wanted and not failed_rule:
        history = outcome.messages[: outcome.turn.start]
        out.append(
            await checks.check_semantic(
                view, history, tools, gateway, role=config.roles.get("judge", "judge")
            )
        )
    order = {layer: i for i, layer in enumerate(LAYERS)}
    return sorted(out, key=lambda c: order[c.layer])


# ---- one dialog --------------------------------------------------------------------------------------------------


@dataclass
class DialogOutcome:
    dialog: Dialog
    accepted: bool
    failure: CheckResult | None = None
    error: str | None = None

    def reject_record(self) -> dict[str, Any]:
        rec = self.dialog.to_record()
        f = self.failure
        rec["failure"] = (
            {"layer": f.layer, "turn": f.turn, "reason": f.reason}
            if f is not None
            else {"layer": None, "turn": None, "reason": self.error or "unknown"}
        )
        return rec


class TalliedGateway:
    """The run's gateway as one dialog sees it: same calls, plus the dialog's own token/cost tally and the synth
    stage's per-agent answer-length caps."""

    def __init__(self, gateway: Any, tally: UsageTally, caps: dict[str, int] | None = None) -> None:
        self._gw = gateway
        self.tally = tally
        self.caps = caps or {}

    def _limits(self, role: str, kw: dict[str, Any]) -> dict[str, Any]:
        cap = self.caps.get(role)
        llm = getattr(self._gw, "config", None)
        if cap is None or kw.get("max_tokens") is not None or llm is None:
            return kw
        rs = llm.roles.get(role) if hasattr(llm, "roles") else None
        if rs is not None and rs.max_tokens is not None:
            return kw  # the recipe said how long this role may talk
        return {**kw, "max_tokens": min(cap, llm.max_tokens)}

    async def chat(self, role: str, messages: list[Any], tools: list[Any] | None = None, **kw: Any) -> Any:
        res = await self._gw.chat(role, messages, tools=tools, **self._limits(role, kw))
        self.tally.add(role, res)
        return res

    async def structured(self, role: str, messages: list[Any], schema: dict[str, Any], **kw: Any) -> Any:
        res = await self._gw.structured(role, messages, schema, **self._limits(role, kw))
        self.tally.add(role, res)
        return res

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gw, name)


def dialogs_in_flight(llm: Any, config: SynthConfig) -> int:
    """How many dialogs run at once: the recipe's `synth.concurrency`, else the model's concurrency plus an eighth.
    A dialog spends part of its time on local work (execution, checks, prompts) with no request in flight; the
    extra dialogs fill those gaps so the model (the expensive part) always has `llm.concurrency` requests."""
    if config.concurrency:
        return int(config.concurrency)
    return int(llm.concurrency + max(1, llm.concurrency // 8))


def role_models(llm: Any, config: SynthConfig) -> dict[str, str]:
    """agent → model string, as the gateway resolves it (a role's own model, else the run's)."""
    out = {}
    for agent, role in config.roles.items():
        rs = llm.roles.get(role)
        out[agent] = (rs.model if rs is not None else None) or llm.model
    return out


@dataclass
class SynthContext:
    gateway: Any
    config: SynthConfig
    models: dict[str, str] = field(default_factory=dict)
    checker: Checker = default_checker

    def __post_init__(self) -> None:
        llm = getattr(self.gateway, "config", None)
        if not self.models and llm is not None and hasattr(llm, "roles"):
            self.models = role_models(llm, self.config)


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


# ---- a run over many plans ---------------------------------------------------------------------------------------


@dataclass
class RunSummary:
    plans: int = 0
    skipped: int = 0  # already in the journal from an earlier (killed) run
    accepted: int = 0
    rejected: int = 0
    written: int = 0
    rejects_written: int = 0
    check_counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {layer: {"passed": 0, "failed": 0, "n/a": 0} for layer in LAYERS}
    )
    first_failures: dict[str, int] = field(default_factory=dict)
    rule_user_messages: int = 0
    judge_errors: int = 0  # semantic checks of kept turns where the judge gave no verdict (each one fails)
    # dialogs that ended in an unexpected exception this run: not journaled, retried on a rerun
    errors: int = 0
    # dialogs stopped by a model call that failed after every retry: not journaled either, retried on a rerun
    unavailable: int = 0
    regenerated_turns: int = 0
    turns: int = 0
    cost: float = 0.0
    finished: bool = False

    def add(self, out: DialogOutcome) -> None:
        d = out.dialog
        if out.accepted:
            self.accepted += 1
        else:
            self.rejected += 1
            key = out.failure.layer if out.failure is not None else "error"
            if is_judge_error(out.failure):
                key = JUDGE_ERROR
            self.first_failures[key] = self.first_failures.get(key, 0) + 1
        self.judge_errors += sum(1 for c in d.checks if is_judge_error(c))
        for c in d.checks:
            k = "passed" if c.passed else ("n/a" if c.passed is None else "failed")
            self.check_counts.setdefault(c.layer, {"passed": 0, "failed": 0, "n/a": 0})[k] += 1
        self.rule_user_messages += int(d.usage.get("rule_user_messages", 0))
        self.regenerated_turns += sum(1 for t in d.turns if t.attempts > 1)
        self.turns += len(d.turns)
        self.cost += float(d.usage.get("cost", 0.0))

    def acceptance(self) -> dict[str, float | None]:
        """Per layer: the share of checked turns that passed (n/a turns left out)."""
        out: dict[str, float | None] = {}
        for layer, c in self.check_counts.items():
            n = c["passed"] + c["failed"]
            out[layer] = round(c["passed"] / n, 4) if n else None
        return out

    def to_record(self) -> dict[str, Any]:
        done = self.accepted + self.rejected
        return {
            "plans": self.plans,
            "resumed_from_journal": self.skipped,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "acceptance_rate": round(self.accepted / done, 4) if done else None,
            "dialogs_written": self.written,
            "rejects_written": self.rejects_written,
            "turns": self.turns,
            "regenerated_turns": self.regenerated_turns,
            "rule_user_messages": self.rule_user_messages,
            "judge_errors": self.judge_errors,
            "errors": self.errors,
            "model_unavailable": self.unavailable,
            "checks": self.check_counts,
            "check_pass_rate": self.acceptance(),
            "first_failure": dict(sorted(self.first_failures.items())),
            "cost": round(self.cost, 6),
            "finished": self.finished,
        }


def _promote(journal: JournalWriter, keep: IdSet) -> int:
    """Journal → final artifact: only this run's plans, each once, sorted by id (deterministic whatever order the
    concurrent dialogs finished in). Sorted on disk, so memory does not grow with the number of dialogs."""
    journal.close()
    n = promote_sorted(journal.partial, journal.path, journal.kind, key_field="id", keep=keep)
    journal.discard()
    return n


def _done_ids(*journals: JournalWriter) -> IdSet:
    done = IdSet()
    for j in journals:
        for rid in j.iter_done_ids():
            done.add(rid)
    return done


class _PlanFeed:
    """Hands the workers one plan at a time from a lazy iterable, remembering every dialog id of the run (`keep`,
    8 bytes each) and skipping plans already done or seen earlier in this run."""

    def __init__(self, plans: Iterable[Plan], done: IdSet, summary: RunSummary, progress: Any) -> None:
        self._it = iter(plans)
        self.done = done
        self.keep = IdSet()
        self.summary = summary
        self.progress = progress

    def next(self) -> Plan | None:
        for plan in self._it:
            did = dialog_id(plan)
            if not self.keep.add(did):
                continue  # the same plan twice is the same dialog
            self.summary.plans += 1
            if did in self.done:
                self.summary.skipped += 1
                if self.progress is not None:
                    self.progress.advance(1)
                continue
            return plan
        return None


async def run_plans(
    plans: Iterable[Plan],
    out: str | Path,
    ctx: SynthContext,
    *,
    concurrency: int = 8,
    progress: Any = None,
    on_result: Callable[[DialogOutcome], None] | None = None,
    reuse_finished: bool = False,
    fingerprint: dict[str, Any] | None = None,
    restart: bool = False,
) -> RunSummary:
    """Synthesize every plan into `out` (accepted) and `rejects_path(out)` (rejected), resumably.

    `reuse_finished`: dialogs already in a finished `out` (made with the same settings, the caller's judgement)
    count as done too, so a rerun or a grown plans file only makes what is missing.
    `fingerprint`: what the dialogs depend on (`synth.fingerprint`); a journal left with another one is refused
    (`ResumeMismatchError`) unless `restart`, which drops it and starts over.

    `plans` is read lazily (a `PlanSource` streams it from disk): memory stays flat in the number of plans."""
    summary = RunSummary()
    accepted_j = JournalWriter(out, "dialog", fingerprint=fingerprint, restart=restart)
    rejected_j = JournalWriter(rejects_path(out), "dialog_reject", fingerprint=fingerprint, restart=restart)
    # Both journals are checked before either is touched, so a refused resume changes nothing on disk.
    for j in (accepted_j, rejected_j):
        j.prepare()
    if reuse_finished and not restart:
        for j in (accepted_j, rejected_j):
            if j.path.exists() and not j.partial.exists():
                write_artifact(j.partial, j.kind, read_artifact(j.path, j.kind))
    done = _done_ids(accepted_j, rejected_j)
    if len(done):
        log.info("resuming: %d dialogs are already in the journal", len(done))
    feed = _PlanFeed(plans, done, summary, progress)

    def status() -> str:
        return f"accepted {summary.accepted} · rejected {summary.rejected} · ${summary.cost:.4f}"

    async def worker() -> None:
        while True:
            plan = feed.next()
            if plan is None:
                return
            builder = DialogBuilder(plan, ctx)
            try:
                result = await builder.run()
            except asyncio.CancelledError:
                raise
            except LLMError as exc:
                # A bad key or an unknown model fails every dialog alike: stop (the journal keeps what is done).
                # A request the provider refused on its own (context too long) only costs this dialog.
                if type(exc).__name__ == "LLMUnavailableError":
                    # A flaky model gave up on one call after its retries: this dialog is not judged (not
                    # journaled, retried by a rerun) and counted; many in a row mean the model is down: stop.
                    log.warning("dialog for %s: model unavailable: %s", plan.id, exc.one_line())
                    errors.append(error_record(plan, builder, exc))
                    summary.unavailable += 1
                    streak[0] += 1
                    if streak[0] >= UNAVAILABLE_STREAK:
                        raise
                    if progress is not None:
                        progress.advance(1, status=status())
                    continue
                if type(exc).__name__ != "LLMRequestError":
                    raise
                log.warning("dialog for %s: %s", plan.id, exc.one_line())
                result = DialogOutcome(builder._dialog(), False, error=exc.one_line())
            except Exception as exc:  # noqa: BLE001 - one broken dialog must not end a long run
                # A bug, not a verdict on the data: kept out of the journal (a rerun retries it), counted, and the
                # dialog as far as it got goes to the errors file for whoever fixes the bug.
                log.warning("dialog for %s failed: %s: %s", plan.id, type(exc).__name__, exc)
                log.debug("traceback", exc_info=True)
                errors.append(error_record(plan, builder, exc))
                summary.errors += 1
                if progress is not None:
                    progress.advance(1, status=status())
                continue
            streak[0] = 0
            if result.accepted:
                accepted_j.write(result.dialog.to_record())
            else:
                rejected_j.write(result.reject_record())
            summary.add(result)
            if on_result is not None:
                on_result(result)
            if progress is not None:
                progress.advance(1, status=status())

    errors: list[dict[str, Any]] = []
    streak = [0]  # dialogs in a row that ended with the model unavailable
    accepted_j.open()
    rejected_j.open()
    try:
        n = max(1, concurrency)
        tasks = [asyncio.create_task(worker()) for _ in range(n)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    finally:
        accepted_j.close()
        rejected_j.close()
        write_errors(out, errors)
    written = _promote(accepted_j, feed.keep)
    rejects_written = _promote(rejected_j, feed.keep)
    # Counts come from the final files, so a resumed run reports the dialogs of the earlier run(s) too.
    final = summarize_files(out)
    final.plans = summary.plans
    final.skipped = summary.skipped
    final.written = written
    final.rejects_written = rejects_written
    final.errors = summary.errors
    final.unavailable = summary.unavailable
    final.finished = True
    return final


#: Dialogs in a row whose model call gave up (no dialog finished in between) before the run stops: a model that is
#: down, not flaky. The journal keeps what finished; a rerun resumes.
UNAVAILABLE_STREAK = 8


def errors_path(out: str | Path) -> Path:
    """`dialogs.jsonl` → `dialogs.errors.jsonl`: dialogs that ended in an unexpected exception in the last run."""
    out = Path(out)
    stem = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(f"{stem}.errors.jsonl")


def error_record(plan: Plan, builder: DialogBuilder, exc: BaseException) -> dict[str, Any]:
    """What an audit needs: the plan, the exception with its innermost frames, and the dialog as far as it got."""
    import traceback

    frames = [] if isinstance(exc, ToolsynthError) else traceback.extract_tb(exc.__traceback__)[-6:]
    try:
        partial: dict[str, Any] | None = builder._dialog().to_record()
    except Exception as inner:  # noqa: BLE001 - the partial dialog is a courtesy; the error itself is kept
        partial = None
        log.debug("partial dialog of %s not recoverable: %s", plan.id, inner)
    return {
        "id": dialog_id(plan),
        "plan_id": plan.id or plan.compute_id(),
        "error": f"{type(exc).__name__}: {exc}",
        "kind": "model_unavailable" if isinstance(exc, LLMError) else "exception",
        "traceback": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
        "turns_done": len(builder.turns),
        "dialog": partial,
    }


def write_errors(out: str | Path, errors: list[dict[str, Any]]) -> None:
    """The errors of this run (atomically); none means the file of an earlier run is stale and goes."""
    path = errors_path(out)
    if errors:
        write_artifact(path, "dialog_error", sorted(errors, key=lambda r: str(r["id"])))
    else:
        path.unlink(missing_ok=True)


def summarize_files(out: str | Path) -> RunSummary:
    summary = RunSummary()
    out = Path(out)
    if out.exists():
        for rec in read_artifact(out, "dialog"):
            summary.add(DialogOutcome(Dialog.from_record(rec), True))
    rej = rejects_path(out)
    if rej.exists():
        for rec in read_artifact(rej, "dialog_reject"):
            f = rec.get("failure") or {}
            failure = (
                CheckResult(
                    layer=f["layer"], turn=f.get("turn") or 0, passed=False, reason=f.get("reason", "")
                )
                if f.get("layer")
                else None
            )
            dialog = Dialog.from_record({k: v for k, v in rec.items() if k != "failure"})
            summary.add(DialogOutcome(dialog, False, failure=failure, error=f.get("reason")))
    return summary


def journal_exists(out: str | Path) -> bool:
    return partial_path(out).exists() or partial_path(rejects_path(out)).exists()
