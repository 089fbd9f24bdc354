"""Read dialogs written by anyone into canonical `Dialog`s, so `verify` can audit third-party data.

Formats (detected per record):
- canonical: our `dialogs.jsonl` records (`toolsynth.dialog/2`; dialog/1 is migrated on read);
- OpenAI fine-tuning JSONL: `{"messages": [...], "tools": [{"type": "function", "function": {...}}]}`, assistant
  `tool_calls[].function.arguments` as JSON strings (dicts accepted too, as TRL writes them);
- ShareGPT / LLaMA-Factory: `{"conversations": [{"from": "human"|"gpt"|"function_call"|"observation", "value"}],
  "system", "tools": "<JSON string>"}`; a `function_call` value is `{"name", "arguments"}` or a list of them.

Arguments are parsed as JSON only. A record that cannot be read at all raises `InputError` naming the line; one whose
call arguments are not valid JSON is still read, and the format check reports it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from toolsynth.artifacts import iter_jsonl
from toolsynth.catalog.model import Provenance, Tool
from toolsynth.catalog.names import NAME_PATTERN, sanitize_name
from toolsynth.catalog.schema import normalize_parameters
from toolsynth.errors import InputError
from toolsynth.messages import BAD_ARGS_KEY, Message, ToolCall
from toolsynth.synth.record import Dialog, DialogTurn

DialogFormat = Literal["canonical", "openai", "sharegpt", "unknown"]  # unknown: a line no reader could take

_SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "function_call": "function_call",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
    "system": "system",
}


def detect_format(record: dict[str, Any]) -> DialogFormat | None:
    schema = record.get("schema")
    if isinstance(schema, str) and schema.startswith("toolsynth.dialog"):
        return "canonical"
    if "turns" in record and "messages" in record and "plan_id" in record:
        return "canonical"
    if isinstance(record.get("conversations"), list):
        return "sharegpt"
    if isinstance(record.get("messages"), list):
        return "openai"
    return None


def tool_from_def(defn: Any, *, source: str, where: str) -> Tool:
    """An OpenAI-style tool definition (or a bare function object) as a `Tool`; schema dialects are normalized."""
    if isinstance(defn, dict) and isinstance(defn.get("function"), dict):
        defn = defn["function"]
    if not isinstance(defn, dict) or not isinstance(defn.get("name"), str):
        raise InputError("a tool definition needs a `name`", where=where)
    original = defn["name"]
    name = original if NAME_PATTERN.match(original) else sanitize_name(original)
    params = defn.get("parameters", defn.get("input_schema"))
    return Tool(
        name=name,
        original_name=original,
        description=str(defn.get("description") or ""),
        parameters=normalize_parameters(params, where=f"{where}.{original}.parameters"),
        provenance=Provenance(catalog=Path(source).stem, source_file=source, format="dialog"),
    )


def _parse_tools(raw: Any, *, source: str, where: str) -> list[Tool]:
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"`tools` is not valid JSON ({exc})", where=where) from exc
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise InputError("`tools` must be a list of tool definitions", where=where)
    return [tool_from_def(d, source=source, where=f"{where}.tools[{i}]") for i, d in enumerate(raw)]


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Call arguments from a JSON string or a dict. Anything else is kept under BAD_ARGS_KEY for the format check."""
    if isinstance(raw, dict):
        return raw
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            val = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {BAD_ARGS_KEY: raw}
        if isinstance(val, dict):
            return val
    return {BAD_ARGS_KEY: raw if isinstance(raw, str) else orjson.dumps(raw).decode()}


def _content(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value if p is not None)
    return orjson.dumps(value).decode()


def segment_turns(messages: list[Message], offered: list[str], expected: str = "unknown") -> list[DialogTurn]:
    """A new turn at every user message; assistant/tool messages before the first user message open turn 0."""
    turns: list[DialogTurn] = []
    start: int | None = None
    for i, m in enumerate(messages):
        if m.role == "system":
            continue
        if m.role == "user" and start is not None and i > start:
            turns.append(
                DialogTurn(index=len(turns), start=start, end=i, offered_tools=offered, expected=expected)
            )
            start = i
        elif start is None:
            start = i
    if start is not None:
        turns.append(
            DialogTurn(
                index=len(turns), start=start, end=len(messages), offered_tools=offered, expected=expected
            )
        )
    return turns


