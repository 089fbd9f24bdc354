"""A set of record ids in 8 bytes per id, so a stage can remember every id of a 100k-record run in ~1 MB.

A Python `set[str]` of dialog ids costs ~100 bytes per id (the string object plus the hash slot): 10 MB at 100k,
1 GB at 10M. Here each id is kept as a 64-bit BLAKE2b digest in a sorted numpy array (new ids wait in a small
Python set and are merged in batches). Two different ids share a digest with probability ~n²/2⁶⁵: about 3·10⁻¹⁰
for 100k ids, 3·10⁻⁶ for 10M. Such a collision would make one record look like a repeat of the other; callers use
this set for "already done" and "part of this run", where that risk is far below a disk error's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

_BATCH = 4096


def id_digest(record_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(record_id.encode(), digest_size=8).digest(), "little")


class IdSet:
    def __init__(self, ids: Iterable[str] = ()) -> None:
        import numpy as np

        self._np = np
        self._sorted: Any = np.empty(0, dtype=np.uint64)
        self._pending: set[int] = set()
        for i in ids:
            self.add(i)

    def _has(self, h: int) -> bool:
        if h in self._pending:
            return True
        arr = self._sorted
        if not len(arr):
            return False
        pos = int(self._np.searchsorted(arr, self._np.uint64(h)))
        return pos < len(arr) and int(arr[pos]) == h

    def _flush(self) -> None:
        if self._pending:
            np = self._np
            new = np.fromiter(self._pending, dtype=np.uint64, count=len(self._pending))
            self._sorted = np.union1d(self._sorted, new)
            self._pending = set()

    def add(self, record_id: str) -> bool:
        """Add an id; False when it was already there."""
        h = id_digest(record_id)
        if self._has(h):
            return False
        self._pending.add(h)
        if len(self._pending) >= _BATCH:
            self._flush()
        return True

    def __contains__(self, record_id: object) -> bool:
        return isinstance(record_id, str) and self._has(id_digest(record_id))

    def __len__(self) -> int:
        return len(self._sorted) + len(self._pending)
