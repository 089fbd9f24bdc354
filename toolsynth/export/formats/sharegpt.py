"""`sharegpt`: LLaMA-Factory's sharegpt form, plus `dataset_info.json` registering the SFT and the ranking files.

`conversations` of `{"from", "value"}` in LLaMA-Factory's strict order (human/observation at even positions,
gpt/function_call at odd ones, ending on gpt/function_call), `system` and `tools` (a JSON string of function
definitions) as columns. A `function_call` value is `{"name", "arguments"}` as JSON, a list of them for parallel
calls; the results of parallel calls are one `observation`, joined the way LLaMA-Factory's own OpenAI converter
joins them. Ranking records: `conversations` (the shared prompt), `chosen` / `rejected` (one message each: the first
action where the pair forks).

What LLaMA-Factory cannot express is left out and counted, never garbled (its converter would drop such a record
with only a log line): text and calls in one assistant message (`content_with_calls`: it has no slot for the text),
two assistant messages with no user message between them (`role_order`). A turn that failed a check cuts the dialog
before it, as LLaMA-Factory trains every assistant message.
"""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.export.formats.base import TURN, FileKind, Skip, function_defs, json_text, require, string
from toolsynth.export.view import ExportDialog, ExportPair
from toolsynth.messages import Message

NAME = "sharegpt"
_COLUMNS = [{"name": "conversations", "list": TURN}, string("system"), string("tools")]
SFT = FileKind("", _COLUMNS)
PAIRS = FileKind(
    "ranking.",
    [_COLUMNS[0], {"name": "chosen", "struct": TURN}, {"name": "rejected", "struct": TURN}, *_COLUMNS[1:]],
    config="ranking",
)
#: how LLaMA-Factory's OpenAI converter joins consecutive tool results into one observation
OBSERVATION_JOIN = "\n</tool_response>\n<tool_response>\n"
ODD, EVEN = ("human", "observation"), ("gpt", "function_call")

TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}


def _action(m: Message) -> dict[str, str]:
    if m.tool_calls:
        if m.content:
            raise Skip("content_with_calls")
        calls = [{"name": c.name, "arguments": c.arguments} for c in m.tool_calls]
        return {"from": "function_call", "value": json_text(calls[0] if len(calls) == 1 else calls)}
    return {"from": "gpt", "value": m.content or ""}


def conversation(msgs: list[Message]) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    results: list[str] = []
    for m in msgs:
        if m.role == "tool":
            results.append(m.content or "")
            continue
        if results:
            out.append({"from": "observation", "value": OBSERVATION_JOIN.join(results)})
            results = []
        out.append({"from": "human", "value": m.content or ""} if m.role == "user" else _action(m))
    if results:
        out.append({"from": "observation", "value": OBSERVATION_JOIN.join(results)})
    for i, turn in enumerate(out):
        if turn["from"] not in (ODD, EVEN)[i % 2]:
            raise Skip("role_order")
    return out


def sft(d: ExportDialog) -> dict[str, Any]:
    cut = d.trained_prefix()
    if cut is None:
        raise Skip("no_trained_turn")
    conv = conversation([m.message for m in cut.messages])
    if len(conv) % 2:
        raise Skip("role_order")
    return {"conversations": conv, "system": cut.system or "", "tools": json_text(function_defs(cut.tools))}


def pair(p: ExportPair) -> dict[str, Any]:
    conv = conversation(p.prompt)
    if len(conv) % 2 == 0:
        raise Skip("role_order")
    return {
        "conversations": conv,
        "chosen": _action(p.chosen[0]),
        "rejected": _action(p.rejected[0]),
        "system": p.system or "",
        "tools": json_text(function_defs(p.tools)),
    }


def _check_conv(conv: Any, *, ranking: bool) -> None:
    require(isinstance(conv, list) and conv, "conversations must be a non-empty list")
    for i, t in enumerate(conv):
        require(t.get("from") in (ODD, EVEN)[i % 2], f"conversations[{i}]: {t.get('from')!r} out of order")
        require(isinstance(t.get("value"), str), f"conversations[{i}]: value must be a string")
        if t["from"] == "function_call":
            calls = orjson.loads(t["value"])
            for c in calls if isinstance(calls, list) else [calls]:
                require(
                    isinstance(c.get("name"), str) and isinstance(c.get("arguments"), dict),
                    "bad function_call",
                )
    require(len(conv) % 2 == (1 if ranking else 0), "wrong message count")


def check_sft(rec: dict[str, Any]) -> None:
    _check_conv(rec.get("conversations"), ranking=False)
    require(
        isinstance(orjson.loads(rec.get("tools") or "null"), list), "tools must be a JSON string of a list"
    )


def check_pair(rec: dict[str, Any]) -> None:
    _check_conv(rec.get("conversations"), ranking=True)
    for side in ("chosen", "rejected"):
        require((rec.get(side) or {}).get("from") in EVEN, f"{side} must be gpt or function_call")
    require(rec["chosen"] != rec["rejected"], "chosen and rejected are the same")


def dataset_info(files: dict[str, list[str]]) -> dict[str, Any]:
    """LLaMA-Factory's `dataset_info.json`: one entry per written file (`toolsynth_sft`, `toolsynth_ranking`,
    with `_validation` / `_test` for the other splits)."""
    info: dict[str, Any] = {}
    for kind, names in files.items():
        for name in names:
            split = name.rsplit(".", 2)[-2]
            key = f"toolsynth_{'ranking' if kind == 'pairs' else 'sft'}" + (
                "" if split == "train" else f"_{split}"
            )
            columns = {"messages": "conversations", "system": "system", "tools": "tools"}
            entry: dict[str, Any] = {"file_name": name, "formatting": "sharegpt"}
            if kind == "pairs":
                entry["ranking"] = True
                columns |= {"chosen": "chosen", "rejected": "rejected"}
            entry["columns"] = columns
            entry["tags"] = dict(TAGS)
            info[key] = entry
    return info
