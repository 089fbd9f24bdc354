"""make-preferences over a dialogs file, resumable and streaming (one dialog's pairs: `toolsynth.prefs.dialog_pairs`,
whose names are re-exported here).

Resume: each finished dialog is ONE flushed journal line (`preference_batch`: its pairs and its counts), so a kill
loses at most the dialogs in flight and never leaves half a dialog's pairs. The final file holds the pairs sorted by
dialog id (then pair id), written by streaming the journal in that order: memory does not grow with the number of
pairs, only with a (dialog id, offset) index of the journal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from toolsynth.artifacts import ArtifactWriter, JournalWriter, read_artifact
from toolsynth.console import log
from toolsynth.errors import InputError
from toolsynth.prefs.dialog_pairs import (
    KINDS,
    DialogPairs,
    PrefsContext,
    _empty_stats,
    candidates,
    pairs_for_dialog,
)
from toolsynth.shard import Shard
from toolsynth.synth.record import Dialog

__all__ = [
    "KINDS",
    "DialogPairs",
    "PrefsContext",
    "PrefsSummary",
    "candidates",
    "make_preferences",
    "pairs_for_dialog",
    "promote",
    "read_dialogs",
]


# ---- a run over a file -------------------------------------------------------------------------------------------


@dataclass
class PrefsSummary:
    dialogs: int = 0
    resumed: int = 0
    failed_dialogs: int = 0
    pairs: int = 0
    stats: dict[str, Any] = field(default_factory=_empty_stats)
    errors: list[str] = field(default_factory=list)

    def add(self, rec: dict[str, Any]) -> None:
        self.dialogs += 1
        self.pairs += len(rec.get("pairs") or [])
        if rec.get("error"):
            self.failed_dialogs += 1
            if len(self.errors) < 20:
                self.errors.append(f"{rec.get('dialog_id')}: {rec['error']}")
        s = rec.get("stats") or {}
        for kind, counts in (s.get("by_kind") or {}).items():
            mine = self.stats["by_kind"].setdefault(kind, dict.fromkeys(counts, 0))
            for key, n in counts.items():
                mine[key] = mine.get(key, 0) + int(n)
        for section in ("by_error", "skipped"):
            for key, n in (s.get(section) or {}).items():
                self.stats[section][key] = self.stats[section].get(key, 0) + int(n)

    def to_record(self) -> dict[str, Any]:
        by_kind = self.stats["by_kind"]
        cand = sum(k["candidates"] for k in by_kind.values())
        acc = sum(k["accidentally_correct"] for k in by_kind.values())
        return {
            "dialogs": self.dialogs,
            "resumed_from_journal": self.resumed,
            "failed_dialogs": self.failed_dialogs,
            "pairs": self.pairs,
            "pairs_per_dialog": round(self.pairs / self.dialogs, 3) if self.dialogs else None,
            "candidates": cand,
            "accidentally_correct": acc,
            "accidentally_correct_rate": round(acc / cand, 4) if cand else None,
            "by_kind": by_kind,
            "by_error": dict(sorted(self.stats["by_error"].items())),
            "skipped": self.stats["skipped"],
            "errors": self.errors,
        }


def read_dialogs(path: str | Path) -> Any:
    """(line, Dialog) from a dialogs file (dialog/1 records are migrated); a broken record names its line."""
    from pydantic import ValidationError

    for lineno, rec in enumerate(read_artifact(path, "dialog"), 1):
        try:
            dialog = Dialog.from_record(rec)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise InputError(f"invalid dialog: {loc}: {err['msg']}", where=f"{path}:{lineno}") from exc
        problem = shape_problem(dialog)
        if problem:
            raise InputError(f"invalid dialog {dialog.id}: {problem}", where=f"{path}:{lineno}")
        yield lineno, dialog


def shape_problem(dialog: Dialog) -> str | None:
    """What makes a dialog's indexes unusable (turn spans, step and result positions), or None."""
    n = len(dialog.messages)
    for k, t in enumerate(dialog.turns):
        if not 0 <= t.start <= t.end <= n:
            return f"turns[{k}]: span {t.start}..{t.end} is outside the {n} messages"
        for j, st in enumerate(t.steps):
            if not t.start <= st.message < t.end or dialog.messages[st.message].role != "assistant":
                return f"turns[{k}].steps[{j}]: message {st.message} is not an assistant message of the turn"
        for j, r in enumerate(t.results):
            if not t.start <= r.message < t.end or dialog.messages[r.message].role != "tool":
                return f"turns[{k}].results[{j}]: message {r.message} is not a tool message of the turn"
    return None


