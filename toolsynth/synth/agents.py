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

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan, PlannedCall, PlanTurn
from toolsynth.prompts import dialog_assistant, dialog_user
from toolsynth.prompts import registry as prompts
from toolsynth.prompts.dialog_user import clean_utterance  # noqa: F401 - re-exported for synth.grounded
from toolsynth.synth.config import SynthConfig

# ---- per-dialog accounting ---------------------------------------------------------------------------------------


@dataclass
class UsageTally:
    """Tokens and calls of one dialog, per role (the gateway keeps the run-wide totals). Whether an answer came from
    the cache is left out of the record: the same dialog must read the same on a rerun that hits the cache."""

    calls: dict[str, int] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    rule_user_messages: int = 0
    # Assistant texts of the plan-grounded mode (synth/grounded.py): written by the model / by rule after its tries
    # broke the guard. Recorded only when that mode ran, so free-mode dialogs read as before.
    grounded: bool = False
    model_replies: int = 0
    rule_replies: int = 0

    def add(self, role: str, result: Any) -> None:
        """Count one gateway answer (ChatResult or StructuredResult) against `role`."""
        self.calls[role] = self.calls.get(role, 0) + 1
        usage = getattr(result, "usage", None)
        if usage is not None:
            self.prompt_tokens += int(_get(usage, "prompt_tokens", "input_tokens") or 0)
            self.completion_tokens += int(_get(usage, "completion_tokens", "output_tokens") or 0)
            self.cost += float(_get(usage, "cost", "cost_usd") or 0.0)

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {
            "calls": dict(sorted(self.calls.items())),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
            "rule_user_messages": self.rule_user_messages,
        }
        if self.grounded:
            rec["model_replies"] = self.model_replies
            rec["rule_replies"] = self.rule_replies
        return rec


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if v is not None:
            return v
    return None


# ---- what the user knows -----------------------------------------------------------------------------------------


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


# ---- guards on what the user says --------------------------------------------------------------------------------


def _plain_word(name: str) -> bool:
    """`cat`, `sort`, `add` are English words as well as function names: they count as named only in code context
    (backticks, `name(`, "the function name"). `get_weather`, `getUser` and vowel-less shell names (`cd`, `ls`, `pwd`)
    are not words a person writes, so they count wherever they appear."""
    return name.isalpha() and name.islower() and re.search(r"[aeiouy]", name) is not None


_CODE_CONTEXT = (
    r"(?:`{n}`|\b{n}\s*\(|"
    r"\b(?:function|tool|command|api|method|run|call|execute|invoke)\s+(?:the\s+)?[`'\"]?{n}\b)"
)


def names_function(text: str, names: list[str]) -> str | None:
    """The first function name `text` mentions the way a programmer would, or None."""
    low = text.lower()
    for name in sorted(names, key=len, reverse=True):
        n = re.escape(name.lower())
        if re.search(_CODE_CONTEXT.format(n=n), low):
            return name
        if not _plain_word(name) and re.search(rf"(?<![\w.-]){n}(?![\w-])", low):
            return name
    return None


def leaks_value(text: str, value: Any) -> bool:
    """Whether `text` states `value` (word-bounded, case-insensitive; booleans/None can't leak by wording)."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, list | tuple):
        return bool(value) and all(leaks_value(text, v) for v in value)
    if isinstance(value, dict):
        return bool(value) and all(leaks_value(text, v) for v in value.values())
    s = render_value(value).strip()
    if not s:
        return False
    if isinstance(value, int | float):
        return re.search(rf"(?<![\d.]){re.escape(s)}(?![\d]|\.\d)", text) is not None
    return re.search(rf"(?<!\w){re.escape(s.lower())}(?!\w)", text.lower()) is not None


_STOP_PATTERNS = re.compile(
    r"###\s*(stop|transfer|out-of-scope)\s*###|\b(that'?s all|that is all|all done|goodbye|bye)\b", re.I
)


def ends_early(text: str) -> bool:
    return _STOP_PATTERNS.search(text) is not None


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

    def __init__(self, gateway: Any, config: SynthConfig, usage: UsageTally | None = None) -> None:
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


def states_value(text: str, value: Any) -> bool:
    """Whether `text` states `value` the way a person may write it (`1000` or `1,000`; `7.0` or `7`). Booleans and
    nulls have no wording to look for and count as stated."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return all(states_value(text, v) for v in value)
    if isinstance(value, dict):
        return all(states_value(text, v) for v in value.values())
    if isinstance(value, float) and value.is_integer() and leaks_value(text, int(value)):
        return True
    if isinstance(value, int) and abs(value) >= 1000 and f"{value:,}" in text:
        return True
    return leaks_value(text, value)


MAX_USER_CHARS = 600


def check_user_text(
    text: str, names: list[str], withheld: list[Withheld], facts: list[Fact] | None = None
) -> str | None:
    """Why `text` is not a usable user message (None = usable)."""
    if len(text) < 3:
        return "the message is empty"
    if text.lstrip().startswith(("{", "[", "```")):
        return "the message is code or JSON, not something a person says"
    if dialog_user.echo_guard(prompts.get(dialog_user.TURN_ID)).search(text):
        return "it repeats the instructions instead of speaking as the user"
    if len(text) > MAX_USER_CHARS or len([ln for ln in text.splitlines() if ln.strip()]) > 4:
        return "it is too long for one user message"
    named = names_function(text, names)
    if named:
        return f"it names the function `{named}`"
    for w in withheld:
        if leaks_value(text, w.value):
            return f"it states the {humanize(w.param)}, which the user has not given yet"
    for f in facts or []:
        if not states_value(text, f.value):
            # Back-translation must carry the signature's values, or the assistant cannot make the call.
            return f"it leaves out the {f.label} ({_clip(render_value(f.value), 60)})"
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
    d = tool.description or ""
    m = re.search(r"Tool description:\s*(.*)", d, re.S)
    if m:
        d = m.group(1)
    d = " ".join(d.split())
    return _clip(d, 240)


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


# ---- the assistant agent -----------------------------------------------------------------------------------------

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
    def __init__(self, gateway: Any, config: SynthConfig) -> None:
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
