"""A run's counts (accepted, rejected, per check layer, first failures, cost), live or read back from the files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.artifacts import read_artifact
from toolsynth.synth.checks import JUDGE_ERROR, is_judge_error
from toolsynth.synth.context import DialogOutcome
from toolsynth.synth.journal import rejects_path
from toolsynth.synth.record import (
    CheckResult,
    Dialog,
)
from toolsynth.synth.turn_checks import LAYERS


@dataclass
class RunSummary:
    plans: int = 0
    skipped: int = 0  # already in the journal from an earlier (killed) run
    accepted: int = 0
    rejected: int = 0
    written: int = 0
    rejects_written: int = 0
    check_counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {layer: {"passed": 0, "failed": 0, "n/a": 0} for layer in LAYERS}
    )
    first_failures: dict[str, int] = field(default_factory=dict)
    rule_user_messages: int = 0
    judge_errors: int = 0  # semantic checks of kept turns where the judge gave no verdict (each one fails)
    # dialogs that ended in an unexpected exception this run: not journaled, retried on a rerun
    errors: int = 0
    # dialogs stopped by a model call that failed after every retry: not journaled either, retried on a rerun
    unavailable: int = 0
    regenerated_turns: int = 0
    turns: int = 0
    cost: float = 0.0
    finished: bool = False

    def add(self, out: DialogOutcome) -> None:
        d = out.dialog
        if out.accepted:
            self.accepted += 1
        else:
            self.rejected += 1
            key = out.failure.layer if out.failure is not None else "error"
            if is_judge_error(out.failure):
                key = JUDGE_ERROR
            self.first_failures[key] = self.first_failures.get(key, 0) + 1
        self.judge_errors += sum(1 for c in d.checks if is_judge_error(c))
        for c in d.checks:
            k = "passed" if c.passed else ("n/a" if c.passed is None else "failed")
            self.check_counts.setdefault(c.layer, {"passed": 0, "failed": 0, "n/a": 0})[k] += 1
        self.rule_user_messages += int(d.usage.get("rule_user_messages", 0))
        self.regenerated_turns += sum(1 for t in d.turns if t.attempts > 1)
        self.turns += len(d.turns)
        self.cost += float(d.usage.get("cost", 0.0))

    def acceptance(self) -> dict[str, float | None]:
        """Per layer: the share of checked turns that passed (n/a turns left out)."""
        out: dict[str, float | None] = {}
        for layer, c in self.check_counts.items():
            n = c["passed"] + c["failed"]
            out[layer] = round(c["passed"] / n, 4) if n else None
        return out

    def to_record(self) -> dict[str, Any]:
        done = self.accepted + self.rejected
        return {
            "plans": self.plans,
            "resumed_from_journal": self.skipped,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "acceptance_rate": round(self.accepted / done, 4) if done else None,
            "dialogs_written": self.written,
            "rejects_written": self.rejects_written,
            "turns": self.turns,
            "regenerated_turns": self.regenerated_turns,
            "rule_user_messages": self.rule_user_messages,
            "judge_errors": self.judge_errors,
            "errors": self.errors,
            "model_unavailable": self.unavailable,
            "checks": self.check_counts,
            "check_pass_rate": self.acceptance(),
            "first_failure": dict(sorted(self.first_failures.items())),
            "cost": round(self.cost, 6),
            "finished": self.finished,
        }


def summarize_files(out: str | Path) -> RunSummary:
    summary = RunSummary()
    out = Path(out)
    if out.exists():
        for rec in read_artifact(out, "dialog"):
            summary.add(DialogOutcome(Dialog.from_record(rec), True))
    rej = rejects_path(out)
    if rej.exists():
        for rec in read_artifact(rej, "dialog_reject"):
            f = rec.get("failure") or {}
            failure = (
                CheckResult(
                    layer=f["layer"], turn=f.get("turn") or 0, passed=False, reason=f.get("reason", "")
                )
                if f.get("layer")
                else None
            )
            dialog = Dialog.from_record({k: v for k, v in rec.items() if k != "failure"})
            summary.add(DialogOutcome(dialog, False, failure=failure, error=f.get("reason")))
    return summary
