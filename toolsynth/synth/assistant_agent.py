"""The assistant agent of synthesize: it acts with native `tools`/`tool_calls` (MAGNET forth-translation
`M(t_{h-1}, u_h, fs_h)`); the plan's expected action reaches it as a *hint* inside the system message of the request
only. Exported messages carry the plain system prompt; the hint is kept in `DialogTurn.hint` for make-preferences."""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.llm.protocol import ModelClient
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan, PlannedCall, PlanTurn
from toolsynth.prompts import dialog_assistant
from toolsynth.prompts import registry as prompts
from toolsynth.synth.config import SynthConfig

HINT_HEADER = dialog_assistant.HINT_HEADER


def _call_text(call: PlannedCall) -> str:
    tpl = prompts.get(dialog_assistant.HINT_ID)
    dep = {d.arg: d for d in call.depends_on}
    args = []
    for k, v in call.arguments.items():
        if k in dep:
            continue
        args.append(tpl.part("argument", name=k, value=orjson.dumps(v).decode()))
    for d in call.depends_on:
        args.append(tpl.part("dependent_argument", name=d.arg, field=d.field, call=d.call))
    return tpl.part("call", tool=call.tool, args=", ".join(args))


def remaining_calls(turn: PlanTurn, done: list[ToolCall]) -> list[PlannedCall]:
    """The turn's planned calls not yet made (matched by tool name, each made call used once)."""
    made = [c.name for c in done]
    remaining = []
    for c in turn.expected.calls:
        if c.tool in made:
            made.remove(c.tool)
        else:
            remaining.append(c)
    return remaining


def tool_choice_for(turn: PlanTurn, done: list[ToolCall]) -> str:
    """What the plan says the next assistant step is: `required` while planned calls are due, `none` where a text
    reply is (ask, refuse, chat, and the answer after the calls)."""
    if turn.expected.kind == "call" and remaining_calls(turn, done):
        return "required"
    return "none"


def render_hint(plan: Plan, turn: PlanTurn, done: list[ToolCall] | None = None, feedback: str = "") -> str:
    """The plan's expected action as an instruction to the assistant (forth-translation's `fs_h`)."""
    tpl = prompts.get(dialog_assistant.HINT_ID)
    exp = turn.expected
    done = done or []
    if exp.kind == "call":
        remaining = remaining_calls(turn, done)
        if not remaining:
            text = tpl.part("calls_done")
        else:
            ids = {c.id for c in remaining}
            now = [c for c in remaining if not any(d.call in ids for d in c.depends_on)]
            later = [c for c in remaining if c not in now]
            label = tpl.part("parallel_calls" if len(now) > 1 else "one_call")
            text = tpl.part("call_now", label=label, calls="; ".join(_call_text(c) for c in now))
            if later:
                text += tpl.part("calls_later", calls="; ".join(_call_text(c) for c in later))
            if any(c.depends_on for c in now):
                text += tpl.part("dependent_now")
    elif exp.kind == "ask":
        wanted = ", ".join(
            tpl.part("ask_item", param=m.rpartition(".")[2], tool=m.rpartition(".")[0]) for m in exp.missing
        )
        text = tpl.part("ask", wanted=wanted or tpl.part("ask_unknown"))
    elif exp.kind == "refuse":
        text = tpl.part("refuse", missing=", ".join(exp.withheld_tools) or tpl.part("refuse_unknown"))
    else:
        text = tpl.part("chat")
    if feedback:
        text += tpl.part("feedback", feedback=feedback)
    return text


def system_with_hint(system: str, hint: str | None) -> str:
    return prompts.get(dialog_assistant.HINT_ID).render(system=system, hint=hint) if hint else system


class AssistantAgent:
    def __init__(self, gateway: ModelClient, config: SynthConfig) -> None:
        self.gw = gateway
        self.cfg = config
        self.role = config.roles.get("assistant", "assistant")

    def request(self, messages: list[Message], hint: str | None) -> list[dict]:
        """The request messages: the hint goes into the system message of this request only, so the exported
        dialog (which keeps the plain system prompt) never contains it."""
        out = [m.to_openai() for m in messages if m.role != "system"]
        system = next((m.content for m in messages if m.role == "system"), None) or self.cfg.system_prompt
        return [{"role": "system", "content": system_with_hint(system, hint)}, *out]

    async def act(
        self,
        messages: list[Message],
        tools: list[dict],
        hint: str | None,
        *,
        seed: int | None = None,
        tool_choice: str | None = None,
        turn: PlanTurn | None = None,  # the plan-grounded agent needs these; this one has its hint
        done: list[ToolCall] | None = None,
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if seed is not None:
            kwargs["seed"] = seed
        if tool_choice is not None and tools:
            kwargs["tool_choice"] = tool_choice
        return await self.gw.chat(self.role, self.request(messages, hint), tools=tools or None, **kwargs)
