"""Verification of dialogs, per turn, in APIGen's layers plus plan adherence.

- format: every call names a tool offered at that turn, its arguments are a JSON object that validates against the
  tool's JSON Schema, and no argument is unknown (hallucinated); every call gets exactly one result.
- execution: the calls run without error on a real backend (replayed in order from the dialog's initial state, so
  state carries across turns); for tools no backend runs, the recorded result must match the return schema and must
  not be an error.
- semantic: an LLM judge (gateway role `judge`) says whether the turn's actions serve the user's request and the
  final answer is grounded in the results.
- adherence: the realized actions vs the plan's expected action (`adherence.py`): a call turn made the planned calls
  (as a multiset) with the planned values of the non-dependent arguments, a split (`ask`) turn asked for the missing
  parameter and made no call, a missing-function (`refuse`) turn made no call, said it cannot and claimed nothing.

Checks only return `CheckResult`s (`passed=None` = the layer does not apply to that turn); they never drop anything.
Filtering is the caller's decision, and every decision stays auditable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.llm.protocol import ModelClient
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import ExpectedAction, Plan
from toolsynth.prompts import registry as prompts
from toolsynth.prompts import turn_judge
from toolsynth.prompts.base import Prompt
from toolsynth.synth import adherence
from toolsynth.synth.backends.base import Backend, ExecResult, validate_arguments
from toolsynth.synth.ingest import BAD_ARGS_KEY, tool_from_def
from toolsynth.synth.record import CheckResult, Dialog, DialogTurn

LAYERS: tuple[str, ...] = ("format", "execution", "semantic", "adherence")
RULE_LAYERS: tuple[str, ...] = ("format", "execution", "adherence")


# ---- a turn as the checks see it -----------------------------------------------------------------------------------


@dataclass
class TurnView:
    index: int
    messages: list[Message]
    offered: list[str]
    expected: str = "unknown"

    @property
    def user_texts(self) -> list[str]:
        return [m.content or "" for m in self.messages if m.role == "user"]

    @property
    def calls(self) -> list[ToolCall]:
        return [c for m in self.messages if m.role == "assistant" for c in m.tool_calls]

    @property
    def results(self) -> dict[str, list[Message]]:
        out: dict[str, list[Message]] = {}
        for m in self.messages:
            if m.role == "tool":
                out.setdefault(m.tool_call_id or "", []).append(m)
        return out

    @property
    def assistant_texts(self) -> list[str]:
        return [m.content for m in self.messages if m.role == "assistant" and m.content and m.content.strip()]

    @property
    def final_text(self) -> str | None:
        last = next((m for m in reversed(self.messages) if m.role == "assistant"), None)
        if last is None or last.tool_calls or not (last.content or "").strip():
            return None
        return last.content


def turn_views(dialog: Dialog) -> list[TurnView]:
    all_names = [t.get("function", t).get("name", "") for t in dialog.tools]
    views = []
    for t in dialog.turns:
        views.append(
            TurnView(
                index=t.index,
                messages=dialog.messages[t.start : t.end],
                # An empty list in a record means "nothing changed": the dialog's whole tool list is on offer.
                offered=list(t.offered_tools) or all_names,
                expected=t.expected,
            )
        )
    return views


class ToolIndex:
    """Tool definitions by the name a model would call them (sanitized name and source name both resolve)."""

    def __init__(self, tools: Iterable[Tool] = ()) -> None:
        self.by_name: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, tool: Tool, *, override: bool = True) -> None:
        for key in (tool.name, tool.original_name):
            if override or key not in self.by_name:
                self.by_name[key] = tool

    def get(self, name: str) -> Tool | None:
        return self.by_name.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def tools(self) -> list[Tool]:
        return list({id(t): t for t in self.by_name.values()}.values())

    @classmethod
    def for_dialog(cls, dialog: Dialog, catalog: ToolIndex | None = None) -> ToolIndex:
        """The dialog's own definitions, with the catalog's (the tools the data was made for) taking precedence."""
        idx = cls()
        for i, d in enumerate(dialog.tools):
            idx.add(tool_from_def(d, source=dialog.id, where=f"{dialog.id}.tools[{i}]"))
        if catalog is not None:
            for t in catalog.tools():
                if t.name in idx or t.original_name in idx or not dialog.tools:
                    idx.add(t)
        return idx


# ---- format ----------------------------------------------------------------------------------------------------------


def call_format_problems(
    call: ToolCall, offered: Iterable[str], tools: ToolIndex | Mapping[str, Tool]
) -> list[str]:
    """Why `call` is malformed for this turn (empty = well-formed). Usable before executing a call."""
    offered_set = set(offered)
    if not call.name:
        return ["call has no function name"]
    if BAD_ARGS_KEY in call.arguments:
        return [f"{call.name}: arguments are not a JSON object: {str(call.arguments[BAD_ARGS_KEY])[:120]!r}"]
    tool = tools.get(call.name)
    if tool is None or (call.name not in offered_set and tool.name not in offered_set):
        return [f"{call.name}: not an offered tool"]
    return [f"{call.name}: {p}" for p in validate_arguments(tool, call.arguments)]


def check_format(view: TurnView, tools: ToolIndex | Mapping[str, Tool]) -> CheckResult:
    problems: list[str] = []
    assistant = [m for m in view.messages if m.role == "assistant"]
    for m in assistant:
        if not m.tool_calls and not (m.content or "").strip():
            problems.append("empty assistant message")
    seen: Counter[str] = Counter(c.id for c in view.calls)
    problems.extend(f"duplicate call id {cid!r}" for cid, n in seen.items() if n > 1)
    for call in view.calls:
        problems.extend(call_format_problems(call, view.offered, tools))
    results = view.results
    call_ids = {c.id for c in view.calls}
    for call in view.calls:
        if call.id not in results:
            problems.append(f"{call.name}: call {call.id!r} has no result")
        elif len(results[call.id]) > 1:
            problems.append(f"{call.name}: call {call.id!r} has {len(results[call.id])} results")
    for cid in results:
        if cid not in call_ids:
            problems.append(f"tool result for unknown call id {cid!r}")
    if not view.calls and not assistant:
        return CheckResult(layer="format", turn=view.index, passed=False, reason="no assistant reply")
    if problems:
        return CheckResult(layer="format", turn=view.index, passed=False, reason="; ".join(problems))
    if not view.calls:
        return CheckResult(
            layer="format", turn=view.index, passed=True, reason="no calls; reply is well-formed"
        )
    return CheckResult(
        layer="format", turn=view.index, passed=True, reason=f"{len(view.calls)} call(s) well-formed"
    )


# ---- execution -------------------------------------------------------------------------------------------------------


def _recorded_output(msg: Message | None) -> Any:
    if msg is None or msg.content is None:
        return None
    try:
        return orjson.loads(msg.content)
    except orjson.JSONDecodeError:
        return msg.content


def _is_error_payload(value: Any) -> str | None:
    if isinstance(value, dict) and value.get("error") not in (None, "", False):
        return str(value["error"])
    if isinstance(value, str) and value.lower().startswith(("error:", "error during execution")):
        return value
    return None


def simulated_result_problems(tool: Tool, recorded: Any) -> list[str] | None:
    """Problems of a recorded (simulated) result against the tool's return schema; None when there is no schema."""
    from toolsynth.synth.backends.simulated import conforms, return_schema

    schema = return_schema(tool)
    if schema is None:
        return None
    return conforms(recorded, schema)


