"""The plan-grounded assistant (`synth.assistant_mode: grounded`): the plan acts, the model only writes text.

A weak or cheap model cannot be trusted to pick the right function and values, but a plan can: MAGNET's
forth-translation turns the signature into the calls, so in this mode the positive trajectory's calls ARE the plan's
calls (in plan order, in parallel where they do not depend on each other), and an argument that depends on an earlier
call is filled from that call's REAL result as recorded in the dialog (same turn or an earlier one). The model writes
only the assistant's words: the reply after the results, the clarifying question of a split turn, the refusal of a
missing-function turn, a chat reply. Each of those texts passes a guard (plain words, short, no code or tags, no
function names, says what the turn needs: a question that names the missing value, a refusal, a reply that quotes a
result); after `synth.user_retries` refused tries the text is written from the plan by rule, and counted
(`usage.rule_replies`), exactly as the user agent falls back for user messages.

The runner calls `act` where it would call the free assistant agent; everything downstream (execution, checks,
regeneration, records) is the same in both modes.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from toolsynth.llm.gateway import ChatResult, Usage
from toolsynth.llm.protocol import ModelClient
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Dependency, Plan, PlannedCall, PlanTurn
from toolsynth.prompts import dialog_reply
from toolsynth.prompts import registry as prompts
from toolsynth.synth.adherence import asks_question
from toolsynth.synth.agents import (
    UsageTally,
    humanize,
    leaks_value,
    names_function,
    remaining_calls,
    render_value,
    withheld_arguments,
)
from toolsynth.synth.config import SynthConfig

REPLY_SYSTEM = dialog_reply.REPLY.system  # kept under its old name: the prompt is `prompts.dialog_reply`
MAX_REPLY_CHARS = 400
_TAGS = re.compile(r"<[/a-zA-Z!][^>]*>|###|\[/?[A-Z_]{3,}\]|```")
_REFUSAL = re.compile(
    r"\b(can(?:no|')?t|cannot|unable|not able|don'?t have|do not have|not available|no (?:tool|way)|"
    r"not possible|isn'?t possible|sorry)\b",
    re.I,
)
_STOPWORDS = {"the", "and", "for", "with", "from", "into", "of", "to"}


# ---- the planned calls, with dependencies filled from real results ------------------------------------------------


def _lookup(value: Any, path: str) -> Any:
    """`path` (dotted) in a tool output. A key not found at one level is looked for one level down (inside the
    values of a dict, or in the first element of a list), which is how keyed records like BFCL's
    `booking_history: {id: {...}}` hold their fields."""
    cur = value
    for part in path.split("."):
        cur = _step(cur, part)
        if cur is None:
            return None
    return cur


def _step(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        for v in value.values():
            if isinstance(v, dict) and key in v:
                return v[key]
        return None
    if isinstance(value, list) and value:
        return _step(value[0], key)
    return None


def _parse(content: str | None) -> Any:
    try:
        return orjson.loads(content or "")
    except orjson.JSONDecodeError:
        return content


def recorded_result(messages: list[Message], planned: PlannedCall) -> Any | None:
    """The output of the dialog's latest call that realized `planned` (same tool, its fixed arguments), or None."""
    results = {m.tool_call_id: m for m in messages if m.role == "tool"}
    fixed = {k: v for k, v in planned.arguments.items() if k not in {d.arg for d in planned.depends_on}}
    for m in reversed(messages):
        if m.role != "assistant":
            continue
        for c in m.tool_calls:
            if c.name == planned.tool and all(c.arguments.get(k) == v for k, v in fixed.items()):
                res = results.get(c.id)
                return None if res is None else _parse(res.content)
    return None


def fill_dependency(plan: Plan, messages: list[Message], dep: Dependency) -> Any | None:
    source = next((c for t in plan.turns for c in t.expected.calls if c.id == dep.call), None)
    if source is None:
        return None
    output = recorded_result(messages, source)
    if output is None:
        return None
    from toolsynth.plans.paths import MISSING

    # The plan's own path syntax (`booking_history.<id>.field`, `items[0].id`) first, then a looser lookup that
    # also finds a field one level down in keyed records.
    value = dep.resolve(output)
    return _lookup(output, dep.field) if value is MISSING else value


