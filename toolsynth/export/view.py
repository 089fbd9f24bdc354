"""What every format is written from: a dialog or a preference pair with the export rules already applied.

The rules live here once, so every format says the same thing about the same dialog (README "Export rules"):
- one tool list per record: the tools offered on the first turn. A later turn that offers other tools (a
  missing-function turn re-offers the withheld tool) says so in band, BFCL's way: its user message starts with a
  notice naming the added tools with their full definitions (and the removed ones by name);
- a turn that failed a check (one that was not required, or the dialog would have been rejected) is not trained:
  `train=False` on its assistant messages; formats that cannot weight messages cut the dialog before that turn;
- assistant `content` is None when a message only calls tools ("" and whitespace become None), a string otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from toolsynth.errors import InputError
from toolsynth.messages import Message
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.record import Dialog

#: BFCL's own words when functions are added back mid-dialog (multi_turn_miss_func)
REOFFER_SENTENCE = "I have updated some more functions you can choose from."


@dataclass
class ExportMessage:
    message: Message
    train: bool = False  # an assistant action that is trained
    turn: int | None = None


@dataclass
class ExportDialog:
    id: str
    plan_id: str
    category: str
    system: str | None
    tools: list[dict[str, Any]]
    messages: list[ExportMessage]
    failed_turns: set[int] = field(default_factory=set)
    reoffers: int = 0  # turns whose user message carries a tool-list notice
    checks: list[tuple[str, bool | None]] = field(default_factory=list)  # (layer, passed) per checked turn
    user_rewrites: dict[str, str] = field(default_factory=dict)  # user text → the same with its tool notice

    @property
    def parallel(self) -> bool:
        return any(len(m.message.tool_calls) > 1 for m in self.messages)

    def called_tools(self) -> list[str]:
        return [c.name for m in self.messages for c in m.message.tool_calls]

    def user_texts(self) -> list[str]:
        return [m.message.content or "" for m in self.messages if m.message.role == "user"]

    def trained_prefix(self) -> ExportDialog | None:
        """For formats that cannot weight messages: the dialog cut before its first failed turn (None when that
        leaves no trained assistant message)."""
        if not self.failed_turns:
            return self
        first = min(self.failed_turns)
        cut = next(
            (i for i, m in enumerate(self.messages) if m.turn is not None and m.turn >= first),
            len(self.messages),
        )
        kept = self.messages[:cut]
        if not any(m.train for m in kept):
            return None
        return replace(self, messages=kept, failed_turns=set())


@dataclass
class ExportPair:
    id: str
    dialog_id: str
    plan_id: str
    category: str
    system: str | None
    tools: list[dict[str, Any]]
    prompt: list[Message]
    chosen: list[Message]
    rejected: list[Message]
    kind: str
    error: str
    turn: int


def tool_name(tool: dict[str, Any]) -> str:
    fn = tool.get("function") if isinstance(tool.get("function"), dict) else tool
    return str(fn.get("name", ""))


def _clean(msg: Message) -> Message:
    """Canonical content rule: None for a message that only calls tools, never "" for it."""
    if msg.role == "assistant" and msg.tool_calls and msg.content is not None and not msg.content.strip():
        return msg.model_copy(update={"content": None})
    return msg


def _notice(added: list[dict[str, Any]], removed: list[str]) -> str:
    parts = []
    if added:
        defs = "\n".join(orjson.dumps(t).decode() for t in added)
        parts.append(f"{REOFFER_SENTENCE}\n<tools>\n{defs}\n</tools>")
    if removed:
        parts.append("These functions are no longer available: " + ", ".join(removed) + ".")
    return "\n".join(parts)


def dialog_view(dialog: Dialog, *, where: str) -> ExportDialog:
    msgs = list(dialog.messages)
    system = dialog.system
    if msgs and msgs[0].role == "system":
        system = msgs[0].content
        msgs = msgs[1:]
        shift = 1
    else:
        shift = 0
    if any(m.role == "system" for m in msgs):
        raise InputError("a system message after the first one cannot be exported", where=where)
    for i, m in enumerate(msgs):
        if m.role == "assistant" and not m.tool_calls and not (m.content or "").strip():
            raise InputError(
                f"message {i + shift}: an assistant message with no text and no calls", where=where
            )
    by_name = {tool_name(t): t for t in dialog.tools}
    turn_of: dict[int, int] = {}
    for t in dialog.turns:
        for i in range(max(t.start - shift, 0), max(t.end - shift, 0)):
            turn_of[i] = t.index
        unknown = [n for n in t.offered_tools if n not in by_name]
        if unknown:
            raise InputError(f"turn {t.index} offers tools with no definition: {unknown}", where=where)
    failed = {c.turn for c in dialog.checks if c.passed is False}
    turns = sorted(dialog.turns, key=lambda t: t.index)
    first_offer = turns[0].offered_tools if turns else [tool_name(t) for t in dialog.tools]
    tools = [by_name[n] for n in first_offer if n in by_name]
    out = [
        ExportMessage(
            _clean(m),
            train=m.role == "assistant" and turn_of.get(i) not in failed,
            turn=turn_of.get(i),
        )
        for i, m in enumerate(msgs)
    ]
    # Tool-list changes become notices at the start of the turn that changes it.
    inserts: list[tuple[int, str, int]] = []
    offered = list(first_offer)
    for t in turns[1:]:
        if t.offered_tools == offered:
            continue
        added = [by_name[n] for n in t.offered_tools if n not in offered]
        removed = [n for n in offered if n not in t.offered_tools]
        offered = list(t.offered_tools)
        if added or removed:
            inserts.append((max(t.start - shift, 0), _notice(added, removed), t.index))
    rewrites: dict[str, str] = {}
    for pos, text, turn in reversed(inserts):
        if pos < len(out) and out[pos].message.role == "user":
            m = out[pos].message
            new = f"{text}\n\n{m.content or ''}".rstrip()
            rewrites[m.content or ""] = new
            out[pos] = ExportMessage(m.model_copy(update={"content": new}), False, turn)
        else:  # the model acts again with no user message: the notice is a user message of its own
            out.insert(pos, ExportMessage(Message(role="user", content=text), False, turn))
    return ExportDialog(
        id=dialog.id,
        plan_id=dialog.plan_id,
        category=dialog.category,
        system=system,
        tools=tools,
        messages=out,
        failed_turns=failed,
        reoffers=len(inserts),
        checks=[(c.layer, c.passed) for c in dialog.checks],
        user_rewrites=rewrites,
    )


def pair_view(pair: PreferencePair, *, where: str) -> ExportPair:
    prompt = list(pair.prompt)
    system = pair.system
    if prompt and prompt[0].role == "system":
        system = prompt[0].content
        prompt = prompt[1:]
    for side, msgs in (("chosen", pair.chosen), ("rejected", pair.rejected)):
        if not msgs or msgs[0].role != "assistant":
            raise InputError(f"{side} must start with the assistant action where the pair forks", where=where)
    return ExportPair(
        id=pair.id,
        dialog_id=pair.dialog_id,
        plan_id=pair.plan_id,
        category=pair.category,
        system=system,
        tools=pair.tools,
        prompt=[_clean(m) for m in prompt],
        chosen=[_clean(m) for m in pair.chosen],
        rejected=[_clean(m) for m in pair.rejected],
        kind=pair.kind,
        error=pair.error,
        turn=pair.turn,
    )


def with_dialog_rules(
    pair: ExportPair, dialog_tools: list[dict[str, Any]], rewrites: dict[str, str]
) -> ExportPair:
    """A pair of a dialog whose tool list changes: the dialog's first tool list and the same in-band notices on the
    same user messages (both sides), so a pair never says more or less about the tools than its dialog's record."""

    def fix(msgs: list[Message]) -> list[Message]:
        return [
            m.model_copy(update={"content": rewrites[m.content or ""]})
            if m.role == "user" and (m.content or "") in rewrites
            else m
            for m in msgs
        ]

    return replace(
        pair,
        tools=dialog_tools,
        prompt=fix(pair.prompt),
        chosen=fix(pair.chosen),
        rejected=fix(pair.rejected),
    )
