"""The run over a plans file: concurrency, progress, resume. (The dialog loop itself is `toolsynth.synth.builder`.)

Resume: every finished dialog (accepted or rejected) is one flushed line of a journal; a rerun skips the plans whose
dialog is already there, so a kill at any point loses at most the dialogs in flight and duplicates nothing.

The names other modules and tests import from here (`SynthContext`, `synthesize_dialog`, `rejects_path`, ...) are
re-exported from the modules that hold them since the split of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from toolsynth.artifacts import JournalWriter, read_artifact, write_artifact
from toolsynth.console import log
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
    executor: Any = None,
) -> RunSummary:
    """Synthesize every plan into `out` (accepted) and `rejects_path(out)` (rejected), resumably.

    `reuse_finished`: dialogs already in a finished `out` (made with the same settings, the caller's judgement)
    count as done too, so a rerun or a grown plans file only makes what is missing.
    `fingerprint`: what the dialogs depend on (`synth.fingerprint`); a journal left with another one is refused
    (`ResumeMismatchError`) unless `restart`, which drops it and starts over.

    `plans` is read lazily (a `PlanSource` streams it from disk): memory stays flat in the number of plans.
    `executor`: a started `toolsynth.executors` executor to run the plans on, left open for the caller to reuse
    and close; default: the one `ctx.config.executor` names, started and closed here."""
    from toolsynth.synth.plan_job import PlanResult, plan_executor

    # The executor first: a Ray cluster that cannot be reached or a missing ray fails here, before any file is
    # touched.
    owned = executor is None
    executor = executor or plan_executor(ctx, max(1, concurrency))
    try:
        summary = RunSummary()
        accepted_j = JournalWriter(out, "dialog", fingerprint=fingerprint, restart=restart)
        rejected_j = JournalWriter(
            rejects_path(out), "dialog_reject", fingerprint=fingerprint, restart=restart
        )
        # Both journals are checked before either is touched, so a refused resume changes nothing on disk.
        for j in (accepted_j, rejected_j):
            j.prepare()
        if reuse_finished and not restart:
            for j in (accepted_j, rejected_j):
                if j.path.exists() and not j.partial.exists():
                    write_artifact(j.partial, j.kind, read_artifact(j.path, j.kind))
    except BaseException:
        if owned:
            executor.close()
        raise
    done = done_ids(accepted_j, rejected_j)
    if len(done):
        log.info("resuming: %d dialogs are already in the journal", len(done))
    feed = _PlanFeed(plans, done, summary, progress)

    def status() -> str:
        return f"accepted {summary.accepted} · rejected {summary.rejected} · ${summary.cost:.4f}"

    errors: list[dict[str, Any]] = []
    streak = [0]  # dialogs in a row that ended with the model unavailable

    def sink(res: PlanResult) -> None:
        """A finished plan, in the driver: the one place that writes the journals."""
        if res.outcome is None:
            assert res.error is not None
            errors.append(res.error)
            if res.unavailable:
                summary.unavailable += 1
                streak[0] += 1
                if streak[0] >= UNAVAILABLE_STREAK and res.exc is not None:
                    raise res.exc
            else:
                summary.errors += 1
            if progress is not None:
                progress.advance(1, status=status())
            return
        result = res.outcome
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

    accepted_j.open()
    rejected_j.open()
    try:
        await executor.run(feed.next, sink)
    finally:
        if owned:
            executor.close()
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
