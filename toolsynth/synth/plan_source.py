"""The plans of a synthesize run, read from the plans file twice instead of held in memory.

`scan()` reads the whole file once before any model is called: every plan is validated (a broken line 90,000 is
reported before the first dialog, with its line number) and counted. Iterating reads it again and yields the same
plans as they are needed, so memory does not grow with the number of plans. Both passes apply the same selection:
the first occurrence of each plan id (the same plan twice would be the same dialog twice), the first `limit` of
those, then the plans of `shard` (so the shards of a `--limit N` run together are the unsharded `--limit N` run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toolsynth.artifacts import read_artifact
from toolsynth.errors import InputError
from toolsynth.idset import IdSet
from toolsynth.plans.record import Plan
from toolsynth.shard import Shard


def parse_plan(rec: dict, where: str, backend: Any = None) -> Plan:
    """One plan record, validated; `backend` is the user's override (`--backend` / `synth.backend`), if any."""
    from pydantic import ValidationError

    from toolsynth.synth.backends.base import normalize_spec
    from toolsynth.synth.backends.trust import combine

    try:
        plan = Plan.from_record(rec)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"invalid plan: {loc}: {err['msg']}", where=where) from exc
    if not plan.id:
        plan = plan.with_id()
    for t in plan.turns:
        unknown = [n for n in t.offered_tools if n not in plan.tool_defs]
        if unknown:
            raise InputError(
                f"plan {plan.id} turn {t.index} offers tools with no definition: {unknown}", where=where
            )
    # Data never chooses code: a plan naming a `python:` module (or any kind off the allow-list) stops the run
    # here, in the check before any model call or import, unless the user gave the backend.
    try:
        combine(normalize_spec(plan.backend), normalize_spec(backend))
    except InputError as exc:
        raise InputError(f"plan {plan.id}: backend: {exc.message}", where=where) from exc
    return plan


class PlanSource:
    def __init__(
        self, path: str | Path, *, limit: int | None = None, shard: Shard | None = None, backend: Any = None
    ) -> None:
        self.path = Path(path)
        self.backend = backend
        self.limit = limit
        self.shard = shard
        self.count: int | None = None
        self._stat: tuple[int, int] | None = None

    def _file_stat(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path)
        except FileNotFoundError as exc:
            raise InputError("file not found", where=str(self.path)) from exc
        return st.st_size, st.st_mtime_ns

    def _select(self) -> Iterator[Plan]:
        seen = IdSet()
        unique = 0
        for lineno, rec in enumerate(read_artifact(self.path, "plan"), 1):
            if self.limit is not None and unique >= self.limit:
                return
            plan = parse_plan(rec, f"{self.path}:{lineno}", self.backend)
            if not seen.add(plan.id):
                continue
            unique += 1
            if self.shard is None or self.shard.owns(plan.id):
                yield plan

    def scan(self) -> int:
        """Validate every plan and count the selected ones (before any work starts)."""
        self._stat = self._file_stat()
        self.count = sum(1 for _ in self._select())
        return self.count

    def __len__(self) -> int:
        return self.count if self.count is not None else self.scan()

    def __iter__(self) -> Iterator[Plan]:
        if self._stat is None:
            self.scan()
        if self._file_stat() != self._stat:
            raise InputError("the plans file changed after it was checked; run again", where=str(self.path))
        yield from self._select()
        if self._file_stat() != self._stat:
            raise InputError(
                "the plans file changed while it was being read; run again", where=str(self.path)
            )
