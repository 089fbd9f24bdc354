"""Bounded-memory sorting of artifact lines: sorted runs on disk, then a k-way merge."""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toolsynth.artifacts.files import ensure_dir
from toolsynth.artifacts.read import read_artifact
from toolsynth.artifacts.schemas import dumps
from toolsynth.artifacts.write import ArtifactWriter

# ---- bounded-memory sorting (sorted runs on disk, then a k-way merge) ----------------------------------------------


class ExternalSorter:
    """Sort (key, line) pairs by key in bounded memory; ties keep the order they were added in (stable).

    Lines are serialized records (`dumps`, one trailing newline). Up to `run_bytes` of them are held and sorted in
    memory; beyond that each full batch goes to a sorted run file in `tmp_dir`, and iteration merges the runs
    (at most `fan_in` files open at once: more runs are merged in consecutive groups first, which keeps the sort
    stable). Memory is ~`run_bytes` plus one read buffer per open run, whatever the number of records: a stage
    that must write its output sorted uses this instead of holding every record.

    Use as a context manager: the run files are removed on exit, also after an error.
    """

    def __init__(self, tmp_dir: str | Path, *, run_bytes: int = 8 << 20, fan_in: int = 64) -> None:
        self.tmp_root = Path(tmp_dir)
        self.run_bytes = run_bytes
        self.fan_in = max(2, fan_in)
        self.count = 0
        self._batch: list[tuple[str, int, bytes]] = []
        self._batch_bytes = 0
        self._runs: list[Path] = []
        self._dir: Path | None = None
        self._seq = 0

    def __enter__(self) -> ExternalSorter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._dir is not None:
            for p in self._dir.iterdir():
                p.unlink(missing_ok=True)
            self._dir.rmdir()
            self._dir = None
        self._runs = []
        self._batch = []

    def add(self, key: str, line: bytes) -> None:
        self._batch.append((key, self.count, line))
        self.count += 1
        self._batch_bytes += len(line) + len(key) + 64
        if self._batch_bytes >= self.run_bytes:
            self._spill()

    def _run_path(self) -> Path:
        if self._dir is None:
            self.tmp_root.mkdir(parents=True, exist_ok=True)
            self._dir = Path(tempfile.mkdtemp(prefix=".toolsynth-sort.", dir=self.tmp_root))
        self._seq += 1
        return self._dir / f"run-{self._seq:06d}"

    def _spill(self) -> None:
        if not self._batch:
            return
        self._batch.sort(key=lambda t: (t[0], t[1]))
        path = self._run_path()
        with open(path, "wb", buffering=1 << 16) as fh:
            for key, _, line in self._batch:
                # A JSON string never holds a raw tab or newline, so the first tab ends the key.
                fh.write(orjson.dumps(key) + b"\t" + line)
        self._runs.append(path)
        self._batch = []
        self._batch_bytes = 0

    @staticmethod
    def _read_run(path: Path) -> Iterator[tuple[str, bytes]]:
        with open(path, "rb", buffering=1 << 16) as fh:
            for raw in fh:
                cut = raw.index(b"\t")
                yield orjson.loads(raw[:cut]), raw[cut + 1 :]

    def _merge(self, runs: list[Path]) -> Iterator[tuple[str, bytes]]:
        # heapq.merge is stable across its inputs: on equal keys the earlier run (added earlier) comes first.
        return heapq.merge(*(self._read_run(p) for p in runs), key=lambda kv: kv[0])

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        if not self._runs:
            self._batch.sort(key=lambda t: (t[0], t[1]))
            for key, _, line in self._batch:
                yield key, line
            return
        self._spill()
        runs = self._runs
        while len(runs) > self.fan_in:
            merged: list[Path] = []
            for i in range(0, len(runs), self.fan_in):
                group = runs[i : i + self.fan_in]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                path = self._run_path()
                with open(path, "wb", buffering=1 << 16) as fh:
                    for key, line in self._merge(group):
                        fh.write(orjson.dumps(key) + b"\t" + line)
                for p in group:
                    p.unlink(missing_ok=True)
                merged.append(path)
            runs = merged
        self._runs = runs
        yield from self._merge(runs)


def sorted_unique(pairs: Iterable[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    """The first line of each key from key-sorted pairs (a record journalled twice is written once)."""
    last: str | None = None
    for key, line in pairs:
        if key == last:
            continue
        last = key
        yield key, line


def promote_sorted(
    src: str | Path,
    dst: str | Path,
    kind: str,
    *,
    key_field: str = "id",
    keep: Any = None,
    unique: bool = True,
    run_bytes: int = 8 << 20,
) -> int:
    """Write the records of `src` to the artifact `dst` sorted by `key_field`, in bounded memory.

    `keep` (anything with `in`, e.g. an `IdSet`) limits the output to those keys; `unique` keeps only the first
    record of each key. Returns the number of records written."""
    src, dst = Path(src), Path(dst)
    ensure_dir(dst)
    with ExternalSorter(dst.parent, run_bytes=run_bytes) as sorter:
        if src.exists():
            for rec in read_artifact(src, kind):
                key = str(rec.get(key_field))
                if keep is not None and key not in keep:
                    continue
                sorter.add(key, dumps(rec))
        pairs = sorted_unique(sorter) if unique else iter(sorter)
        with ArtifactWriter(dst, kind) as w:
            for _, line in pairs:
                w.write_line(line)
    return w.count
