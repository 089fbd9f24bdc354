"""`mdpo`: whole trajectories for MAGNET's multi-turn DPO loss, one record per pair.

`chosen` and `rejected` are both complete trajectories (prompt + each side) in the `trl-sft` message form, and every
message has `train`: true only for the assistant's own actions, false for system, user and tool messages, so the
loss sums the log-ratio over assistant tokens only (tool results are never trained).
"""

from __future__ import annotations

from typing import Any

from toolsynth.export.formats import trl_sft
from toolsynth.export.formats.base import FileKind, openai_tools, require, string
from toolsynth.export.view import ExportPair
from toolsynth.messages import Message

NAME = "mdpo"
SFT = None
PAIRS = FileKind(
    "",
    [
        string("id"),
        string("pair_id"),
        string("dialog_id"),
        {"name": "tools", "list": "json"},
        {"name": "chosen", "list": "json"},
        {"name": "rejected", "list": "json"},
        string("kind"),
        string("error"),
        {"name": "turn", "dtype": "int64"},
    ],
)


def _trajectory(system: str | None, msgs: list[Message]) -> list[dict[str, Any]]:
    out = trl_sft.messages(system, msgs)
    for m in out:
        m["train"] = m["role"] == "assistant"
    return out


def pair(p: ExportPair) -> dict[str, Any]:
    return {
        "id": p.id,
        "pair_id": p.id,
        "dialog_id": p.dialog_id,
        "tools": openai_tools(p.tools),
        "chosen": _trajectory(p.system, [*p.prompt, *p.chosen]),
        "rejected": _trajectory(p.system, [*p.prompt, *p.rejected]),
        "kind": p.kind,
        "error": p.error,
        "turn": p.turn,
    }


def check_pair(rec: dict[str, Any]) -> None:
    for key in ("id", "pair_id", "dialog_id", "kind", "error"):
        require(isinstance(rec.get(key), str), f"{key} must be a string")
    require(isinstance(rec.get("turn"), int), "turn must be an integer")
    for side in ("chosen", "rejected"):
        msgs = rec.get(side)
        trl_sft.check_messages([{k: v for k, v in m.items() if k != "train"} for m in msgs or []])
        for i, m in enumerate(msgs):
            require(
                m.get("train") is (m["role"] == "assistant"),
                f"{side}[{i}]: train flag must mark assistant only",
            )
    require(rec["chosen"] != rec["rejected"], "chosen and rejected are the same trajectory")
    trl_sft.check_tools(rec.get("tools"))
