"""Regeneration negatives: the attempts synthesis generated, checked, found wrong and generated again.

Each failed attempt starts where its kept turn starts. The pair forks at the first message where the attempt and the
kept turn differ: an assistant action when the user message was the same; the user message itself when the user
agent spoke again differently on the new attempt (the rejected side then holds that attempt's own user message, so
`prompt + rejected` is still the conversation that attempt had). Its calls are run again on the replayed state and
must give the results it recorded (`ReplayMismatch` otherwise); simulated results are taken as recorded.
"""

from __future__ import annotations

from toolsynth.prefs.case import DialogCase, Negative
from toolsynth.synth.backends.base import ExecResult
from toolsynth.synth.record import DialogTurn, FailedAttempt
from toolsynth.synth.replay import ReplayMismatch, calls_in, recorded_result, same_result


def _first_difference(case: DialogCase, turn: DialogTurn, attempt: FailedAttempt) -> int | None:
    kept = case.dialog.messages[turn.start : turn.end]
    for k, m in enumerate(attempt.messages):
        if k >= len(kept) or m != kept[k]:
            return k
    return None if len(attempt.messages) == len(kept) else len(attempt.messages)


async def regeneration_negatives(case: DialogCase) -> list[Negative]:
    out: list[Negative] = []
    for turn in case.dialog.turns:
        for attempt in turn.failed_attempts:
            k = _first_difference(case, turn, attempt)
            if k is None or k >= len(attempt.messages):
                continue  # identical to what was kept: not a negative of it
            fork = turn.start + k
            rejected = attempt.messages[k:]
            sources = {r.message - fork: r.source for r in attempt.results if r.message >= fork}
            recorded = calls_in(rejected, sources)
            results: dict[str, ExecResult] = {}
            replay = [rc for rc in recorded if rc.source == "executed"]
            st = case.state(fork) if replay else None
            for rc in recorded:
                if rc.source == "executed" and st is not None and st.backend is not None:
                    outcome = st.backend.execute(rc.call)
                    if not same_result(rc.content, outcome):
                        raise ReplayMismatch(
                            f"failed attempt {attempt.attempt} of turn {turn.index}: {rc.call.name} gave "
                            f"{outcome.content()[:120]!r} on replay, the record says {str(rc.content)[:120]!r}",
                            where=case.dialog.id,
                        )
                    results[rc.call.id] = outcome
                elif rc.source == "simulated":
                    results[rc.call.id] = recorded_result(rc.content)
            detail = f"attempt {attempt.attempt + 1} failed {attempt.failure.layer}: {attempt.failure.reason[:160]}"
            if k == 0 and rejected and rejected[0].role == "user":
                detail += " (the user agent spoke again differently on the retry)"
            out.append(
                Negative(
                    kind="regeneration",
                    error="other",
                    detail=detail,
                    turn=turn,
                    fork=fork,
                    messages=rejected,
                    results=results,
                    recorded_failure=attempt.failure,
                )
            )
    return out
