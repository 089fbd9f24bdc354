"""ToolFlow planned generation (Wang et al., 2025, §2): before any dialog text, a planner model writes the dialog
plan for the sampled tool subset: the user's overall goal and, per turn, the intent, whether it needs tools and which,
and chit-chat turns, so that the conversation is natural and coherent.

The answer is structured output validated against `plan_schema` by the gateway (with its retries); what the schema
cannot say (a tool turn must name tools, tools must exist) is checked here, and a failing plan becomes a reject with
its reason. The hard-case operations (split, missing function, distractors) are then applied exactly as for MAGNET.
"""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.plans.intents import summary
from toolsynth.plans.operations import dependency_fields
from toolsynth.plans.skeleton import SCall, Skeleton, SOp, STurn
from toolsynth.plans.values import accept_llm_values
from toolsynth.plans.walk import WalkIndex
from toolsynth.prompts import registry as prompts
from toolsynth.prompts import toolflow_planner
from toolsynth.prompts.base import Prompt

SYSTEM_PROMPT = (
    toolflow_planner.SYSTEM
)  # kept under its old name: the prompt is `prompts.toolflow_planner.PLAN`
plan_schema = toolflow_planner.plan_schema


def _tool_line(tpl: Prompt, tool: Tool) -> str:
    req = set(tool.required)
    params = ", ".join(
        tpl.part(
            "param",
            name=p,
            optional="" if p in req else tpl.part("optional"),
            type=(s or {}).get("type", "any") if isinstance(s, dict) else "any",
        )
        for p, s in tool.properties.items()
    )
    outs = ", ".join(f.path for f in tool.return_fields()[:6])
    line = tpl.part("tool", name=tool.name, params=params, summary=summary(tool))
    return tpl.part("tool_returns", line=line, outputs=outs) if outs else line


def plan_messages(
    tools: list[Tool],
    *,
    category: str,
    turns: tuple[int, int],
    chat_turns: tuple[int, int],
    state: dict[str, Any] | None = None,
) -> list[dict[str, str]]:
    tpl = prompts.get(toolflow_planner.PLAN_ID)
    lines = [
        tpl.part("tools"),
        *(_tool_line(tpl, t) for t in tools),
        "",
        tpl.part(
            "shape", min_turns=turns[0], max_turns=turns[1], min_chat=chat_turns[0], max_chat=chat_turns[1]
        ),
    ]
    if f"category_{category}" in tpl.parts:
        lines.append(tpl.part(f"category_{category}"))
    if state:
        blob = orjson.dumps(state, option=orjson.OPT_SORT_KEYS).decode()
        lines.append(tpl.part("state", state=blob if len(blob) <= 1500 else blob[:1500] + " ..."))
    return [{"role": "system", "content": tpl.system}, {"role": "user", "content": "\n".join(lines)}]


def skeleton_from_answer(
    data: dict[str, Any], subset: list[str], index: WalkIndex, min_score: float = 0.0
) -> tuple[Skeleton | None, str, int | None]:
    """The planner's answer as a skeleton, or (None, reason, None). Also returns the turn the planner marked as
    a clarification, for the split operation of miss_param plans."""
    tools = index.graph.tools
    allowed = set(subset)
    raw_turns = data.get("turns")
    if not isinstance(raw_turns, list) or not raw_turns:
        return None, "plan has no turns", None
    turns: list[STurn] = []
    ops: list[SOp] = []
    clarify: int | None = None
    for i, rt in enumerate(raw_turns):
        if not isinstance(rt, dict):
            return None, f"turn {i} is not an object", None
        intent = str(rt.get("intent") or "").strip()
        kind = rt.get("kind")
        if kind == "chat":
            turns.append(STurn("chat", intent=intent))
            continue
        names = list(dict.fromkeys(str(n) for n in rt.get("tools") or []))
        unknown = [n for n in names if n not in allowed]
        if unknown:
            return None, f"turn {i} names tools outside the sampled subset: {unknown}", None
        if not names:
            return None, f"turn {i} needs tools but names none", None
        args = rt.get("arguments") if isinstance(rt.get("arguments"), dict) else {}
        calls = [SCall(n, given=accept_llm_values(tools[n], args.get(n))) for n in names]
        turn = STurn("call", calls=calls, intent=intent)
        ops.extend(_link(turn, index, min_score))
        turns.append(turn)
        if rt.get("clarify") and clarify is None:
            clarify = len(turns) - 1
    if not any(t.kind == "call" for t in turns):
        return None, "plan has no tool turn", None
    used = [c.tool for t in turns for c in t.calls]
    order = [n for n in subset if n in used]
    skel = Skeleton(turns=turns, tools=order, ops=ops, goal=str(data.get("goal") or "").strip())
    return skel, "", clarify


def _link(turn: STurn, index: WalkIndex, min_score: float) -> list[SOp]:
    """Calls the planner put in one turn: a later call fed by an earlier one over a return→param edge is nested
    (dependency recorded); calls with no such link are parallel."""
    tools = index.graph.tools
    ops: list[SOp] = []
    for j, consumer in enumerate(turn.calls):
        for producer in turn.calls[:j]:
            edge = next(
                (e for e in index.producers.get(consumer.tool, ()) if e.source == producer.tool), None
            )
            if edge is None:
                continue
            df = dependency_fields(edge.reason, tools[producer.tool], tools[consumer.tool])
            if df is None or df[0] in consumer.dep_args():
                continue
            consumer.deps.append((df[0], producer, df[1]))
            consumer.given.pop(df[0], None)
            detail = {"producer": producer.tool, "consumer": consumer.tool, "arg": df[0], "field": df[1]}
            ops.append(SOp("insert", turn, {**detail, "by": "planner"}))
            break
    if sum(1 for c in turn.calls if not c.deps) > 1:
        ops.append(
            SOp("merge", turn, {"mode": "planner", "tools": [c.tool for c in turn.calls], "by": "planner"})
        )
    return ops
