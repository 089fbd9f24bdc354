"""Reading artifacts: any JSONL line by line, and toolsynth records checked against their kind (older versions upgraded)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toolsynth.artifacts.schemas import SCHEMAS, RecordSchema
from toolsynth.errors import InputError


def iter_jsonl(
    path: str | Path, on_bad: Callable[[int, str], Any] | None = None
) -> Iterator[tuple[int, Any]]:
    """Yield (line number, record) from any JSONL file, streaming; a bad line raises InputError naming it, or, with
    `on_bad`, yields (line number, on_bad(line number, reason)) and the file goes on."""
    path = Path(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed in finally, generator-friendly
    except FileNotFoundError as exc:
        raise InputError("file not found", where=str(path)) from exc
    except IsADirectoryError as exc:
        raise InputError("expected a JSONL file, got a directory", where=str(path)) from exc
    try:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = orjson.loads(line)
                problem = (
                    None
                    if isinstance(rec, dict)
                    else f"expected a JSON object per line, got {type(rec).__name__}"
                )
            except orjson.JSONDecodeError as exc:
                problem = f"invalid JSON ({exc})"
            if problem is None:
                yield lineno, rec
            elif on_bad is None:
                raise InputError(problem, where=f"{path}:{lineno}")
            else:
                yield lineno, on_bad(lineno, problem)
    finally:
        fh.close()


def _upgrade(schema: RecordSchema, record: dict[str, Any]) -> dict[str, Any]:
    if schema.upgrade is None:
        return record
    import importlib

    module, _, name = schema.upgrade.partition(":")
    return getattr(importlib.import_module(module), name)(record)  # type: ignore[no-any-return]


def read_artifact(path: str | Path, kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Stream records of a toolsynth artifact, checking each record's schema tag against `kind`; records of an older
    version that still reads are upgraded to the current one."""
    schema = SCHEMAS[kind] if kind else None
    for lineno, rec in iter_jsonl(path):
        if schema is not None:
            tag = rec.get("schema")
            if tag != schema.tag and schema.older_version(tag) is not None:
                rec = _upgrade(schema, rec)
            elif tag != schema.tag:
                expected = schema.tag
                hint = (
                    "written by a different toolsynth version"
                    if isinstance(tag, str) and tag.startswith(f"toolsynth.{kind}/")
                    else f"not a {kind} artifact"
                )
                raise InputError(
                    f"record schema is {tag!r}, expected {expected!r} ({hint})", where=f"{path}:{lineno}"
                )
        yield rec
