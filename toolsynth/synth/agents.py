"""The user and assistant agents of synthesize (the tool agent is `backends/simulated.py`).

- The *user agent* back-translates a plan turn into what a person would say (MAGNET `Mb(fs_h)`): it sees the turn's
  intent and the signature with its concrete values, but it must never name a function, must state only what the
  user knows, and must leave out exactly the argument a split turn withholds. Those rules are enforced on its output,
  not only asked for in the prompt: a message that breaks them is asked for again, and after `user_retries` it is
  written from the plan by rule, so a weak model cannot leak the plan into the data.
- The *assistant agent* acts with native `tools`/`tool_calls` (MAGNET forth-translation `M(t_{h-1}, u_h, fs_h)`): the
  plan's expected action reaches it as a *hint* inside the system message of the request only. Exported messages
  carry the plain system prompt; the hint is kept in `DialogTurn.hint` for make-preferences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from toolsynth.llm.protocol import ModelClient
from toolsynth.messages import Message
from toolsynth.plans.record import Plan, PlanTurn
from toolsynth.prompts import dialog_user
from toolsynth.prompts import registry as prompts
from toolsynth.prompts.dialog_user import clean_utterance
from toolsynth.synth.assistant_agent import (
    HINT_HEADER,
    AssistantAgent,
    remaining_calls,
    render_hint,
    system_with_hint,
    tool_choice_for,
)
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.usage import UsageTally
from toolsynth.synth.user_facts import (
    Fact,
    Withheld,
    humanize,
    intent_text,
    known_facts,
    render_value,
    signature_sketch,
    withheld_arguments,
)
from toolsynth.synth.user_guard import (
    MAX_USER_CHARS,
    check_user_text,
    ends_early,
    leaks_value,
    names_function,
    states_value,
)

# The agents' building blocks live in their own modules; these names are imported from here by callers.
__all__ = [
    "HINT_HEADER",
    "MAX_USER_CHARS",
    "AssistantAgent",
    "Fact",
    "UsageTally",
    "UserAgent",
    "Utterance",
    "Withheld",
    "check_user_text",
    "clean_utterance",
    "ends_early",
    "humanize",
    "intent_text",
    "known_facts",
    "leaks_value",
    "names_function",
    "remaining_calls",
    "render_hint",
    "render_value",
    "rule_utterance",
    "signature_sketch",
    "states_value",
    "system_with_hint",
    "tool_choice_for",
    "transcript",
    "withheld_arguments",
]


# ---- transcript --------------------------------------------------------------------------------------------------


def transcript(messages: list[Message], window: int, limit: int = 400) -> str:
    """The dialog so far as plain lines, for agents that are not the assistant."""
    lines = []
    for m in [m for m in messages if m.role != "system"][-window:]:
        if m.role == "tool":
            lines.append(f"(tool result) {_clip(m.content or '', limit)}")
        elif m.role == "assistant" and m.tool_calls:
            lines.append("Assistant: (uses a tool)" + (f" {_clip(m.content, limit)}" if m.content else ""))
        else:
            who = "User" if m.role == "user" else "Assistant"
            lines.append(f"{who}: {_clip(m.content or '', limit)}")
    return "\n".join(lines)


def _clip(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


# ---- the user agent ----------------------------------------------------------------------------------------------

USER_SYSTEM = dialog_user.SYSTEM  # kept under its old name: the prompt itself is `prompts.dialog_user.TURN`


@dataclass
class Utterance:
    text: str
    source: str  # "model" | "rule"
    rejected: list[str] = field(default_factory=list)  # why earlier tries were refused


class UserAgent:
    """`usage` (optional) counts the messages written by rule; tokens are counted by the caller's gateway."""

    def __init__(self, gateway: ModelClient, config: SynthConfig, usage: UsageTally | None = None) -> None:
        self.gw = gateway
        self.cfg = config
        self.role = config.roles.get("user", "user")
        self.usage = usage

    def prompt(self, plan: Plan, turn: PlanTurn, history: list[Message], feedback: str = "") -> list[dict]:
        tpl = prompts.get(dialog_user.TURN_ID)
        facts = known_facts(plan, turn)
        withheld = withheld_arguments(plan, turn)
        sections: list[tuple[str, dict[str, str]]] = [("goal", {"intent": intent_text(plan, turn)})]
        sig = signature_sketch(plan, turn, withheld)
        if sig:
            sections.append(("signature", {"signature": sig}))
        if facts:
            sections.append(("known", {"facts": dialog_user.facts_text(tpl, _fact_pairs(facts))}))
        for w in withheld:
            what = humanize(w.param) + (f" ({w.description.strip()})" if w.description else "")
            sections.append(("withheld", {"what": what}))
        if turn.expected.kind == "refuse":
            sections.append(("refuse", {}))
        convo = transcript(history, self.cfg.history_window)
        if convo:
            sections.append(("conversation", {"transcript": convo}))
        if feedback:
            sections.append(("feedback", {"feedback": feedback}))
        sections.append(("closing", {}))
        return dialog_user.turn_messages(tpl, sections)

    async def speak(
        self, plan: Plan, turn: PlanTurn, history: list[Message], *, attempt: int = 0
    ) -> Utterance:
        names = list(plan.tool_defs) or list(plan.tools)
        withheld = withheld_arguments(plan, turn)
        facts = known_facts(plan, turn)
        rejected: list[str] = []
        feedback = ""
        for k in range(self.cfg.user_retries + 1):
            messages = self.prompt(plan, turn, history, feedback)
            res = await self.gw.chat(self.role, messages, seed=_seed(plan, turn.index, attempt, k))
            text = prompts.get(dialog_user.TURN_ID).parse(res.content)
            problem = check_user_text(text, names, withheld, facts)
            if problem is None:
                return Utterance(text, "model", rejected)
            rejected.append(problem)
            feedback = problem
        if self.usage is not None:
            self.usage.rule_user_messages += 1
        return Utterance(rule_utterance(plan, turn), "rule", rejected)

    async def follow_up(
        self, plan: Plan, turn: PlanTurn, history: list[Message], *, attempt: int = 0
    ) -> Utterance:
        """The user's answer when the assistant asked something instead of acting on a tool turn: confirm and
        repeat what it knows; never treat the confirmation itself as the goal being reached."""
        names = list(plan.tool_defs) or list(plan.tools)
        withheld = withheld_arguments(plan, turn)
        facts = known_facts(plan, turn)
        tpl = prompts.get(dialog_user.FOLLOW_UP_ID)
        messages = dialog_user.follow_up_messages(
            tpl, intent_text(plan, turn), _fact_pairs(facts), transcript(history, self.cfg.history_window)
        )
        for k in range(self.cfg.user_retries + 1):
            res = await self.gw.chat(self.role, messages, seed=_seed(plan, turn.index, attempt, 100 + k))
            text = tpl.parse(res.content)
            problem = check_user_text(text, names, withheld)
            if problem is None and ends_early(text):
                problem = "it ends the conversation before the goal is done"
            if problem is None:
                return Utterance(text, "model")
        if self.usage is not None:
            self.usage.rule_user_messages += 1
        facts_txt = _facts_sentence(facts)
        return Utterance(("Yes, please go ahead. " + facts_txt).strip(), "rule")


