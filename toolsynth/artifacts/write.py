"""Writing a whole artifact: streamed to a temp file beside it, under its final name only once complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toolsynth.artifacts.files import ensure_dir, mkstemp_like_open, sweep_stale_temps, write_failed
from toolsynth.artifacts.schemas import dumps, stamp


class ArtifactWriter:
    """Write a JSONL artifact atomically: records stream to a temp file that replaces `path` only on success.

    Use as a context manager. If the block raises (or the process dies), the final name is left untouched.
    """

    def __init__(self, path: str | Path, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind
        self.count = 0
        self._fh: Any = None
        self._tmp: Path | None = None

    def __enter__(self) -> ArtifactWriter:
        ensure_dir(self.path)
        try:
            fd, tmp = mkstemp_like_open(self.path)
        except OSError as exc:
            raise write_failed(exc, self.path) from exc
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "wb", buffering=1 << 16)
        return self

    def write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(dumps(stamp(record, self.kind)))
        except OSError as exc:
            raise write_failed(exc, self.path) from exc
        self.count += 1

    def write_many(self, records: Iterable[dict[str, Any]]) -> None:
        for r in records:
            self.write(r)

    def write_line(self, line: bytes) -> None:
        """A record already serialized and stamped (`dumps(stamp(...))`): copied without parsing it again."""
        self._fh.write(line)
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        assert self._fh is not None and self._tmp is not None
        try:
            if exc_type is None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
            self._fh.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
                sweep_stale_temps(self.path)
        except OSError as err:
            # A full disk often shows only at the final flush: the temp file goes, the final name stays as it was.
            with contextlib.suppress(OSError):
                self._fh.close()
            self._tmp.unlink(missing_ok=True)
            if exc_type is None:
                raise write_failed(err, self.path) from err
        finally:
            if self._tmp.exists() and (exc_type is not None):
                self._tmp.unlink(missing_ok=True)


def write_artifact(path: str | Path, kind: str, records: Iterable[dict[str, Any]]) -> int:
    with ArtifactWriter(path, kind) as w:
        w.write_many(records)
    return w.count
