"""A planned call in the user's words: the tool's purpose in one sentence, the values stated, the values earlier
results give (spoken of, never quoted)."""

from __future__ import annotations

import functools
import re
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.integrations.bfcl.descriptions import strip_class_blurb
from toolsynth.plans.skeleton import SCall


def summary(tool: Tool) -> str:
    """A tool's purpose in one sentence (BFCL prefixes every description with its class blurb)."""
    return _summary(tool.name, tool.description or "")


@functools.lru_cache(maxsize=8192)
def _summary(name: str, description: str) -> str:
    text = strip_class_blurb(description).strip() or name.replace("_", " ")
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].strip()
    return first.rstrip(".") if first else name


def fmt_value(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def call_phrase(tool: Tool, call: SCall, stated: dict[str, Any], same_turn: set[int]) -> str:
    """The call in words: its purpose, the values the user states, and the values an earlier result gives, spoken
    of as a person would ("the booking id from before"), never by the value itself (the user cannot know it)."""
    text = summary(tool)
    parts = [f"{k}={fmt_value(v)}" for k, v in stated.items()]
    if parts:
        text += f" ({', '.join(parts)})"
    refs = []
    for _arg, producer, fld in call.deps:
        what = _humanize(fld.replace("[]", "").rsplit(".", 1)[-1])
        refs.append(f"the {what} that step gives" if id(producer) in same_turn else f"the {what} from before")
    if refs:
        text += ", using " + " and ".join(refs)
    return text


def _humanize(identifier: str) -> str:
    leaf = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", identifier)
    return re.sub(r"[_\-]+", " ", leaf).strip().lower() or "result"