def planned_arguments(plan: Plan, messages: list[Message], call: PlannedCall) -> dict[str, Any]:
    """The call's arguments: the plan's values, and each dependency's value from the real result it names. A value
    the result does not hold keeps the plan's own value where it has one, else stays out (the format check will
    name the missing argument, and the turn is regenerated or rejected: never a made-up value)."""
    args = dict(call.arguments)
    for dep in call.depends_on:
        value = fill_dependency(plan, messages, dep)
        if value is not None:
            args[dep.arg] = value
    return args


def due_calls(turn: PlanTurn, done: list[ToolCall]) -> list[PlannedCall]:
    """The planned calls to make now: the remaining ones that wait on no remaining call of this turn (parallel when
    several are independent; a nested call comes in the next step, once its source's result is in)."""
    remaining = remaining_calls(turn, done)
    ids = {c.id for c in remaining}
    return [c for c in remaining if not any(d.call in ids for d in c.depends_on)]


# ---- the texts the model writes, and their guards -----------------------------------------------------------------


def _content_words(identifier: str) -> list[str]:
    return [w for w in humanize(identifier).split() if len(w) >= 3 and w not in _STOPWORDS] or [
        humanize(identifier)
    ]


def _scalars(value: Any, limit: int = 12) -> list[Any]:
    """Leaf values of a result worth quoting (strings of 2+ characters, numbers), breadth first."""
    out: list[Any] = []
    queue = [value]
    while queue and len(out) < limit:
        v = queue.pop(0)
        if isinstance(v, dict):
            queue.extend(v.values())
        elif isinstance(v, list):
            queue.extend(v[:5])
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int | float) or (isinstance(v, str) and len(v.strip()) >= 2):
            out.append(v)
    return out


def reply_problem(
    text: str,
    kind: str,
    *,
    tool_names: list[str],
    results: list[Any],
    missing: list[str],
    withheld_values: list[Any],
) -> str | None:
    """Why `text` is not a usable assistant reply for a turn of `kind` (None = usable)."""
    if len(text) < 3:
        return "the reply is empty"
    if text.lstrip().startswith(("{", "[")) or _TAGS.search(text):
        return "the reply is code, JSON or markup, not something an assistant says"
    if dialog_reply.echo_guard(prompts.get(dialog_reply.REPLY_ID)).search(text):
        return "it repeats the instructions instead of answering"
    if len(text) > MAX_REPLY_CHARS or len([ln for ln in text.splitlines() if ln.strip()]) > 2:
        return "it is too long for one reply"
    named = names_function(text, tool_names)
    if named:
        return f"it names the function `{named}`"
    low = text.lower()
    if kind == "ask":
        if not (asks_question(text) and text.rstrip().endswith("?")):
            return "it does not ask a question"
        for m in missing:
            if not any(w in low for w in _content_words(m.rpartition(".")[2])):
                return f"it does not ask for the {humanize(m)}"
        for v in withheld_values:
            if v is not None and leaks_value(text, v):
                return "it states the value it should ask for"
        return None
    if kind == "refuse":
        if not _REFUSAL.search(text):
            return "it does not say that this cannot be done"
        return None
    if kind == "call":
        quotable = [v for r in results for v in _scalars(r)]
        if quotable and not any(leaks_value(text, v) for v in quotable):
            return "it quotes nothing from the tool results"
    return None


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _result_phrase(value: Any) -> str:
    if value is None or value == "":
        return "finished, no output"
    if isinstance(value, dict):
        items = [(k, v) for k, v in value.items() if not isinstance(v, dict | list)][:3]
        if items:
            return ", ".join(
                f"{humanize(str(k))} {render_value(v) if v not in ('', None) else '(empty)'}"
                for k, v in items
            )
        if value:
            k, v = next(iter(value.items()))
            return f"{humanize(str(k))} {_clip(render_value(v), 120)}"
        return "no details"
    if isinstance(value, list):
        return f"{len(value)} item(s)" + (f", first {_clip(render_value(value[0]), 80)}" if value else "")
    return _clip(render_value(value), 160)


def rule_reply(plan: Plan, turn: PlanTurn, results: list[tuple[str, Any]]) -> str:
    """The reply written from the plan by rule, when the model's tries break the guard."""
    exp = turn.expected
    if exp.kind == "ask":
        wanted = " and the ".join(humanize(m.rpartition(".")[2]) for m in exp.missing) or "missing detail"
        return f"I need one more detail to do that: what is the {wanted}?"
    if exp.kind == "refuse":
        return "Sorry, I can't do that: none of the tools available to me can do it."
    if exp.kind == "call":
        parts = [f"{humanize(tool)}: {_result_phrase(out)}" for tool, out in results]
        return _clip("Done. " + "; ".join(parts) + ".", MAX_REPLY_CHARS) if parts else "Done."
    return "Sure, happy to help with that."


