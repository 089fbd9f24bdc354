"""State and helpers shared by the subcommands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from toolsynth.console import stdout
from toolsynth.errors import NotBuiltError


@dataclass
class _State:
    debug: bool = False
    verbosity: int = 0


STATE = _State()


def emit_json(data: Any) -> None:
    """Machine-readable result on stdout (one JSON document)."""
    stdout.file.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode() + "\n"
    )
    stdout.file.flush()


def not_built(stage: str, issue: int | None = None) -> None:
    tracked = f" (tracked in issue #{issue})" if issue else ""
    raise NotBuiltError(f"`toolsynth {stage}` is not implemented in this version yet{tracked}")
