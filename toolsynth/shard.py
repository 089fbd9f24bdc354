"""`--shard I/N`: which part of a stage's work one of N jobs does, the same for every stage.

Two partitions, both deterministic, with no overlap and no gap across I = 0..N-1:
- by id (`owns`): a record belongs to shard `sha256(id) mod N`. Stages whose output is sorted by id (synthesize,
  make-preferences) use it; merging the shards' outputs by id gives the unsharded file.
- by slot (`slots`): plan slots 0..n-1 are cut into N contiguous ranges. sample-plans uses it because its output
  is in slot order and each slot's walk depends on the coverage of the slots before it (every shard draws all the
  walks and builds only its own slots); merging is concatenation in shard order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from toolsynth.errors import InputError

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise InputError(f"shard {self.index}/{self.count}: need 0 <= I < N", where="--shard")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, record_id: str) -> bool:
        return id_shard(record_id, self.count) == self.index

    def slots(self, n: int) -> range:
        return range(self.index * n // self.count, (self.index + 1) * n // self.count)

    def to_record(self) -> dict[str, int]:
        return {"index": self.index, "count": self.count}

    @classmethod
    def from_record(cls, rec: Any, where: str) -> Shard:
        try:
            return cls(int(rec["index"]), int(rec["count"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"bad shard entry {rec!r}", where=where) from exc


def id_shard(record_id: str, count: int) -> int:
    return int.from_bytes(hashlib.sha256(record_id.encode()).digest()[:8], "big") % count


def parse_shard(text: str | None) -> Shard | None:
    """`"2/8"` → Shard(2, 8) (0-based: shards 0/8 … 7/8); None or "" → no sharding."""
    if text is None or not text.strip():
        return None
    m = _SPEC.match(text)
    if not m:
        raise InputError(f"expected I/N (e.g. 0/4), got {text!r}", where="--shard")
    return Shard(int(m.group(1)), int(m.group(2)))
