"""What a format module provides, and the helpers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson


class Skip(Exception):  # noqa: N818 - a verdict, not an error: the record is left out and counted by reason
    """A record this format cannot express without losing something; counted under `reason` in the stats."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class FileKind:
    """One family of files in a format directory: `<stem><split>.jsonl` plus its dataset-card features."""

    stem: str  # "" for the SFT files (train.jsonl), e.g. "preference." for pairs
    features: list[dict[str, Any]] = field(default_factory=list)  # datasets YAML features, [] = inferred
    config: str = "default"


def string(name: str) -> dict[str, Any]:
    return {"name": name, "dtype": "string"}


#: a sharegpt-style turn {"from", "value"}, as a datasets YAML struct
TURN = [string("from"), string("value")]


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def function_defs(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bare function objects ({name, description, parameters}) of OpenAI tool definitions."""
    out = []
    for t in tools:
        fn = t.get("function") if isinstance(t.get("function"), dict) else t
        out.append(
            {
                "name": fn.get("name"),
                "description": fn.get("description", ""),
                "parameters": fn.get("parameters") or {"type": "object", "properties": {}},
            }
        )
    return out


def openai_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": f} for f in function_defs(tools)]


def load_json_arg(value: Any) -> Any:
    """Readers accept both forms an argument may be stored in: an object, or its JSON string."""
    if isinstance(value, str):
        return orjson.loads(value)
    return value


def require(cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(what)
