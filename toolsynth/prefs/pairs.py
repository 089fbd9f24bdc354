"""From a proven negative to a `PreferencePair`, and the per-dialog choice of which pairs to keep."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict

import orjson

from toolsynth.prefs.case import DialogCase, Negative, expected_of
from toolsynth.prefs.record import PreferencePair

_KIND_ORDER = {"regeneration": 0, "model": 1, "rule": 2}


def pair_of(case: DialogCase, neg: Negative) -> PreferencePair:
    d = case.dialog
    turn = neg.turn
    prompt = d.messages[: neg.fork]
    chosen = d.messages[neg.fork :]
    body = {
        "dialog": d.id,
        "fork": neg.fork,
        "kind": neg.kind,
        "error": neg.error,
        "rejected": [m.to_record() for m in neg.messages],
    }
    pid = "pref-" + hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
    expected = expected_of(turn)
    return PreferencePair(
        id=pid,
        dialog_id=d.id,
        plan_id=d.plan_id,
        category=d.category,
        tools=d.tools,
        system=d.system,
        prompt=prompt,
        chosen=chosen,
        rejected=list(neg.messages),
        turn=turn.index,
        differing_turns=[turn.index],
        kind=neg.kind,  # type: ignore[arg-type]
        error=neg.error,  # type: ignore[arg-type]
        detail=neg.detail,
        failed_checks=neg.failed,
        backend_spec=d.backend_spec,
        models={**d.models, **neg.models} if neg.kind == "model" else dict(d.models),
        turn_start=turn.start,
        chosen_turn_end=turn.end - neg.fork,
        offered_tools=list(case.offered(turn)),
        planned=turn.planned,
        expected=expected.kind if expected is not None else "unknown",
        rejected_open_ended=neg.open_ended,
    )


def choose(negatives: list[Negative], limit: int | None, seed: str) -> list[Negative]:
    """At most `limit` negatives, spread over (kind, error) groups: one from each group in turn (groups in a
    seeded order within kind priority regeneration → model → rule), so one prolific rule cannot crowd out the
    rest. The same input always gives the same choice."""
    if limit is None or len(negatives) <= limit:
        return negatives
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Negative]] = defaultdict(list)
    for n in negatives:
        groups[(n.kind, n.error)].append(n)
    keys = sorted(groups)
    rng.shuffle(keys)
    keys.sort(key=lambda k: _KIND_ORDER.get(k[0], 9))
    for k in keys:
        rng.shuffle(groups[k])
    out: list[Negative] = []
    while len(out) < limit:
        progressed = False
        for k in keys:
            if groups[k] and len(out) < limit:
                out.append(groups[k].pop())
                progressed = True
        if not progressed:
            break
    return out
