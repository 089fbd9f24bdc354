"""Readers of the two training files toolsynth exports: `trl-sft` (one dialog per line) and `mdpo` (one
trajectory pair per line). Both are taken as the shared format fixes them; `tools` and call `arguments` may be
objects or JSON strings (what an Arrow round trip leaves). Every problem is an InputError naming file:line.field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toolsynth.artifacts import iter_jsonl
from toolsynth.errors import InputError

_ROLES = ("system", "user", "assistant", "tool")


@dataclass
class Turn:
    """One message, normalised: `calls` are (name, arguments-object) pairs; `train` says whether its tokens are
    the model's own action (only assistant messages can be)."""

    role: str
    content: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    name: str | None = None
    train: bool = False


@dataclass
class Conversation:
    messages: list[Turn]
    tools: list[dict[str, Any]]
    source: str = ""


@dataclass
class TrajectoryPair:
    id: str
    tools: list[dict[str, Any]]
    chosen: list[Turn]
    rejected: list[Turn]
    kind: str = ""
    error: str = ""
    source: str = ""


def _json_value(value: Any, where: str, what: str) -> Any:
    """An object given as itself or as a JSON string."""
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{what} is a string that is not JSON ({exc})", where=where) from exc
    return value


def parse_tools(value: Any, where: str) -> list[dict[str, Any]]:
    value = _json_value(value, where, "tools")
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"tools must be a list, got {type(value).__name__}", where=where)
    out = []
    for i, tool in enumerate(value):
        w = f"{where}[{i}]"
        tool = _json_value(tool, w, "a tool")
        fn = tool.get("function") if isinstance(tool, dict) and "function" in tool else tool
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise InputError("a tool needs function.name (a string)", where=w)
        params = _json_value(fn.get("parameters") or {"type": "object", "properties": {}}, w, "parameters")
        if not isinstance(params, dict):
            raise InputError("function.parameters must be an object", where=f"{w}.function.parameters")
        out.append(
            {
                "type": "function",
                "function": {
                    "name": fn["name"],
                    "description": str(fn.get("description") or ""),
                    "parameters": params,
                },
            }
        )
    return out


def parse_message(msg: Any, where: str, *, flags: bool) -> Turn:
    """`flags`: the message must carry `train` (the mdpo form); otherwise an assistant message trains unless it
    says `"train": false` (or OpenAI's `"weight": 0`)."""
    if not isinstance(msg, dict):
        raise InputError(f"a message must be an object, got {type(msg).__name__}", where=where)
    role = msg.get("role")
    if role not in _ROLES:
        raise InputError(f"role must be one of {', '.join(_ROLES)}, got {role!r}", where=f"{where}.role")
    content = msg.get("content")
    if content is None:
        content = ""
    if isinstance(content, list):  # content parts: keep the text ones
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise InputError("content must be a string or null", where=f"{where}.content")
    calls: list[tuple[str, dict[str, Any]]] = []
    raw_calls = msg.get("tool_calls") or []
    if raw_calls and role != "assistant":
        raise InputError("only assistant messages carry tool_calls", where=f"{where}.tool_calls")
    if not isinstance(raw_calls, list):
        raise InputError("tool_calls must be a list", where=f"{where}.tool_calls")
    for j, call in enumerate(raw_calls):
        w = f"{where}.tool_calls[{j}]"
        fn = call.get("function") if isinstance(call, dict) and "function" in call else call
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise InputError("a call needs function.name (a string)", where=w)
        args = _json_value(fn.get("arguments", {}), f"{w}.function.arguments", "arguments")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise InputError("arguments must be an object", where=f"{w}.function.arguments")
        calls.append((fn["name"], args))
    if flags:
        if not isinstance(msg.get("train"), bool):
            raise InputError("every mdpo message needs `train`: true or false", where=f"{where}.train")
        train = msg["train"]
    else:
        train = role == "assistant" and msg.get("train", True) is not False and msg.get("weight", 1) != 0
    if train and role != "assistant":
        raise InputError(
            f"only the assistant's own messages can be trained, this one is {role}", where=f"{where}.train"
        )
    name = msg.get("name")
    return Turn(
        role=role, content=content, calls=calls, name=name if isinstance(name, str) else None, train=train
    )


def _messages(value: Any, where: str, *, flags: bool) -> list[Turn]:
    if not isinstance(value, list) or not value:
        raise InputError("must be a non-empty list of messages", where=where)
    turns = [parse_message(m, f"{where}[{i}]", flags=flags) for i, m in enumerate(value)]
    if not any(t.train for t in turns):
        raise InputError("has no trained assistant message", where=where)
    return turns


def read_sft(path: str | Path) -> list[Conversation]:
    out = []
    for lineno, rec in iter_jsonl(path):
        where = f"{path}:{lineno}"
        out.append(
            Conversation(
                messages=_messages(rec.get("messages"), f"{where}.messages", flags=False),
                tools=parse_tools(rec.get("tools"), f"{where}.tools"),
                source=where,
            )
        )
    if not out:
        raise InputError("no training records", where=str(path))
    return out


def read_mdpo(path: str | Path) -> list[TrajectoryPair]:
    out = []
    for lineno, rec in iter_jsonl(path):
        where = f"{path}:{lineno}"
        pid = rec.get("id") or rec.get("pair_id") or f"line{lineno}"
        out.append(
            TrajectoryPair(
                id=str(pid),
                tools=parse_tools(rec.get("tools"), f"{where}.tools"),
                chosen=_messages(rec.get("chosen"), f"{where}.chosen", flags=True),
                rejected=_messages(rec.get("rejected"), f"{where}.rejected", flags=True),
                kind=str(rec.get("kind") or ""),
                error=str(rec.get("error") or ""),
                source=where,
            )
        )
    if not out:
        raise InputError("no preference pairs", where=str(path))
    return out
