"""What the user of a plan turn knows and says: the values it states, the arguments a split turn withholds, the
turn's intent and signature in words (never a function's name)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.plans.record import Plan, PlannedCall, PlanTurn


@dataclass(frozen=True)
class Fact:
    """A value the user states: `label` is how a person would refer to it (never the parameter identifier)."""

    label: str
    value: Any


@dataclass(frozen=True)
class Withheld:
    """An argument a split turn leaves out (`tool.param`), with the value the plan supplies later when known."""

    tool: str
    param: str
    description: str
    value: Any = None


def humanize(identifier: str) -> str:
    """`file_name` / `fileName` / `tool.file_name` → `file name`."""
    leaf = identifier.rsplit(".", 1)[-1]
    leaf = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", leaf)
    return re.sub(r"[_\-]+", " ", leaf).strip().lower()


def render_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _dependent_args(call: PlannedCall) -> set[str]:
    return {d.arg for d in call.depends_on}


def _missing_params(turn: PlanTurn) -> set[tuple[str, str]]:
    out = set()
    for m in turn.expected.missing:
        tool, _, param = m.rpartition(".")
        out.add((tool, param))
    return out


def known_facts(plan: Plan, turn: PlanTurn) -> list[Fact]:
    """What the user states in this turn: the plan's `user_provides`, else the concrete arguments of the turn's
    calls minus those another call produces (the user doesn't know them) and those a split turn withholds."""
    if turn.user_provides:
        return [Fact(humanize(k), v) for k, v in turn.user_provides.items()]
    missing = _missing_params(turn)
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for call in turn.expected.calls:
        dep = _dependent_args(call)
        for arg, value in call.arguments.items():
            if arg in dep or (call.tool, arg) in missing or (call.tool, arg) in seen:
                continue
            seen.add((call.tool, arg))
            facts.append(Fact(humanize(arg), value))
    return facts


def withheld_arguments(plan: Plan, turn: PlanTurn) -> list[Withheld]:
    """The arguments a split (`ask`) turn leaves out, with the value a later turn supplies (for the leak guard)."""
    out: list[Withheld] = []
    for tool, param in sorted(_missing_params(turn)):
        desc = ""
        if tool in plan.tool_defs:
            desc = str(plan.tool(tool).properties.get(param, {}).get("description", "") or "")
        value = _later_value(plan, turn.index, tool, param)
        out.append(Withheld(tool=tool, param=param, description=desc, value=value))
    return out


def _later_value(plan: Plan, index: int, tool: str, param: str) -> Any:
    for later in plan.turns:
        if later.index <= index:
            continue
        for call in later.expected.calls:
            if call.tool == tool and param in call.arguments:
                return call.arguments[param]
        for key in (f"{tool}.{param}", param):
            if key in later.user_provides:
                return later.user_provides[key]
    return None


_ARG_PAREN = re.compile(r"\s*\((?:[^()]*=[^()]*|the user [^()]*)\)")
_ASSIGNMENT = re.compile(r"\b([A-Za-z_][\w]*)=('[^']*'|\"[^\"]*\"|[^\s,;)]+)")


def intent_text(plan: Plan, turn: PlanTurn) -> str:
    """The turn's intent in words. MAGNET intents carry the values as `(name=value)` and notes for the plan's
    reader (`(the user does not say x)`): the values are stated apart (see `known_facts`), so the code-like
    parentheses go, and a bare `name='value'` left over reads as `name value`."""
    intent = _ARG_PAREN.sub("", turn.intent)
    intent = _ASSIGNMENT.sub(
        lambda m: f"{humanize(m.group(1))} {m.group(2).strip(chr(39) + chr(34))}", intent
    )
    intent = " ".join(intent.split())
    if intent:
        return intent
    if plan.goal.strip():
        return plan.goal.strip()
    return "continue with your request"


def signature_sketch(plan: Plan, turn: PlanTurn, withheld: list[Withheld]) -> str:
    """The turn's signature as a description without the function's name (what back-translation translates)."""
    calls = list(turn.expected.calls)
    if not calls:
        # A split turn may carry no calls: describe the tool that lacks its argument; a refuse turn: the withheld tool.
        tools = [w.tool for w in withheld] or list(turn.expected.withheld_tools)
        calls = [PlannedCall(id=f"x{i}", tool=t) for i, t in enumerate(dict.fromkeys(tools))]
    out = []
    for call in calls:
        if call.tool not in plan.tool_defs:
            continue
        desc = _tool_purpose(plan.tool(call.tool))
        if desc:
            out.append(desc)
    return " Then: ".join(out)


def _tool_purpose(tool: Tool) -> str:
    """A tool's description minus the boilerplate some catalogs prefix (BFCL: "This tool belongs to ...")."""
    from toolsynth.integrations.bfcl.descriptions import strip_class_blurb

    d = " ".join(strip_class_blurb(tool.description or "").split())
    return _clip(d, 240)


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"
