"""Reading what `export` turns into training files: dialogs.jsonl and preferences.jsonl, streamed, checked per line.

Dialogs are read through `Dialog.from_record`, so any dialog version that reader accepts (dialog/1 today, dialog/2
with its additive fields once the reader migrates it) exports the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from toolsynth.artifacts import iter_jsonl
from toolsynth.errors import InputError
from toolsynth.export.view import ExportDialog, ExportPair, dialog_view, pair_view
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.record import Dialog


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(record)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{loc}: {err['msg']}{more}"


def _check_tag(tag: object, kind: str, where: str) -> None:
    if tag == "toolsynth.dialog_reject/1" or (
        isinstance(tag, str) and tag.startswith("toolsynth.dialog_reject/")
    ):
        raise InputError("this is a rejects file; only accepted dialogs are exported", where=where)
    if not (isinstance(tag, str) and tag.startswith(f"toolsynth.{kind}/")):
        raise InputError(f"record schema is {tag!r}, expected a toolsynth.{kind} record", where=where)


def iter_dialogs(path: Path) -> Iterator[tuple[str, ExportDialog]]:
    """(where, dialog view) per line."""
    for lineno, rec in iter_jsonl(path):
        where = f"{path}:{lineno}"
        _check_tag(rec.get("schema"), "dialog", where)
        try:
            dialog = Dialog.from_record(rec)
        except ValidationError as exc:
            raise InputError(f"not a valid dialog ({_first_error(exc)})", where=where) from exc
        yield where, dialog_view(dialog, where=where)


def iter_pairs(path: Path) -> Iterator[tuple[str, ExportPair]]:
    for lineno, rec in iter_jsonl(path):
        where = f"{path}:{lineno}"
        _check_tag(rec.get("schema"), "preference", where)
        try:
            pair = PreferencePair.from_record(rec)
        except ValidationError as exc:
            raise InputError(f"not a valid preference pair ({_first_error(exc)})", where=where) from exc
        yield where, pair_view(pair, where=where)
