"""Persistent response cache: one SQLite file in WAL mode, shared safely by concurrent runs.

Why SQLite: litellm 1.110 dropped its disk cache and its cache-hit path imports the proxy's fastapi; SQLite is in
the standard library, atomic per transaction (a run killed mid-write leaves the previous state, never a torn
entry), and WAL lets readers proceed while one writer commits. Writers in other processes wait (busy timeout)
instead of failing.

Writes are buffered and committed in small batches so that a stage running hundreds of requests per second does
not pay one commit per call; a kill loses at most the last unflushed batch (those requests are simply made again).
"""

from __future__ import annotations

import atexit
import contextlib
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import orjson

from toolsynth.errors import ToolsynthError
from toolsynth.llm.wire import canonical_json

CACHE_VERSION = 1
_FLUSH_EVERY = 64
_FLUSH_AFTER_S = 1.0


def cache_key(payload: dict[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(canonical_json({"v": CACHE_VERSION, **payload})).hexdigest()


class ResponseCache:
    def __init__(self, directory: str | Path, *, busy_timeout_s: float = 60.0) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ToolsynthError(
                f"cannot create the LLM cache directory: {exc.strerror}", where=str(self.directory)
            ) from exc
        self.path = self.directory / "llm-cache.sqlite"
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[str, bytes]] = {}
        self._last_flush = time.monotonic()
        self._busy_ms = int(busy_timeout_s * 1000)
        self._conn: sqlite3.Connection | None = None
        # Buffered answers cost money: commit them even when the caller forgets to close the gateway.
        ref = weakref.ref(self)
        atexit.register(lambda: (c := ref()) is not None and c._flush_quietly())

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=self._busy_ms / 1000, isolation_level=None, check_same_thread=False
                )
                conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
                conn.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a commit survives a killed process; only a power cut can drop the last ones.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS responses ("
                    " key TEXT PRIMARY KEY, model TEXT NOT NULL, value BLOB NOT NULL, created REAL NOT NULL)"
                )
            except sqlite3.DatabaseError as exc:
                raise ToolsynthError(
                    f"cannot open the LLM cache ({exc}); delete it or run with --no-cache",
                    where=str(self.path),
                ) from exc
            self._conn = conn
        return self._conn

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return orjson.loads(pending[1])
            row = self._connect().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def put(self, key: str, model: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._pending[key] = (model, orjson.dumps(value))
            due = len(self._pending) >= _FLUSH_EVERY or time.monotonic() - self._last_flush >= _FLUSH_AFTER_S
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                self._last_flush = time.monotonic()
                return
            rows = [(k, m, v, time.time()) for k, (m, v) in self._pending.items()]
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                # First writer wins: two runs that raced on one request keep one answer, whichever it was.
                conn.executemany(
                    "INSERT OR IGNORE INTO responses (key, model, value, created) VALUES (?, ?, ?, ?)", rows
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._pending.clear()
            self._last_flush = time.monotonic()

    def _flush_quietly(self) -> None:
        # At interpreter exit there is no one left to tell about a failure.
        with contextlib.suppress(Exception):
            self.flush()

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            return int(self._connect().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
