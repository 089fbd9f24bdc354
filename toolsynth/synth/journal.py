"""Where a run's dialogs go: the accepted and rejected journals and their promotion to sorted artifacts, and the
errors file of dialogs that ended in an exception."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolsynth.artifacts import JournalWriter, partial_path, promote_sorted, write_artifact
from toolsynth.console import log
from toolsynth.errors import LLMError, ToolsynthError
from toolsynth.idset import IdSet
from toolsynth.plans.record import Plan
from toolsynth.synth.context import dialog_id

if TYPE_CHECKING:
    from toolsynth.synth.builder import DialogBuilder


def rejects_path(out: str | Path) -> Path:
    """`dialogs.jsonl` → `dialogs.rejects.jsonl`."""
    out = Path(out)
    name = out.name
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else name
    return out.with_name(f"{stem}.rejects.jsonl")


def promote(journal: JournalWriter, keep: IdSet) -> int:
    """Journal → final artifact: only this run's plans, each once, sorted by id (deterministic whatever order the
    concurrent dialogs finished in). Sorted on disk, so memory does not grow with the number of dialogs."""
    journal.close()
    n = promote_sorted(journal.partial, journal.path, journal.kind, key_field="id", keep=keep)
    journal.discard()
    return n


def done_ids(*journals: JournalWriter) -> IdSet:
    done = IdSet()
    for j in journals:
        for rid in j.iter_done_ids():
            done.add(rid)
    return done


def errors_path(out: str | Path) -> Path:
    """`dialogs.jsonl` → `dialogs.errors.jsonl`: dialogs that ended in an unexpected exception in the last run."""
    out = Path(out)
    stem = out.name[: -len(".jsonl")] if out.name.endswith(".jsonl") else out.name
    return out.with_name(f"{stem}.errors.jsonl")


def error_record(plan: Plan, builder: DialogBuilder, exc: BaseException) -> dict[str, Any]:
    """What an audit needs: the plan, the exception with its innermost frames, and the dialog as far as it got."""
    import traceback

    frames = [] if isinstance(exc, ToolsynthError) else traceback.extract_tb(exc.__traceback__)[-6:]
    try:
        partial: dict[str, Any] | None = builder._dialog().to_record()
    except Exception as inner:  # noqa: BLE001 - the partial dialog is a courtesy; the error itself is kept
        partial = None
        log.debug("partial dialog of %s not recoverable: %s", plan.id, inner)
    return {
        "id": dialog_id(plan),
        "plan_id": plan.id or plan.compute_id(),
        "error": f"{type(exc).__name__}: {exc}",
        "kind": "model_unavailable" if isinstance(exc, LLMError) else "exception",
        "traceback": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames],
        "turns_done": len(builder.turns),
        "dialog": partial,
    }


def write_errors(out: str | Path, errors: list[dict[str, Any]]) -> None:
    """The errors of this run (atomically); none means the file of an earlier run is stale and goes."""
    path = errors_path(out)
    if errors:
        write_artifact(path, "dialog_error", sorted(errors, key=lambda r: str(r["id"])))
    else:
        path.unlink(missing_ok=True)


def journal_exists(out: str | Path) -> bool:
    return partial_path(out).exists() or partial_path(rejects_path(out)).exists()
