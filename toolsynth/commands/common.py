"""State and helpers shared by the subcommands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import typer

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


def executor_option(what: str, section: str) -> Any:
    """`--executor` for a stage whose items can run on Ray (`what`: what is made; `section`: its recipe key)."""
    return typer.Option(
        None,
        "--executor",
        help=f"Where {what} made: local (this process, the default) or ray (default: the recipe's `{section}`).",
    )


def address_option() -> Any:
    return typer.Option(
        None, "--address", help="ray: host:port of a running Ray cluster's head (default: start a local one)."
    )


def workers_option() -> Any:
    return typer.Option(
        None,
        "--workers",
        min=1,
        max=256,
        help="ray: worker actors, each with its own model client and --concurrency (default 2).",
    )


def shard_option(unit: str) -> Any:
    """`--shard I/N`, partitioning the stage's input by `unit` id."""
    return typer.Option(
        None,
        "--shard",
        help=f"I/N: only the {unit}s of shard I of N (0-based, by {unit} id); `toolsynth merge` joins the outputs.",
    )