def journal_path(out: str | Path) -> JournalWriter:
    return JournalWriter(out, "preference_batch", id_field="dialog_id")


async def make_preferences(
    dialogs: str | Path,
    out: str | Path,
    ctx: PrefsContext,
    *,
    concurrency: int = 8,
    on_dialog: Callable[[DialogPairs | None], None] | None = None,
    shard: Shard | None = None,
) -> PrefsSummary:
    """Pairs of every dialog in `dialogs` into `out`, resumably (rerun the same call after a kill).

    `shard`: only the dialogs whose id falls in it (`toolsynth.shard`); `toolsynth merge` joins the shards' outputs
    into this function's unsharded output. `ctx.config.executor` says where the pairs are made."""
    from toolsynth.prefs.job import dialog_executor

    # The executor first: an unreachable Ray cluster or a missing ray fails before any file is touched.
    executor = dialog_executor(ctx, max(1, concurrency))
    journal = journal_path(out)
    fingerprint = ctx.fingerprint()
    try:
        if _stale(journal, fingerprint):
            log.warning("%s was started with other settings: starting over", journal.partial)
            journal.partial.unlink()
        done = journal.done_ids()
    except BaseException:
        executor.close()
        raise
    if done:
        log.info("resuming: %d dialogs are already in the journal", len(done))
    seen: set[str] = set()
    resumed = 0
    source = iter(read_dialogs(dialogs))

    def next_dialog() -> Dialog | None:
        nonlocal resumed
        for _, dialog in source:
            if dialog.id in seen or (shard is not None and not shard.owns(dialog.id)):
                continue  # the same dialog twice would give the same pairs twice
            seen.add(dialog.id)
            if dialog.id in done:
                resumed += 1
                if on_dialog is not None:
                    on_dialog(None)
                continue
            return dialog
        return None

    def sink(result: DialogPairs) -> None:
        """A finished dialog, in the driver: the one place that writes the journal."""
        journal.write(result.to_record(fingerprint))
        if on_dialog is not None:
            on_dialog(result)

    journal.open()
    try:
        await executor.run(next_dialog, sink)
    finally:
        executor.close()
        journal.close()
    summary = promote(journal, seen)
    summary.resumed = resumed
    return summary


def _stale(journal: JournalWriter, fingerprint: str) -> bool:
    """Whether the journal holds a dialog made under other settings."""
    journal.done_ids()  # cuts a torn last line
    if not journal.partial.exists():
        return False
    return any(rec.get("fingerprint") != fingerprint for rec in read_artifact(journal.partial, journal.kind))


def promote(journal: JournalWriter, keep: set[str]) -> PrefsSummary:
    """Journal → `preferences.jsonl`, sorted by dialog id, streamed (one journal line in memory at a time)."""
    summary = PrefsSummary()
    index: list[tuple[str, int]] = []
    if journal.partial.exists():
        with open(journal.partial, "rb") as fh:
            while True:
                pos = fh.tell()
                line = fh.readline()
                if not line:
                    break
                if not line.strip():
                    continue
                did = str(orjson.loads(line).get("dialog_id"))
                if did in keep:
                    index.append((did, pos))
    index.sort()
    written: set[str] = set()
    with ArtifactWriter(journal.path, "preference") as w:
        if index:
            with open(journal.partial, "rb") as fh:
                for did, pos in index:
                    if did in written:
                        continue
                    written.add(did)
                    fh.seek(pos)
                    rec = orjson.loads(fh.readline())
                    summary.add(rec)
                    for pair in rec.get("pairs") or []:
                        w.write(pair)
    journal.partial.unlink(missing_ok=True)
    return summary
