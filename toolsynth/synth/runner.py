"""The run over a plans file: concurrency, progress, resume. (The dialog loop itself is `toolsynth.synth.builder`.)

Resume: every finished dialog (accepted or rejected) is one flushed line of a journal; a rerun skips the plans whose
dialog is already there, so a kill at any point loses at most the dialogs in flight and duplicates nothing.

The names other modules and tests import from here (`SynthContext`, `synthesize_dialog`, `rejects_path`, ...) are
re-exported from the modules that hold them since the split of this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from toolsynth.artifacts import JournalWriter, read_artifact, write_artifact
from toolsynth.console import log
from toolsynth.errors import LLMError
from toolsynth.idset import IdSet
from toolsynth.plans.record import Plan
from toolsynth.synth.builder import DialogBuilder, calls_of, run_call, synthesize_dialog
from toolsynth.synth.context import DialogOutcome, SynthContext, TalliedGateway, dialog_id
from toolsynth.synth.journal import (
    done_ids,
    error_record,
    errors_path,
    journal_exists,
    promote,
    rejects_path,
    write_errors,
)
from toolsynth.synth.roles import dialogs_in_flight, role_models
from toolsynth.synth.summary import RunSummary, summarize_files
from toolsynth.synth.turn_checks import LAYERS, Checker, TurnOutcome, default_checker, weak_judge

__all__ = [
    "LAYERS",
    "UNAVAILABLE_STREAK",
    "Checker",
    "DialogBuilder",
    "DialogOutcome",
    "RunSummary",
    "SynthContext",
    "TalliedGateway",
    "TurnOutcome",
    "calls_of",
    "default_checker",
    "dialog_id",
    "dialogs_in_flight",
    "error_record",
    "errors_path",
    "journal_exists",
    "rejects_path",
    "role_models",
    "run_call",
    "run_plans",
    "summarize_files",
    "synthesize_dialog",
    "weak_judge",
    "write_errors",
]


class _PlanFeed:
    """Hands the workers one plan at a time from a lazy iterable, remembering every dialog id of the run (`keep`,
    8 bytes each) and skipping plans already done or seen earlier in this run."""

    def __init__(self, plans: Iterable[Plan], done: IdSet, summary: RunSummary, progress: Any) -> None:
        self._it = iter(plans)
        self.done = done
        self.keep = IdSet()
        self.summary = summary
        self.progress = progress

    def next(self) -> Plan | None:
        for plan in self._it:
            did = dialog_id(plan)
            if not self.keep.add(did):
                continue  # the same plan twice is the same dialog
            self.summary.plans += 1
            if did in self.done:
                self.summary.skipped += 1
                if self.progress is not None:
                    self.progress.advance(1)
                continue
            return plan
        return None


async def run_plans(
    plans: Iterable[Plan],
    out: str | Path,
    ctx: SynthContext,
    *,
    concurrency: int = 8,
    progress: Any = None,
    on_result: Callable[[DialogOutcome], None] | None = None,
    reuse_finished: bool = False,
    fingerprint: dict[str, Any] | None = None,
    restart: bool = False,
) -> RunSummary:
    """Synthesize every plan into `out` (accepted) and `rejects_path(out)` (rejected), resumably.

    `reuse_finished`: dialogs already in a finished `out` (made with the same settings, the caller's judgement)
    count as done too, so a rerun or a grown plans file only makes what is missing.
    `fingerprint`: what the dialogs depend on (`synth.fingerprint`); a journal left with another one is refused
    (`ResumeMismatchError`) unless `restart`, which drops it and starts over.

    `plans` is read lazily (a `PlanSource` streams it from disk): memory stays flat in the number of plans."""
    summary = RunSummary()
    accepted_j = JournalWriter(out, "dialog", fingerprint=fingerprint, restart=restart)
    rejected_j = JournalWriter(rejects_path(out), "dialog_reject", fingerprint=fingerprint, restart=restart)
    # Both journals are checked before either is touched, so a refused resume changes nothing on disk.
    for j in (accepted_j, rejected_j):
        j.prepare()
    if reuse_finished and not restart:
        for j in (accepted_j, rejected_j):
            if j.path.exists() and not j.partial.exists():
                write_artifact(j.partial, j.kind, read_artifact(j.path, j.kind))
    done = done_ids(accepted_j, rejected_j)
    if len(done):
        log.info("resuming: %d dialogs are already in the journal", len(done))
    feed = _PlanFeed(plans, done, summary, progress)

    def status() -> str:
        return f"accepted {summary.accepted} · rejected {summary.rejected} · ${summary.cost:.4f}"

    async def worker() -> None:
        while True:
            plan = feed.next()
            if plan is None:
                return
            builder = DialogBuilder(plan, ctx)
            try:
                result = await builder.run()
            except asyncio.CancelledError:
                raise
            except LLMError as exc:
                # A bad key or an unknown model fails every dialog alike: stop (the journal keeps what is done).
                # A request the provider refused on its own (context too long) only costs this dialog.
                if type(exc).__name__ == "LLMUnavailableError":
                    # A flaky model gave up on one call after its retries: this dialog is not judged (not
                    # journaled, retried by a rerun) and counted; many in a row mean the model is down: stop.
                    log.warning("dialog for %s: model unavailable: %s", plan.id, exc.one_line())
                    errors.append(error_record(plan, builder, exc))
                    summary.unavailable += 1
                    streak[0] += 1
                    if streak[0] >= UNAVAILABLE_STREAK:
                        raise
                    if progress is not None:
                        progress.advance(1, status=status())
                    continue
                if type(exc).__name__ != "LLMRequestError":
                    raise
                log.warning("dialog for %s: %s", plan.id, exc.one_line())
                result = DialogOutcome(builder._dialog(), False, error=exc.one_line())
            except Exception as exc:  # noqa: BLE001 - one broken dialog must not end a long run
                # A bug, not a verdict on the data: kept out of the journal (a rerun retries it), counted, and the
                # dialog as far as it got goes to the errors file for whoever fixes the bug.
                log.warning("dialog for %s failed: %s: %s", plan.id, type(exc).__name__, exc)
                log.debug("traceback", exc_info=True)
                errors.append(error_record(plan, builder, exc))
                summary.errors += 1
                if progress is not None:
                    progress.advance(1, status=status())
                continue
            streak[0] = 0
            if result.accepted:
                accepted_j.write(result.dialog.to_record())
            else:
                rejected_j.write(result.reject_record())
            summary.add(result)
            if on_result is not None:
                on_result(result)
            if progress is not None:
                progress.advance(1, status=status())

    errors: list[dict[str, Any]] = []
    streak = [0]  # dialogs in a row that ended with the model unavailable
    accepted_j.open()
    rejected_j.open()
    try:
        n = max(1, concurrency)
        tasks = [asyncio.create_task(worker()) for _ in range(n)]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    finally:
        accepted_j.close()
        rejected_j.close()
        write_errors(out, errors)
    written = promote(accepted_j, feed.keep)
    rejects_written = promote(rejected_j, feed.keep)
    # Counts come from the final files, so a resumed run reports the dialogs of the earlier run(s) too.
    final = summarize_files(out)
    final.plans = summary.plans
    final.skipped = summary.skipped
    final.written = written
    final.rejects_written = rejects_written
    final.errors = summary.errors
    final.unavailable = summary.unavailable
    final.finished = True
    return final


#: Dialogs in a row whose model call gave up (no dialog finished in between) before the run stops: a model that is
#: down, not flaky. The journal keeps what finished; a rerun resumes.
UNAVAILABLE_STREAK = 8
