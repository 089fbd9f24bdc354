"""Resumable stages: an append-only `<name>.partial` journal, one flushed line per record, with the fingerprint of the
settings it was started with; promoted to the final artifact when the stage finishes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from toolsynth.artifacts.files import atomic_write_bytes, ensure_dir, partial_path, write_failed
from toolsynth.artifacts.read import read_artifact
from toolsynth.artifacts.schemas import dumps, stamp
from toolsynth.artifacts.sort import promote_sorted
from toolsynth.artifacts.write import write_artifact
from toolsynth.errors import InputError


class ResumeMismatchError(InputError):
    """A journal left by an earlier run was made with other settings or inputs than this run's."""


def fingerprint_path(path: str | Path) -> Path:
    """Where a journal's fingerprint lives: beside `<name>.partial`."""
    return partial_path(path).with_name(partial_path(path).name + ".fingerprint.json")


def _short(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 40 else text[:37] + "..."


def fingerprint_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`key: old → new` for every entry that differs (added and removed keys included), sorted by key."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, "<unset>"), new.get(key, "<unset>")
        if a != b:
            out.append(f"{key}: {_short(a)} → {_short(b)}")
    return out


class JournalWriter:
    """Append-only journal for resumable stages (synthesize, make-preferences).

    Records go to `<path>.partial`, one flushed line each, so a killed run loses at most the line being written.
    On restart `done_ids()` tells what is already there (a torn last line is cut off), and `finalize()` promotes the
    journal to the final name atomically.

    `fingerprint`: what the records depend on (settings, prompts, model, toolsynth version, input hashes), as a flat
    mapping. It is written beside the journal when the journal starts; a later run that finds a journal made with
    another fingerprint refuses to continue it (`ResumeMismatchError`, naming what changed) rather than mix records
    made two ways, unless `restart=True`, which throws the old journal away.
    """

    def __init__(
        self,
        path: str | Path,
        kind: str,
        id_field: str = "id",
        *,
        fingerprint: dict[str, Any] | None = None,
        restart: bool = False,
    ) -> None:
        self.path = Path(path)
        self.kind = kind
        self.id_field = id_field
        self.partial = partial_path(self.path)
        self.fingerprint = fingerprint
        self.restart = restart
        self._fh: Any = None
        self._prepared = False
        self.count = 0

    @property
    def fingerprint_file(self) -> Path:
        return fingerprint_path(self.path)

    def prepare(self) -> JournalWriter:
        """Check (or, for a fresh journal, record) the fingerprint; with `restart`, drop an old journal first.
        Called by `done_ids` and `open`; idempotent."""
        if self._prepared:
            return self
        self._prepared = True
        if self.restart:
            self.discard()
        if self.fingerprint is None:
            return self
        fp_file = self.fingerprint_file
        if self.partial.exists():
            old: dict[str, Any] | None = None
            if fp_file.exists():
                try:
                    loaded = orjson.loads(fp_file.read_bytes())
                    old = loaded if isinstance(loaded, dict) else None
                except orjson.JSONDecodeError:
                    old = None
            if old is None:
                raise ResumeMismatchError(
                    "an earlier run's journal has no readable fingerprint, so it cannot be told whether it was "
                    "made with these settings; rerun with --restart to start over",
                    where=str(self.partial),
                )
            changes = fingerprint_changes(old, self.fingerprint)
            if changes:
                raise ResumeMismatchError(
                    "the unfinished journal of an earlier run was made differently ("
                    + "; ".join(changes)
                    + "); rerun with the same settings to resume it, or with --restart to start over",
                    where=str(self.partial),
                )
            return self
        ensure_dir(self.path)
        atomic_write_bytes(
            fp_file, orjson.dumps(self.fingerprint, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        )
        return self

    def discard(self) -> None:
        """Remove the journal and its fingerprint (after promotion, or to start over)."""
        self.partial.unlink(missing_ok=True)
        self.fingerprint_file.unlink(missing_ok=True)

    def _repair(self) -> None:
        """Cut a torn trailing line left by a kill mid-write."""
        if not self.partial.exists():
            return
        data = self.partial.read_bytes()
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            with open(self.partial, "r+b") as fh:
                fh.truncate(cut)

    def iter_done_ids(self) -> Iterator[str]:
        """The ids already in the journal, streamed (a torn last line is cut off first)."""
        self.prepare()
        self._repair()
        if not self.partial.exists():
            return
        for r in read_artifact(self.partial, self.kind):
            yield str(r[self.id_field])

    def done_ids(self) -> set[str]:
        return set(self.iter_done_ids())

    def open(self) -> JournalWriter:
        ensure_dir(self.path)
        self.prepare()
        self._repair()
        try:
            self._fh = open(self.partial, "ab")  # noqa: SIM115 - lifetime spans many writes
        except OSError as exc:
            raise write_failed(exc, self.partial) from exc
        return self

    def write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(dumps(stamp(record, self.kind)))
            self._fh.flush()
        except OSError as exc:
            # What reached the disk is kept (a torn last line is cut on the next start); the run stops here.
            raise write_failed(exc, self.partial) from exc
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                with contextlib.suppress(OSError):
                    fh.close()
                raise write_failed(exc, self.partial) from exc
            fh.close()

    def finalize(self, sort_key: str | None = None) -> int:
        """Promote the journal to the final artifact; with `sort_key`, records are ordered so output is deterministic
        whatever order concurrent work finished in (sorted on disk: memory stays flat in the number of records)."""
        self.close()
        if sort_key:
            n = promote_sorted(self.partial, self.path, self.kind, key_field=sort_key, unique=False)
        else:
            n = write_artifact(
                self.path, self.kind, read_artifact(self.partial, self.kind) if self.partial.exists() else []
            )
        self.discard()
        return n

    def __enter__(self) -> JournalWriter:
        return self.open()

    def __exit__(self, *exc: Any) -> None:
        self.close()