@dataclass
class ExecutionReplay:
    """Runs a dialog's calls in order on one backend (state carries across turns) and remembers each outcome."""

    backend: Backend | None
    tools: ToolIndex | Mapping[str, Tool]
    outcomes: dict[str, ExecResult] = field(default_factory=dict)

    def run_turn(self, view: TurnView, precomputed: Mapping[str, ExecResult] | None = None) -> CheckResult:
        if not view.calls:
            return CheckResult(layer="execution", turn=view.index, passed=None, reason="no calls")
        problems: list[str] = []
        notes: list[str] = []
        unverified = 0
        results = view.results
        for call in view.calls:
            recorded_msgs = results.get(call.id) or []
            recorded = _recorded_output(recorded_msgs[0] if recorded_msgs else None)
            fmt = call_format_problems(call, view.offered, self.tools)
            if fmt:
                # A malformed call cannot be run: the real tool would never have produced its result.
                problems.append(f"{call.name or '?'}: not executed (malformed call)")
                continue
            outcome = precomputed.get(call.id) if precomputed else None
            if outcome is None and self.backend is not None and self.backend.handles(call.name):
                outcome = self.backend.execute(call)
            if outcome is not None:
                self.outcomes[call.id] = outcome
                if not outcome.ok:
                    problems.append(f"{call.name}: {outcome.error}")
                elif (
                    outcome.source == "executed"
                    and recorded is not None
                    and not _same(recorded, outcome.output)
                ):
                    notes.append(f"{call.name}: recorded result differs from execution")
                if outcome.source == "simulated" and outcome.ok and outcome.meta.get("schema_valid") is False:
                    problems.append(f"{call.name}: simulated result does not match the return schema")
                continue
            # Nothing runs this tool: judge the recorded result.
            err = _is_error_payload(recorded)
            if err:
                problems.append(f"{call.name}: result is an error: {err[:160]}")
                continue
            tool = self.tools.get(call.name)
            schema_problems = simulated_result_problems(tool, recorded) if tool is not None else None
            if schema_problems is None:
                unverified += 1
            elif schema_problems:
                problems.append(f"{call.name}: result does not match the return schema: {schema_problems[0]}")
        if problems:
            return CheckResult(
                layer="execution", turn=view.index, passed=False, reason="; ".join(problems + notes)
            )
        if unverified == len(view.calls):
            return CheckResult(
                layer="execution",
                turn=view.index,
                passed=None,
                reason="no backend runs these tools and they have no return schema",
            )
        reason = f"{len(view.calls) - unverified} call(s) ran or matched the return schema"
        if unverified:
            reason += f"; {unverified} unverifiable"
        if notes:
            reason += "; " + "; ".join(notes)
        return CheckResult(layer="execution", turn=view.index, passed=True, reason=reason)


