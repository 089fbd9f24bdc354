"""`hermes`: NousResearch Hermes function-calling form, tools and calls as text blocks.

`conversations` with `from` system/human/gpt/tool. The system message ends with the tool definitions inside
`<tools>...</tools>` (one JSON function definition per line); an assistant call is
`<tool_call>\\n{"name", "arguments"}\\n</tool_call>` after the message's text (text and calls in one message are
fine here); the results of one assistant message are one `tool` message of `<tool_response>` blocks
`{"name", "content"}` (content parsed when the result is JSON). A turn that failed a check cuts the dialog before
it: Hermes data has no per-message weight.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from toolsynth.export.formats.base import TURN, FileKind, Skip, function_defs, json_text, require
from toolsynth.export.view import ExportDialog
from toolsynth.messages import Message

NAME = "hermes"
SFT = FileKind("", [{"name": "conversations", "list": TURN}])
PAIRS = None
TOOL_CALL = re.compile(r"<tool_call>\n(.*?)\n</tool_call>", re.S)
TOOL_RESPONSE = re.compile(r"<tool_response>\n(.*?)\n</tool_response>", re.S)
TOOLS = re.compile(r"<tools>\n(.*?)\n</tools>", re.S)


def system_text(system: str | None, tools: list[dict[str, Any]]) -> str:
    defs = "\n".join(json_text(f) for f in function_defs(tools))
    head = (system or "").rstrip()
    return (head + "\n\n" if head else "") + f"You may call these functions:\n<tools>\n{defs}\n</tools>"


def _result(m: Message) -> str:
    text = m.content or ""
    try:
        content: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        content = text
    return f"<tool_response>\n{json_text({'name': m.name or '', 'content': content})}\n</tool_response>"


def sft(d: ExportDialog) -> dict[str, Any]:
    cut = d.trained_prefix()
    if cut is None:
        raise Skip("no_trained_turn")
    conv = [{"from": "system", "value": system_text(cut.system, cut.tools)}]
    results: list[str] = []
    for em in cut.messages:
        m = em.message
        if m.role == "tool":
            results.append(_result(m))
            continue
        if results:
            conv.append({"from": "tool", "value": "\n".join(results)})
            results = []
        if m.role == "user":
            conv.append({"from": "human", "value": m.content or ""})
        else:
            blocks = [
                f"<tool_call>\n{json_text({'name': c.name, 'arguments': c.arguments})}\n</tool_call>"
                for c in m.tool_calls
            ]
            conv.append({"from": "gpt", "value": "\n".join([*([m.content] if m.content else []), *blocks])})
    if results:
        conv.append({"from": "tool", "value": "\n".join(results)})
    return {"conversations": conv}


def parse_calls(value: str) -> list[dict[str, Any]]:
    return [orjson.loads(b) for b in TOOL_CALL.findall(value)]


def parse_results(value: str) -> list[dict[str, Any]]:
    return [orjson.loads(b) for b in TOOL_RESPONSE.findall(value)]


def check_sft(rec: dict[str, Any]) -> None:
    conv = rec.get("conversations")
    require(isinstance(conv, list) and len(conv) >= 2, "conversations must hold a system and more")
    require(
        conv[0].get("from") == "system" and TOOLS.search(conv[0]["value"]) is not None, "no <tools> in system"
    )
    for line in TOOLS.search(conv[0]["value"]).group(1).splitlines():
        require(
            isinstance(orjson.loads(line).get("name"), str), "a <tools> line is not a function definition"
        )
    for i, t in enumerate(conv[1:], 1):
        require(t.get("from") in ("human", "gpt", "tool"), f"conversations[{i}]: bad from")
        if t["from"] == "gpt":
            for c in parse_calls(t["value"]):
                require(
                    isinstance(c.get("name"), str) and isinstance(c.get("arguments"), dict), "bad <tool_call>"
                )
        if t["from"] == "tool":
            require(bool(parse_results(t["value"])), f"conversations[{i}]: no <tool_response>")
