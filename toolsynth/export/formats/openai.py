"""`openai`: OpenAI chat fine-tuning JSONL, and its preference (DPO) form for pairs.

SFT: `messages` (system first), `tools`, `parallel_tool_calls` (true when any message calls several tools at once);
assistant `tool_calls[].function.arguments` is a JSON string, tool messages carry `tool_call_id`; every assistant
message has `weight`: 0 on a turn that failed a check, else 1. Preference (`preference.<split>.jsonl`): `input`
(`messages`, `tools`, `parallel_tool_calls`), `preferred_output` / `non_preferred_output`: OpenAI takes one assistant
message per side, so these hold the first action where the pair forks (whole trajectories are in `trl-dpo`/`mdpo`).
"""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.export.formats.base import FileKind, Skip, openai_tools, require
from toolsynth.export.view import ExportDialog, ExportPair
from toolsynth.messages import Message

NAME = "openai"
_JSON_COLUMNS = [
    {"name": "messages", "list": "json"},
    {"name": "tools", "list": "json"},
    {"name": "parallel_tool_calls", "dtype": "bool"},
]
SFT = FileKind("", _JSON_COLUMNS)
PAIRS = FileKind(
    "preference.",
    [
        {"name": "input", "dtype": "json"},
        {"name": "preferred_output", "list": "json"},
        {"name": "non_preferred_output", "list": "json"},
    ],
    config="preference",
)


def message(m: Message, weight: int | None = None) -> dict[str, Any]:
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content or ""}
    out: dict[str, Any] = {
        "role": m.role,
        "content": m.content if m.role == "assistant" else (m.content or ""),
    }
    if m.tool_calls:
        out["tool_calls"] = [c.to_openai() for c in m.tool_calls]
    if weight is not None:
        out["weight"] = weight
    return out


def _head(system: str | None) -> list[dict[str, Any]]:
    return [{"role": "system", "content": system}] if system else []


def sft(d: ExportDialog) -> dict[str, Any]:
    if not any(m.train for m in d.messages):
        raise Skip("no_trained_turn")
    msgs = _head(d.system) + [
        message(m.message, (1 if m.train else 0) if m.message.role == "assistant" else None)
        for m in d.messages
    ]
    return {"messages": msgs, "tools": openai_tools(d.tools), "parallel_tool_calls": d.parallel}


def pair(p: ExportPair) -> dict[str, Any]:
    parallel = any(len(m.tool_calls) > 1 for m in [*p.prompt, *p.chosen, *p.rejected])
    return {
        "input": {
            "messages": _head(p.system) + [message(m) for m in p.prompt],
            "tools": openai_tools(p.tools),
            "parallel_tool_calls": parallel,
        },
        "preferred_output": [message(p.chosen[0])],
        "non_preferred_output": [message(p.rejected[0])],
    }


def _check_messages(msgs: Any, *, weights: bool) -> None:
    require(isinstance(msgs, list) and msgs, "messages must be a non-empty list")
    open_ids: set[str] = set()
    for i, m in enumerate(msgs):
        role = m.get("role")
        require(role in ("system", "user", "assistant", "tool"), f"messages[{i}]: bad role")
        if role == "assistant":
            calls = m.get("tool_calls") or []
            require(m.get("content") is not None or calls, f"messages[{i}]: no content and no calls")
            if weights:
                require(m.get("weight") in (0, 1), f"messages[{i}]: weight must be 0 or 1")
            for c in calls:
                require(
                    isinstance(c.get("id"), str) and c.get("type") == "function", f"messages[{i}]: bad call"
                )
                args = c["function"]["arguments"]
                require(isinstance(args, str), f"messages[{i}]: arguments must be a JSON string")
                require(
                    isinstance(orjson.loads(args), dict), f"messages[{i}]: arguments must encode an object"
                )
                open_ids.add(c["id"])
        elif role == "tool":
            require(m.get("tool_call_id") in open_ids, f"messages[{i}]: tool_call_id answers no earlier call")
            require(isinstance(m.get("content"), str), f"messages[{i}]: tool content must be a string")
        else:
            require(isinstance(m.get("content"), str), f"messages[{i}]: content must be a string")


def check_sft(rec: dict[str, Any]) -> None:
    _check_messages(rec.get("messages"), weights=True)
    require(any(m.get("weight") == 1 for m in rec["messages"]), "no trained assistant message")
    require(
        isinstance(rec.get("tools"), list) and isinstance(rec.get("parallel_tool_calls"), bool), "bad tools"
    )


def check_pair(rec: dict[str, Any]) -> None:
    inp = rec.get("input") or {}
    _check_messages(inp.get("messages"), weights=False)
    for side in ("preferred_output", "non_preferred_output"):
        out = rec.get(side)
        require(
            isinstance(out, list) and len(out) == 1 and out[0].get("role") == "assistant",
            f"{side}: one assistant message",
        )
    require(rec["preferred_output"] != rec["non_preferred_output"], "the two outputs are the same")
