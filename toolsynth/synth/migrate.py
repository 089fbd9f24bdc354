"""dialog/1 → dialog/2: older dialog records read as the current version.

dialog/1 kept per turn only the first hint and the expected action's kind. What can be recovered is filled in: one
step per assistant message (the turn's hint on the first one; `tool_choice` unknown), one result record per tool
message (error from its content; source `rejected` where the call could never have run: arguments that did not
parse, or a tool not offered at that turn; otherwise unknown). The plan's full expected action and the failed
attempts were never written, so they stay empty.
"""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.messages import BAD_ARGS_KEY

CURRENT = 2
_KINDS = ("dialog", "dialog_reject")


def record_version(record: dict[str, Any]) -> tuple[str | None, int | None]:
    tag = record.get("schema")
    if not isinstance(tag, str) or not tag.startswith("toolsynth.") or "/" not in tag:
        return None, None
    kind, _, version = tag[len("toolsynth.") :].partition("/")
    return kind, int(version) if version.isdigit() else None


def upgrade_dialog(record: dict[str, Any]) -> dict[str, Any]:
    """A dialog (or dialog_reject) record at the current version; records already current pass unchanged."""
    kind, version = record_version(record)
    if kind not in _KINDS or version is None or version >= CURRENT:
        return record
    out = dict(record)
    out["schema"] = f"toolsynth.{kind}/{CURRENT}"
    messages = record.get("messages") or []
    out["turns"] = [_upgrade_turn(t, messages) for t in record.get("turns") or []]
    return out


def _upgrade_turn(turn: Any, messages: list[Any]) -> Any:
    if not isinstance(turn, dict) or "steps" in turn:
        return turn
    start, end = turn.get("start"), turn.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return turn  # the validator names the broken field
    offered = set(turn.get("offered_tools") or [])
    steps: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    calls: dict[str, dict[str, Any]] = {}
    for i in range(max(0, start), min(end, len(messages))):
        m = messages[i]
        if not isinstance(m, dict):
            continue
        if m.get("role") == "assistant":
            steps.append({"message": i, "hint": turn.get("hint") if not steps else None, "tool_choice": None})
            for c in m.get("tool_calls") or []:
                if isinstance(c, dict):
                    calls[str(c.get("id"))] = c
        elif m.get("role") == "tool":
            cid = str(m.get("tool_call_id") or "")
            call = calls.get(cid) or {}
            args = call.get("arguments")
            never_ran = (isinstance(args, dict) and BAD_ARGS_KEY in args) or (
                offered and call.get("name") not in offered
            )
            results.append(
                {
                    "message": i,
                    "tool_call_id": cid,
                    "source": "rejected" if never_ran else None,
                    "error": _is_error(m.get("content")),
                }
            )
    return {**turn, "steps": steps, "results": results, "failed_attempts": [], "planned": None}


def _is_error(content: Any) -> bool:
    if not isinstance(content, str):
        return False
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content.lower().startswith(("error:", "error during execution"))
    return isinstance(value, dict) and value.get("error") not in (None, "", False)
