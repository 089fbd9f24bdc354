"""Conversions between toolsynth's canonical messages and the OpenAI wire format, and small parsing helpers.

Callers may hand the gateway messages in either form (canonical records with `arguments` as dicts, or OpenAI
messages with JSON-string arguments, or `Message` objects); providers always get the OpenAI form.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import orjson

from toolsynth.messages import ToolCall


def to_wire_messages(messages: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if hasattr(m, "to_openai"):
            out.append(m.to_openai())
            continue
        if not isinstance(m, dict):
            raise TypeError(f"a message must be a dict or Message, got {type(m).__name__}")
        msg = dict(m)
        calls = msg.get("tool_calls")
        if calls:
            msg["tool_calls"] = [_wire_call(c) for c in calls]
        elif "tool_calls" in msg:
            del msg["tool_calls"]
        if msg.get("role") != "tool":
            msg.pop("tool_call_id", None)
        out.append(msg)
    return out


def _wire_call(call: Any) -> dict[str, Any]:
    if hasattr(call, "to_openai"):
        return call.to_openai()
    if "function" in call:
        fn = call["function"]
        args = fn.get("arguments", "{}")
        if not isinstance(args, str):
            args = orjson.dumps(args).decode()
        return {
            "id": call.get("id", ""),
            "type": "function",
            "function": {"name": fn["name"], "arguments": args},
        }
    args = call.get("arguments", {})
    return {
        "id": call.get("id", ""),
        "type": "function",
        "function": {
            "name": call["name"],
            "arguments": args if isinstance(args, str) else orjson.dumps(args).decode(),
        },
    }


def to_wire_tools(tools: list[Any] | None) -> list[dict[str, Any]] | None:
    """OpenAI `tools` entries from dicts (OpenAI form or bare function specs) or `Tool` objects."""
    if not tools:
        return None
    out: list[dict[str, Any]] = []
    for t in tools:
        if hasattr(t, "to_openai"):
            out.append(t.to_openai())
        elif isinstance(t, dict) and t.get("type") == "function" and "function" in t:
            out.append(t)
        elif isinstance(t, dict) and "name" in t:
            out.append({"type": "function", "function": t})
        else:
            raise TypeError(f"cannot use {t!r:.80} as a tool")
    return out


def tool_specs(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The `function` parts of OpenAI tools: name, description, parameters."""
    return [t["function"] for t in tools or []]


def parse_tool_calls(raw_calls: list[Any] | None) -> tuple[list[ToolCall], list[dict[str, Any]]]:
    """Provider tool calls -> (valid ToolCalls, invalid ones as {name, arguments, error}).

    A call whose arguments are not a JSON object cannot be executed or exported, so it is set aside for the caller
    to record instead of being silently coerced.
    """
    calls: list[ToolCall] = []
    invalid: list[dict[str, Any]] = []
    for i, c in enumerate(raw_calls or []):
        c = _as_dict(c)
        fn = _as_dict(c.get("function") or {})
        name = fn.get("name") or c.get("name")
        args: Any = fn.get("arguments", c.get("arguments", {}))
        cid = c.get("id") or f"call_{i}"
        if isinstance(args, str):
            text = args.strip() or "{}"
            try:
                args = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                invalid.append({"id": cid, "name": name, "arguments": text, "error": f"invalid JSON: {exc}"})
                continue
        if not name:
            invalid.append({"id": cid, "name": name, "arguments": args, "error": "missing function name"})
            continue
        if args is None:
            args = {}
        if not isinstance(args, dict):
            invalid.append(
                {"id": cid, "name": name, "arguments": args, "error": "arguments are not an object"}
            )
            continue
        calls.append(ToolCall(id=str(cid), name=str(name), arguments=args))
    return calls, invalid


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return dict(getattr(obj, "__dict__", {}))


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def extract_json(text: str | None) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the outermost {...}/[...] span.

    Raises ValueError with a short reason when there is none.
    """
    if text is None or not text.strip():
        raise ValueError("the answer is empty")
    s = text.strip()
    candidates = [s]
    candidates += [m.strip() for m in _FENCE.findall(s)]
    for open_c, close_c in (("{", "}"), ("[", "]")):
        i, j = s.find(open_c), s.rfind(close_c)
        if 0 <= i < j:
            candidates.append(s[i : j + 1])
    last: Exception | None = None
    for c in candidates:
        try:
            return orjson.loads(c)
        except orjson.JSONDecodeError as exc:
            last = exc
    raise ValueError(f"the answer is not valid JSON ({last})")


def canonical_json(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def short_hash(*parts: Any, n: int = 12) -> str:
    return hashlib.sha256(canonical_json(parts)).hexdigest()[:n]


_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)", re.I)


def redact(text: str) -> str:
    """Remove the values of secret-looking environment variables (API keys) from text meant for users or files.

    Providers sometimes echo part of a bad key in their error message; nothing of it may reach a log or artifact.
    """
    for name, value in os.environ.items():
        if len(value) >= 8 and _SECRET_NAME.search(name) and value in text:
            text = text.replace(value, "***")
            continue
        if len(value) >= 16 and _SECRET_NAME.search(name):
            # Also the masked forms providers print, e.g. "sk-abc***wxyz": any 6+ char run of the key.
            for k in (value[:8], value[-6:]):
                if k in text:
                    text = text.replace(k, "***")
    return text
