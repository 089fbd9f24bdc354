"""MAGNET's graph prompts (build-graph with `magnet.enabled`): a domain label per tool, then a verdict per
same-label pair on whether (and in which order) the two are used together. Both are structured answers."""

from __future__ import annotations

import re
from typing import Any

from toolsynth.prompts.base import Prompt

LABEL_ID = "graph.magnet.label"
PAIR_ID = "graph.magnet.pair"

LABEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "domain": {
            "type": "string",
            "description": "the tool's domain in one to three lowercase words, e.g. `travel`, `file system`",
        }
    },
    "required": ["domain"],
    "additionalProperties": False,
}

ORDERS = ["first_then_second", "second_then_first", "either", "neither"]

PAIR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "related": {
            "type": "boolean",
            "description": "would one user plausibly call both tools in one conversation",
        },
        "order": {"type": "string", "enum": ORDERS},
        "reason": {"type": "string", "description": "one short sentence"},
    },
    "required": ["related", "order"],
    "additionalProperties": False,
}

LABEL_SYSTEM = (
    "You label API functions with the domain they belong to. Answer with the domain in one to three lowercase "
    "words (for example: travel, file system, finance, messaging, weather). Tools of the same product area must "
    "get the same label."
)
PAIR_SYSTEM = (
    "You decide whether two API functions are naturally used together in one multi-turn conversation, and in "
    "which order: `first_then_second` if the second is typically called after the first (for example because "
    "it uses the first's result), `second_then_first` for the reverse, `either` if both orders are natural, "
    "`neither` if they are unrelated."
)


def normalize_label(text: str, max_words: int) -> str:
    ws = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(ws[:max_words])


def parse_label(data: Any, max_words: int) -> str:
    """The label of a label answer ("" when there is none)."""
    return normalize_label(str((data or {}).get("domain", "")), max_words)


LABEL = Prompt(
    id=LABEL_ID,
    version=1,
    system=LABEL_SYSTEM,
    template="Function:\n{signature}\n\nIts domain?",
    schema=LABEL_SCHEMA,
    parse=parse_label,
    description="a tool's domain label",
)

PAIR = Prompt(
    id=PAIR_ID,
    version=1,
    system=PAIR_SYSTEM,
    template="First function:\n{first}\n\nSecond function:\n{second}",
    schema=PAIR_SCHEMA,
    description="whether two same-label tools are used together, and in which order",
)