def _same(recorded: Any, output: Any) -> bool:
    if recorded == output:
        return True
    try:
        return orjson.loads(orjson.dumps(output, default=str)) == recorded
    except (TypeError, orjson.JSONEncodeError):
        return False


def check_execution(
    view: TurnView,
    tools: ToolIndex | Mapping[str, Tool],
    backend: Backend | None,
    precomputed: Mapping[str, ExecResult] | None = None,
) -> CheckResult:
    """One turn on its own (the runner uses this with the results it already got while generating the turn)."""
    return ExecutionReplay(backend, tools).run_turn(view, precomputed)


# ---- adherence -------------------------------------------------------------------------------------------------------


def check_adherence(view: TurnView, expected: ExpectedAction | str | None) -> CheckResult:
    """The turn's calls and replies against the plan's expected action (`toolsynth.synth.adherence`)."""
    return adherence.check_adherence(view.index, view.calls, view.assistant_texts, expected)


# ---- semantic (LLM judge) ------------------------------------------------------------------------------------------

JUDGE_SYSTEM = turn_judge.SYSTEM  # kept under their old names: the prompt is `prompts.turn_judge.JUDGE`
JUDGE_SCHEMA = turn_judge.SCHEMA


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def judge_messages(
    view: TurnView, history: list[Message], tools: ToolIndex | Mapping[str, Tool], limit: int = 600
) -> list[dict[str, Any]]:
    tpl = prompts.get(turn_judge.JUDGE_ID)
    lines: list[str] = []
    if history:
        lines.append(tpl.part("history"))
        for m in history[-8:]:
            lines.append(tpl.part("item", text=_render(tpl, m, limit // 2)))
    lines.append(tpl.part("offered"))
    for name in view.offered:
        tool = tools.get(name)
        if tool is not None:
            params = ", ".join(tool.properties)
            lines.append(
                tpl.part("function", name=name, params=params, description=_clip(tool.description, 160))
            )
    lines.append(tpl.part("this_turn"))
    for m in view.messages:
        lines.append(tpl.part("item", text=_render(tpl, m, limit)))
    return [{"role": "system", "content": tpl.system}, {"role": "user", "content": "\n".join(lines)}]


def _render(tpl: Prompt, m: Message, limit: int) -> str:
    if m.role == "assistant" and m.tool_calls:
        calls = "; ".join(
            tpl.part("call", name=c.name, arguments=orjson.dumps(c.arguments).decode()) for c in m.tool_calls
        )
        says = tpl.part("says", text=_clip(m.content, limit)) if m.content else ""
        return tpl.part("calls", calls=_clip(calls, limit), says=says)
    if m.role == "tool":
        return tpl.part("result", name=m.name or m.tool_call_id, content=_clip(m.content or "", limit))
    return tpl.part("message", role=m.role, content=_clip(m.content or "", limit))


#: Reason prefix of a semantic check that failed because the judge gave no verdict (an error, not a judgement).
JUDGE_ERROR = "judge_error"


def is_judge_error(check: CheckResult | None) -> bool:
    return (
        check is not None
        and check.layer == "semantic"
        and check.passed is False
        and check.reason.startswith(JUDGE_ERROR)
    )


async def check_semantic(
    view: TurnView,
    history: list[Message],
    tools: ToolIndex | Mapping[str, Tool],
    gateway: ModelClient,
    *,
    role: str = "judge",
) -> CheckResult:
    if not view.calls and view.final_text is None and not view.assistant_texts:
        return CheckResult(layer="semantic", turn=view.index, passed=None, reason="nothing to judge")
    tpl = prompts.get(turn_judge.JUDGE_ID)
    res = await gateway.structured(role, judge_messages(view, history, tools), tpl.schema, name="turn_review")
    if not res.ok or not isinstance(res.data, dict):
        # No verdict is not a pass: a dead judge model would otherwise accept everything. The turn fails as a
        # `judge_error` (regenerated, then rejected with that reason), and summaries count these apart.
        return CheckResult(
            layer="semantic",
            turn=view.index,
            passed=False,
            reason=f"{JUDGE_ERROR}: the judge gave no verdict ({res.error})",
        )
    ok, reason = tpl.parse(res.data)
    return CheckResult(layer="semantic", turn=view.index, passed=ok, reason=reason)


# ---- a whole dialog --------------------------------------------------------------------------------------------------


def expected_actions(dialog: Dialog, plan: Plan | None) -> dict[int, ExpectedAction | str]:
    """Per turn index: the plan's ExpectedAction when the plan is at hand, else the kind the dialog recorded."""
    out: dict[int, ExpectedAction | str] = {t.index: t.expected for t in dialog.turns}
    if plan is not None:
        for pt in plan.turns:
            if pt.index in out:
                out[pt.index] = pt.expected
    return out


async def check_dialog(
    dialog: Dialog,
    *,
    tools: ToolIndex | None = None,
    backend: Backend | None = None,
    layers: Iterable[str] = RULE_LAYERS,
    gateway: ModelClient | None = None,
    plan: Plan | None = None,
    judge_role: str = "judge",
) -> list[CheckResult]:
    """Every requested layer on every turn, in turn order. `backend` must be fresh (at the dialog's initial state)."""
    wanted = set(layers)
    unknown = wanted - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown check layers: {sorted(unknown)}")
    if "semantic" in wanted and gateway is None:
        raise ValueError("the semantic layer needs a gateway")
    idx = tools if tools is not None else ToolIndex.for_dialog(dialog)
    replay = ExecutionReplay(backend, idx)
    expected = expected_actions(dialog, plan)
    out: list[CheckResult] = []
    for view, turn in zip(turn_views(dialog), dialog.turns, strict=True):
        if "format" in wanted:
            out.append(check_format(view, idx))
        if "execution" in wanted:
            out.append(replay.run_turn(view))
        if "semantic" in wanted:
            out.append(
                await check_semantic(view, dialog.messages[: turn.start], idx, gateway, role=judge_role)
            )
        if "adherence" in wanted:
            out.append(check_adherence(view, expected.get(turn.index)))
    return out


def turn_of(dialog: Dialog, index: int) -> DialogTurn | None:
    return next((t for t in dialog.turns if t.index == index), None)