def _fact_pairs(facts: list[Fact]) -> list[tuple[str, str]]:
    return [(f.label, render_value(f.value)) for f in facts]


def _facts_sentence(facts: list[Fact]) -> str:
    if not facts:
        return ""
    text = "The " + "; the ".join(f"{f.label} is {render_value(f.value)}" for f in facts)
    return text if text[-1:] in ".?!" else text + "."


def rule_utterance(plan: Plan, turn: PlanTurn) -> str:
    """The user message written from the plan by rule: the intent (or the tool's purpose when the intent itself
    names a function) and the known values. Used when the model's attempts break the rules."""
    names = list(plan.tool_defs) or list(plan.tools)
    withheld = withheld_arguments(plan, turn)
    intent = intent_text(plan, turn)
    if names_function(intent, names) or any(leaks_value(intent, w.value) for w in withheld):
        sketch = signature_sketch(plan, turn, withheld)
        intent = f"I need this done: {sketch[0].lower() + sketch[1:]}" if sketch else "I need some help."
    facts = known_facts(plan, turn)
    if intent[-1:] not in ".?!":
        intent += "."
    return f"{intent} {_facts_sentence(facts)}".strip()


def _seed(plan: Plan, turn: int, attempt: int, k: int) -> int:
    # A different seed per regeneration so a cached or deterministic model doesn't repeat the same rejected answer.
    return (plan.seed * 1009 + turn * 101 + attempt * 17 + k) % (2**31)