def _last_user(messages: list[Message]) -> str:
    return next((m.content or "" for m in reversed(messages) if m.role == "user"), "")


def reply_prompt(
    turn: PlanTurn, messages: list[Message], results: list[tuple[str, Any]], feedback: str
) -> list[dict]:
    tpl = prompts.get(dialog_reply.REPLY_ID)
    exp = turn.expected
    sections: list[tuple[str, dict[str, str]]] = [("said", {"said": _clip(_last_user(messages), 300)})]
    if exp.kind == "call":
        lines = [
            tpl.part(
                "result", tool=humanize(tool), output=_clip(orjson.dumps(out, default=str).decode(), 240)
            )
            for tool, out in results
        ]
        sections += [("results", {"results": "\n".join(lines)}), ("tell", {})]
    elif exp.kind == "ask":
        wanted = " and the ".join(humanize(m.rpartition(".")[2]) for m in exp.missing)
        sections.append(("ask", {"wanted": wanted or tpl.part("ask_unknown")}))
    elif exp.kind == "refuse":
        sections.append(("refuse", {}))
    else:
        sections.append(("chat", {}))
    if feedback:
        sections.append(("feedback", {"feedback": feedback}))
    return dialog_reply.messages(tpl, sections)


def _turn_results(turn: PlanTurn, messages: list[Message], done: list[ToolCall]) -> list[tuple[str, Any]]:
    by_id = {m.tool_call_id: m for m in messages if m.role == "tool"}
    return [(c.name, _parse(by_id[c.id].content)) for c in done if c.id in by_id]


class GroundedAssistant:
    """Drop-in for `AssistantAgent.act` that takes the calls from the plan (see the module docstring)."""

    def __init__(
        self, gateway: ModelClient, config: SynthConfig, plan: Plan, usage: UsageTally | None = None
    ) -> None:
        self.gw = gateway
        self.cfg = config
        self.plan = plan
        self.role = config.roles.get("assistant", "assistant")
        self.usage = usage

    async def act(
        self,
        messages: list[Message],
        tools: list[dict],
        hint: str | None,
        *,
        seed: int | None = None,
        tool_choice: str | None = None,
        turn: PlanTurn | None = None,
        done: list[ToolCall] | None = None,
    ) -> ChatResult:
        if turn is None:
            raise ValueError("the grounded assistant needs the plan turn")
        done = list(done or [])
        if turn.expected.kind == "call":
            due = due_calls(turn, done)
            if due:
                calls = [
                    ToolCall(
                        id=f"plan_{c.id}", name=c.tool, arguments=planned_arguments(self.plan, messages, c)
                    )
                    for c in due
                ]
                return ChatResult(content=None, tool_calls=calls, usage=Usage(), cached=False, model="plan")
        text = await self.reply(turn, messages, done, seed=seed)
        return ChatResult(content=text, tool_calls=[], usage=Usage(), cached=False, model="plan")

    async def reply(
        self, turn: PlanTurn, messages: list[Message], done: list[ToolCall], *, seed: int | None
    ) -> str:
        results = _turn_results(turn, messages, done)
        names = list(self.plan.tool_defs) or list(self.plan.tools)
        withheld = [w.value for w in withheld_arguments(self.plan, turn)]
        feedback = ""
        for k in range(self.cfg.user_retries + 1):
            kw: dict[str, Any] = {} if seed is None else {"seed": seed + 1000 * k}
            res = await self.gw.chat(self.role, reply_prompt(turn, messages, results, feedback), **kw)
            text = prompts.get(dialog_reply.REPLY_ID).parse(res.content)
            problem = reply_problem(
                text,
                turn.expected.kind,
                tool_names=names,
                results=[out for _, out in results],
                missing=list(turn.expected.missing),
                withheld_values=withheld,
            )
            if problem is None:
                if self.usage is not None:
                    self.usage.model_replies += 1
                return text
            feedback = problem
        if self.usage is not None:
            self.usage.rule_replies += 1
        return rule_reply(self.plan, turn, results)