def _external(
    rid: str, messages: list[Message], tools: list[Tool], system: str | None, extra: dict[str, Any]
) -> Dialog:
    names = [t.name for t in tools]
    return Dialog(
        id=rid,
        plan_id="",
        strategy="external",
        tools=[t.to_openai() for t in tools],
        system=system,
        messages=messages,
        turns=segment_turns(messages, names),
        usage=extra,
    )


def from_openai(record: dict[str, Any], *, rid: str, source: str, where: str) -> Dialog:
    tools = _parse_tools(record.get("tools") or record.get("functions"), source=source, where=where)
    messages: list[Message] = []
    system: str | None = None
    for i, m in enumerate(record["messages"]):
        w = f"{where}.messages[{i}]"
        if not isinstance(m, dict):
            raise InputError("a message must be an object", where=w)
        role = m.get("role")
        if role in ("system", "developer"):
            text = _content(m.get("content"))
            system = text if system is None else f"{system}\n{text}"
            continue
        if role == "function":  # legacy function-result role
            role = "tool"
        if role not in ("user", "assistant", "tool"):
            raise InputError(f"unknown message role {role!r}", where=w)
        calls: list[ToolCall] = []
        raw_calls = m.get("tool_calls") or []
        if not raw_calls and isinstance(m.get("function_call"), dict):
            raw_calls = [{"function": m["function_call"]}]
        for j, c in enumerate(raw_calls):
            fn = c.get("function", c) if isinstance(c, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                raise InputError("a tool call needs `function.name`", where=f"{w}.tool_calls[{j}]")
            cid = str(c.get("id") or f"call_{i}_{j}")
            calls.append(ToolCall(id=cid, name=fn["name"], arguments=parse_arguments(fn.get("arguments"))))
        messages.append(
            Message(
                role=role,
                content=_content(m.get("content")),
                tool_calls=calls,
                tool_call_id=m.get("tool_call_id"),
                name=m.get("name") if role == "tool" else None,
            )
        )
    _link_tool_results(messages)
    return _external(rid, messages, tools, system, {})


def from_sharegpt(record: dict[str, Any], *, rid: str, source: str, where: str) -> Dialog:
    tools = _parse_tools(record.get("tools"), source=source, where=where)
    system = record.get("system") if isinstance(record.get("system"), str) else None
    messages: list[Message] = []
    for i, turn in enumerate(record["conversations"]):
        w = f"{where}.conversations[{i}]"
        if not isinstance(turn, dict):
            raise InputError("a conversation entry must be an object", where=w)
        role = _SHAREGPT_ROLES.get(str(turn.get("from", "")).lower())
        value = turn.get("value")
        if role is None:
            raise InputError(f"unknown `from` {turn.get('from')!r}", where=w)
        if role == "system":
            system = _content(value)
        elif role == "function_call":
            try:
                parsed = orjson.loads(value) if isinstance(value, str) else value
            except orjson.JSONDecodeError:
                parsed = None
            items = parsed if isinstance(parsed, list) else [parsed]
            calls: list[ToolCall] = []
            for j, item in enumerate(items):
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    # Unreadable call: kept as a call to nothing, which the format check rejects.
                    calls.append(ToolCall(id=f"call_{i}_{j}", name="", arguments={BAD_ARGS_KEY: str(value)}))
                    continue
                calls.append(
                    ToolCall(
                        id=f"call_{i}_{j}",
                        name=item["name"],
                        arguments=parse_arguments(item.get("arguments")),
                    )
                )
            messages.append(Message(role="assistant", content=None, tool_calls=calls))
        elif role == "tool":
            messages.extend(_observations(messages, _content(value)))
        else:
            messages.append(Message(role=role, content=_content(value)))
    _link_tool_results(messages)
    return _external(rid, messages, tools, system, {})


def _observations(messages: list[Message], value: str | None) -> list[Message]:
    """One tool message per pending call: a parallel call's observation may be a JSON list, one item per call."""
    pending = _pending_calls(messages)
    if len(pending) > 1 and value:
        try:
            items = orjson.loads(value)
        except orjson.JSONDecodeError:
            items = None
        if isinstance(items, list) and len(items) == len(pending):
            return [
                Message(
                    role="tool",
                    content=v if isinstance(v, str) else orjson.dumps(v).decode(),
                    tool_call_id=c.id,
                    name=c.name,
                )
                for c, v in zip(pending, items, strict=True)
            ]
    first = pending[0] if pending else None
    return [
        Message(
            role="tool",
            content=value,
            tool_call_id=first.id if first else None,
            name=first.name if first else None,
        )
    ]


def _pending_calls(messages: list[Message]) -> list[ToolCall]:
    """Calls of the latest assistant message that no tool message has answered yet."""
    answered: set[str] = set()
    for m in reversed(messages):
        if m.role == "tool" and m.tool_call_id:
            answered.add(m.tool_call_id)
        elif m.role == "assistant" and m.tool_calls:
            return [c for c in m.tool_calls if c.id not in answered]
        elif m.role in ("user", "assistant"):
            return []
    return []


def _link_tool_results(messages: list[Message]) -> None:
    """Tool messages without `tool_call_id` (common in exported data) answer the pending calls in order."""
    for i, m in enumerate(messages):
        if m.role == "tool" and m.tool_call_id is None:
            pending = _pending_calls(messages[:i])
            if pending:
                m.tool_call_id = pending[0].id
                m.name = m.name or pending[0].name


@dataclass
class Unreadable:
    """A record in a recognized format whose shape is broken (a call without a name, a tool without a schema...).
    Verification reports it as a failing record instead of stopping the whole file."""

    id: str
    reason: str
    record: dict[str, Any]


def _lines(path: str | Path, keep_going: bool) -> Iterator[tuple[int, dict[str, Any] | Unreadable]]:
    """(line, record) per non-empty line; with `keep_going` a line that is not a JSON object yields `Unreadable`
    (judged as a failing record) instead of ending the file."""
    on_bad = (lambda lineno, reason: Unreadable(f"line-{lineno}", reason, {})) if keep_going else None
    return iter_jsonl(path, on_bad)


def read_dialogs(
    path: str | Path, fmt: DialogFormat | None = None, *, keep_going: bool = False
) -> Iterator[tuple[int, DialogFormat, Dialog | Unreadable]]:
    """Stream (line, format, Dialog) from any supported dialogs file. A line that is not JSON, or not a dialog in any
    supported format, raises `InputError`; with `keep_going`, such a line and a dialog record that cannot be read
    yield `Unreadable` instead of raising, so one broken record never stops the others being read."""
    source = str(path)
    for lineno, rec in _lines(path, keep_going):
        where = f"{source}:{lineno}"
        if isinstance(rec, Unreadable):
            yield lineno, "unknown", rec
            continue
        kind = fmt or detect_format(rec)
        if kind is None:
            reason = "not a dialog record (expected toolsynth dialogs, OpenAI `messages`, or ShareGPT `conversations`)"
            if not keep_going:
                raise InputError(reason, where=where)
            yield lineno, "unknown", Unreadable(str(rec.get("id") or f"line-{lineno}"), reason, rec)
            continue
        rid = str(rec.get("id") or f"line-{lineno}")
        try:
            if kind == "canonical":
                # A rejects file holds dialogs plus the synthesizer's verdict (`failure`): verify them afresh.
                dialog = Dialog.from_record({k: v for k, v in rec.items() if k != "failure"})
            elif kind == "openai":
                dialog = from_openai(rec, rid=rid, source=source, where=where)
            else:
                dialog = from_sharegpt(rec, rid=rid, source=source, where=where)
        except InputError as exc:
            if not keep_going:
                raise
            yield lineno, kind, Unreadable(rid, exc.message, rec)
            continue
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # pydantic's ValidationError is a ValueError: one line naming the record, not a traceback
            msg = " ".join(str(exc).split())[:300]
            if not keep_going:
                raise InputError(f"cannot read this {kind} record: {msg}", where=where) from exc
            yield lineno, kind, Unreadable(rid, f"cannot read this {kind} record: {msg}", rec)
            continue
        yield lineno, kind, dialog
