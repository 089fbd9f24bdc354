"""`verify preferences.jsonl`: both sides of every pair checked again at the turn where they fork.

Per pair: the backend is rebuilt from `backend_spec` by replaying the prompt's calls (their results must equal the
recorded ones), then each side's calls of the fork turn are run again on that state (same comparison; a tool no
backend runs keeps its recorded result), and synthesis's checker judges the turn. A good pair has its chosen side
accepted and its rejected side failing; a replay that disagrees with the record fails the pair.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.artifacts import read_artifact
from toolsynth.errors import InputError, ToolsynthError
from toolsynth.messages import Message
from toolsynth.prefs.case import DialogCase, Negative, refused
from toolsynth.prefs.record import PreferencePair
from toolsynth.synth.backends.base import ExecResult
from toolsynth.synth.checks import call_format_problems
from toolsynth.synth.record import CheckResult, Dialog, DialogTurn
from toolsynth.synth.replay import ReplayedState, ReplayMismatch, calls_in, recorded_result, same_result


@dataclass
class PairCheck:
    line: int
    id: str
    chosen: list[CheckResult] = field(default_factory=list)  # failing checks of the chosen side
    rejected: list[CheckResult] = field(default_factory=list)  # failing checks of the rejected side
    error: str | None = None
    judge_only: bool = False  # the rejected side's proof is a recorded judge verdict this run did not re-ask

    @property
    def chosen_accepted(self) -> bool:
        return self.error is None and not self.chosen

    @property
    def rejected_failing(self) -> bool:
        return self.error is None and (bool(self.rejected) or self.judge_only)

    @property
    def ok(self) -> bool:
        return self.chosen_accepted and self.rejected_failing


def _dialog_of(pair: PreferencePair) -> tuple[Dialog, DialogTurn]:
    n_chosen = len(pair.chosen) if pair.chosen_turn_end is None else pair.chosen_turn_end
    fork = len(pair.prompt)
    turn = DialogTurn(
        index=pair.turn,
        start=pair.turn_start,
        end=fork + n_chosen,
        offered_tools=pair.offered_tools,
        expected=pair.expected,
        planned=pair.planned,
    )
    dialog = Dialog(
        id=pair.dialog_id,
        plan_id=pair.plan_id,
        strategy="external",
        category=pair.category,
        tools=pair.tools,
        system=pair.system,
        messages=[*pair.prompt, *pair.chosen[:n_chosen]],
        turns=[turn],
        backend_spec=pair.backend_spec,
    )
    return dialog, turn


def _rerun(
    case: DialogCase, turn: DialogTurn, fork: int, side: list[Message], where: str
) -> dict[str, ExecResult]:
    """The side's calls run again at the fork; a result that differs from the one recorded raises."""
    offered = case.offered(turn)
    st: ReplayedState | None = None
    results: dict[str, ExecResult] = {}
    for rc in calls_in(side):
        if call_format_problems(rc.call, offered, case.tools):
            results[rc.call.id] = refused(rc.call, offered, case.tools)
            continue
        if st is None:
            st = case.state(fork)
        if st.backend is not None and st.backend.handles(rc.call.name):
            outcome = st.backend.execute(rc.call)
            if not same_result(rc.content, outcome):
                raise ReplayMismatch(
                    f"{rc.call.name} ({rc.call.id}) gives {outcome.content()[:120]!r}, the pair records "
                    f"{str(rc.content)[:120]!r}",
                    where=where,
                )
            results[rc.call.id] = outcome
        else:
            results[rc.call.id] = recorded_result(rc.content)
    return results


async def check_pair(
    pair: PreferencePair, checks: list[str], gateway: Any = None, line: int = 0
) -> PairCheck:
    out = PairCheck(line=line, id=pair.id)
    try:
        dialog, turn = _dialog_of(pair)
        case = DialogCase(dialog, gateway)
        fork = len(pair.prompt)
        n_chosen = turn.end - fork
        sides = {
            "chosen": (pair.chosen[:n_chosen], False),
            "rejected": (pair.rejected, pair.rejected_open_ended),
        }
        for name, (side, open_ended) in sides.items():
            results = _rerun(case, turn, fork, side, where=f"{pair.id} ({name})")
            neg = Negative(
                kind=pair.kind, error=pair.error, detail="", turn=turn, fork=fork,
                messages=side, results=results, open_ended=open_ended,
            )  # fmt: skip
            setattr(out, name, await case.prove(neg, checks, gateway if "semantic" in checks else None))
    except ToolsynthError as exc:
        out.error = exc.one_line()
        return out
    if not out.rejected and pair.failed_checks and all(c.layer not in checks for c in pair.failed_checks):
        out.judge_only = True
    return out


@dataclass
class PrefsVerifyReport:
    path: str
    checks: list[str]
    pairs: int = 0
    chosen_accepted: int = 0
    rejected_failing: int = 0
    errors: int = 0
    judge_only: int = 0
    pairs_ok: int = 0
    failing_layers: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    bad: list[dict[str, Any]] = field(default_factory=list)
    max_listed: int = 50

    def add(self, pc: PairCheck, kind: str) -> None:
        self.pairs += 1
        self.by_kind[kind] += 1
        self.chosen_accepted += pc.chosen_accepted
        self.rejected_failing += pc.rejected_failing
        self.errors += pc.error is not None
        self.judge_only += pc.judge_only
        self.pairs_ok += pc.ok
        for c in pc.rejected:
            self.failing_layers[c.layer] += 1
        if not pc.ok and len(self.bad) < self.max_listed:
            why = pc.error or (
                "chosen side fails: " + "; ".join(f"{c.layer}: {c.reason[:100]}" for c in pc.chosen)
                if pc.chosen
                else "rejected side passes every check"
            )
            self.bad.append({"id": pc.id, "line": pc.line, "reason": why})

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": "preference",
            "checks": self.checks,
            "pairs": self.pairs,
            "chosen_accepted": self.chosen_accepted,
            "rejected_failing": self.rejected_failing,
            "rejected_failing_by_recorded_judge": self.judge_only,
            "replay_errors": self.errors,
            "pairs_ok": self.pairs_ok,
            "ok_rate": round(self.pairs_ok / self.pairs, 4) if self.pairs else 1.0,
            "rejected_failing_layers": dict(self.failing_layers),
            "by_kind": dict(self.by_kind),
            "failing": self.bad,
        }


def is_preference_file(path: str | Path) -> bool:
    from toolsynth.artifacts import iter_jsonl

    try:
        first = next(iter_jsonl(path), None)
    except InputError:
        return False
    return first is not None and str(first[1].get("schema", "")).startswith("toolsynth.preference/")


def verify_preferences(
    path: str | Path,
    *,
    checks: list[str],
    gateway: Any = None,
    on_pair: Callable[[PairCheck], None] | None = None,
) -> PrefsVerifyReport:
    from pydantic import ValidationError

    report = PrefsVerifyReport(path=str(path), checks=list(checks))

    async def main() -> None:
        for lineno, rec in enumerate(read_artifact(path, "preference"), 1):
            try:
                pair = PreferencePair.from_record(rec)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise InputError(
                    f"invalid preference pair: {loc}: {err['msg']}", where=f"{path}:{lineno}"
                ) from exc
            pc = await check_pair(pair, checks, gateway, lineno)
            report.add(pc, pair.kind)
            if on_pair is not None:
                on_pair(pc)

    asyncio.run(main())
    return report
