"""Running `toolsynth export` in-process and reading what it wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from typer.testing import CliRunner

from toolsynth.cli import app


def export(*args: str, ok: bool = True) -> Any:
    r = CliRunner().invoke(app, ["export", *args])
    if ok:
        assert r.exit_code == 0, (r.output, r.exception)
    return r


def export_json(*args: str) -> dict[str, Any]:
    r = export(*args, "--json")
    return orjson.loads(r.stdout)


def rows(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def dialog_calls(dialog) -> tuple[list[tuple[str, dict]], list[tuple[str, str]]]:
    """(calls as (name, arguments), results as (tool name, content)) of a canonical dialog, in order."""
    calls = [(c.name, c.arguments) for m in dialog.messages for c in m.tool_calls]
    results = [(m.name, m.content) for m in dialog.messages if m.role == "tool"]
    return calls, results
