"""One realized turn as the verification layers see it, and the default checker (APIGen's layers plus plan
adherence) run on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan, PlanTurn
from toolsynth.synth.backends.base import ExecResult
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.record import (
    CheckResult,
    DialogTurn,
)
from toolsynth.synth.roles import role_models

LAYERS = ("format", "execution", "semantic", "adherence")


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
