"""`trl-dpo`: TRL's conversational preference form (`prompt`, `chosen`, `rejected`, `tools`).

`prompt` is the shared context (system first), `chosen` / `rejected` are the two continuations from the fork to
the end of each trajectory (several messages each, tool results included), all in the `trl-sft` message form.
"""

from __future__ import annotations

from typing import Any

from toolsynth.export.formats import trl_sft
from toolsynth.export.formats.base import FileKind, openai_tools, require
from toolsynth.export.view import ExportPair

NAME = "trl-dpo"
SFT = None
PAIRS = FileKind(
    "",
    [
        {"name": "prompt", "list": "json"},
        {"name": "chosen", "list": "json"},
        {"name": "rejected", "list": "json"},
        {"name": "tools", "list": "json"},
    ],
)


def pair(p: ExportPair) -> dict[str, Any]:
    return {
        "prompt": trl_sft.messages(p.system, p.prompt),
        "chosen": [trl_sft.message(m) for m in p.chosen],
        "rejected": [trl_sft.message(m) for m in p.rejected],
        "tools": openai_tools(p.tools),
    }


def check_pair(rec: dict[str, Any]) -> None:
    trl_sft.check_messages(rec.get("prompt"))
    for side in ("chosen", "rejected"):
        trl_sft.check_messages(rec.get(side))
        require(rec[side][0]["role"] == "assistant", f"{side} must start with an assistant message")
    require(rec["prompt"][-1]["role"] in ("user", "tool"), "prompt must end with a user or tool message")
    trl_sft.check_tools(rec.get("tools"))
