"""`trl-sft`: TRL's conversational SFT form (`messages` + `tools`), the layout the train stage reads.

Assistant tool calls carry `arguments` as objects (what TRL's chat templates expect), tool messages carry `name`,
and `tools` are OpenAI tool definitions. One record per dialog. TRL has no per-message weight, so a dialog whose
turn failed a check is cut before that turn (see README "Export rules"). The dataset card declares `messages` and
`tools` as `Json` columns: Arrow cannot infer one struct over different tools' argument dicts and schemas (it would
add every other tool's keys as nulls), so `datasets.load_dataset(dir)` keeps each record exactly as written.
"""

from __future__ import annotations

from typing import Any

from toolsynth.export.formats.base import FileKind, Skip, load_json_arg, openai_tools, require
from toolsynth.export.view import ExportDialog
from toolsynth.messages import Message

NAME = "trl-sft"
SFT = FileKind("", [{"name": "messages", "list": "json"}, {"name": "tools", "list": "json"}])
PAIRS = None
ROLES = ("system", "user", "assistant", "tool")


def message(m: Message) -> dict[str, Any]:
    if m.role == "assistant":
        out: dict[str, Any] = {"role": "assistant", "content": m.content}
        if m.tool_calls:
            out["tool_calls"] = [
                {"type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in m.tool_calls
            ]
        return out
    if m.role == "tool":
        return {"role": "tool", "name": m.name or "", "content": m.content or ""}
    return {"role": m.role, "content": m.content or ""}


def messages(system: str | None, msgs: list[Message]) -> list[dict[str, Any]]:
    head = [{"role": "system", "content": system}] if system else []
    return head + [message(m) for m in msgs]


def sft(d: ExportDialog) -> dict[str, Any]:
    cut = d.trained_prefix()
    if cut is None:
        raise Skip("no_trained_turn")
    return {
        "messages": messages(cut.system, [m.message for m in cut.messages]),
        "tools": openai_tools(cut.tools),
    }


def check_messages(msgs: Any) -> None:
    require(isinstance(msgs, list) and msgs, "messages must be a non-empty list")
    for i, m in enumerate(msgs):
        require(isinstance(m, dict) and m.get("role") in ROLES, f"messages[{i}]: bad role")
        if m["role"] == "assistant":
            calls = m.get("tool_calls") or []
            require(
                m.get("content") is not None or calls,
                f"messages[{i}]: assistant with no content and no calls",
            )
            require(m.get("content") != "", f"messages[{i}]: assistant content is '' (None or text)")
            for c in calls:
                fn = c.get("function") or {}
                require(
                    c.get("type") == "function" and isinstance(fn.get("name"), str),
                    f"messages[{i}]: bad call",
                )
                require(
                    isinstance(load_json_arg(fn.get("arguments")), dict),
                    f"messages[{i}]: arguments not an object",
                )
        elif m["role"] == "tool":
            require(
                isinstance(m.get("name"), str) and isinstance(m.get("content"), str),
                f"messages[{i}]: bad tool",
            )
        else:
            require(isinstance(m.get("content"), str), f"messages[{i}]: content must be a string")


def check_tools(tools: Any) -> None:
    tools = load_json_arg(tools)
    require(isinstance(tools, list), "tools must be a list")
    for t in tools:
        require(
            t.get("type") == "function" and isinstance(t.get("function", {}).get("name"), str), "bad tool def"
        )


def check_sft(rec: dict[str, Any]) -> None:
    check_messages(rec.get("messages"))
    check_tools(rec.get("tools"))
