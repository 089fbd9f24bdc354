"""The node operations that turn an easy path into the hard multi-turn cases (MAGNET §3): nested calls (insert),
parallel calls (merge), a withheld argument (split), a missing function, and look-alike distractors (long context).

Each `apply_*` edits a `Skeleton` in place and returns whether it applied; the caller redraws when it did not.
"""

from __future__ import annotations

import random
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.plans.skeleton import REOFFER_MESSAGE, SCall, Skeleton, SOp, STurn
from toolsynth.plans.walk import WalkIndex, field_name


def dependency_fields(edge_reason: dict[str, Any], producer: Tool, consumer: Tool) -> tuple[str, str] | None:
    """(consumer argument, producer output field) named by a return→param edge, when both really exist."""
    src = field_name(edge_reason.get("source_field"), "return")
    tgt = field_name(edge_reason.get("target_field"), "param")
    if not src or not tgt:
        return None
    arg = tgt.split(".", 1)[0].replace("[]", "")
    if arg not in consumer.properties:
        return None
    outputs = {f.path for f in producer.return_fields()}
    if outputs and src not in outputs and src.split(".", 1)[0] not in {o.split(".", 1)[0] for o in outputs}:
        return None
    return arg, src


def apply_insert(
    skel: Skeleton,
    index: WalkIndex,
    hops: dict[str, Any],
    rng: random.Random,
    min_turns: int = 1,
    min_score: float = 0.0,
) -> bool:
    """Nested call: a turn's argument must come from another call's output, so both go in one turn.

    The producer is the walk's previous tool when the walk reached this one over a return→param edge (its turn is
    folded in, while the plan keeps `min_turns`), else a graph producer of that argument the plan does not use yet.
    Only edges scoring at least `min_score` count (the field pair must mean the same thing); among the others,
    stronger edges and producers of the same category are likelier.
    """
    tools = index.graph.tools
    cands: list[tuple[int, str, int | None, str, str]] = []  # (turn, producer, producer turn, arg, field)
    weights: list[float] = []
    for i, t in enumerate(skel.turns):
        if t.kind != "call" or len(t.calls) != 1 or t.calls[0].deps:
            continue
        b = t.calls[0].tool
        hop = hops.get(b)
        fold_ok = i > 0 and len(skel.turns) > min_turns
        edge = hop.edge if hop is not None else None
        if edge is not None and edge.kind == "return_param" and edge.score >= min_score and fold_ok:
            prev = skel.turns[i - 1]
            if prev.kind == "call" and len(prev.calls) == 1 and prev.calls[0].tool == hop.source:
                df = dependency_fields(edge.reason, tools[hop.source], tools[b])
                if df:
                    cands.append((i, hop.source, i - 1, df[0], df[1]))
                    # The walk already chose this pair: folding it in beats bringing in a new tool.
                    weights.append(edge.score * 4)
                    continue
        for e in index.producers.get(b, ()):
            if e.score < min_score or e.source in skel.tools or e.source == b:
                continue
            df = dependency_fields(e.reason, tools[e.source], tools[b])
            if df:
                cands.append((i, e.source, None, df[0], df[1]))
                weights.append(e.score * (2.0 if index.group[e.source] == index.group[b] else 1.0))
    if not cands:
        return False
    i, producer, ptur, arg, fld = rng.choices(cands, weights)[0]
    turn = skel.turns[i]
    consumer = turn.calls[0]
    if ptur is not None:
        pcall = skel.turns[ptur].calls[0]
        del skel.turns[ptur]
    else:
        pcall = SCall(producer)
        skel.tools.append(producer)
    consumer.deps.append((arg, pcall, fld))
    turn.calls.insert(0, pcall)
    skel.ops.append(
        SOp("insert", turn, {"producer": producer, "consumer": consumer.tool, "arg": arg, "field": fld})
    )
    return True


def _linked(index: WalkIndex, a: str, b: str) -> bool:
    return any(e.source == a for e in index.producers.get(b, ())) or any(
        e.source == b for e in index.producers.get(a, ())
    )


def apply_merge(skel: Skeleton, index: WalkIndex, rng: random.Random, min_turns: int) -> bool:
    """Parallel calls: two independent requests answered in one turn. Adjacent independent turns are combined
    while the plan keeps at least `min_turns` turns; otherwise one call is repeated with other values."""
    combine = [
        i
        for i in range(len(skel.turns) - 1)
        if skel.turns[i].kind == "call"
        and skel.turns[i + 1].kind == "call"
        and len(skel.turns[i].calls) == 1
        and len(skel.turns[i + 1].calls) == 1
        and not skel.turns[i].calls[0].deps
        and not skel.turns[i + 1].calls[0].deps
        and not _linked(index, skel.turns[i].calls[0].tool, skel.turns[i + 1].calls[0].tool)
    ]
    if combine and len(skel.turns) > min_turns:
        i = rng.choice(combine)
        first, second = skel.turns[i], skel.turns.pop(i + 1)
        first.calls.extend(second.calls)
        if first.intent and second.intent:
            first.intent = f"{first.intent} Also: {second.intent[0].lower()}{second.intent[1:]}"
        skel.ops.append(SOp("merge", first, {"mode": "combine", "tools": [c.tool for c in first.calls]}))
        return True
    tools = index.graph.tools
    repeat = [
        i
        for i, t in enumerate(skel.turns)
        if t.kind == "call"
        and len(t.calls) == 1
        and not t.calls[0].deps
        and any(p for p in tools[t.calls[0].tool].required)
    ]
    if not repeat:
        return False
    i = rng.choice(repeat)
    turn = skel.turns[i]
    turn.calls.append(SCall(turn.calls[0].tool))
    skel.ops.append(SOp("merge", turn, {"mode": "repeat", "tools": [c.tool for c in turn.calls]}))
    return True


def apply_split(
    skel: Skeleton, index: WalkIndex, rng: random.Random, max_turns: int, prefer: int | None = None
) -> bool:
    """miss_param: `fs21` asks without a required value (right action: ask for it), `fs22` supplies it."""
    if len(skel.turns) + 1 > max_turns:
        return False
    tools = index.graph.tools
    cands: list[tuple[int, int, str]] = []
    for i in skel.call_turns():
        calls = skel.turns[i].calls
        for k, c in enumerate(calls):
            if sum(1 for x in calls if x.tool == c.tool) > 1:
                continue  # two calls of one tool: "the value the user left out" would be ambiguous
            others = {q for j, x in enumerate(calls) if j != k for q in tools[x.tool].properties}
            for p in tools[c.tool].required:
                # A parameter another call of the turn shares would likely be stated there: no real gap.
                if p not in c.dep_args() and p not in others:
                    cands.append((i, k, p))
    if not cands:
        return False
    preferred = [c for c in cands if c[0] == prefer]
    i, k, p = rng.choice(preferred or cands)
    turn = skel.turns[i]
    tool = turn.calls[k].tool
    ask = STurn("ask", calls=turn.calls, intent=turn.intent, missing=[f"{tool}.{p}"], hidden={(k, p)})
    skel.turns.insert(i, ask)
    turn.supplies = [(k, p)]
    turn.intent = ""
    skel.ops.append(SOp("split", ask, {"tool": tool, "param": p, "fs21": ask, "fs22": turn}))
    return True


def apply_missing_function(
    skel: Skeleton, index: WalkIndex, rng: random.Random, max_turns: int, reoffer_rate: float, near_miss: bool
) -> bool:
    """miss_func: the tool a turn needs is not offered (right action: say it cannot be done); optionally offered
    again in the next turn with BFCL's "I have updated some more functions" message."""
    counts: dict[str, int] = {}
    for t in skel.turns:
        for name in {c.tool for c in t.calls}:
            counts[name] = counts.get(name, 0) + 1
    cands: list[tuple[int, str]] = []
    for i in skel.call_turns():
        calls = skel.turns[i].calls
        connected = len(calls) == 1 or all(c.deps for c in calls[1:]) or len({c.tool for c in calls}) == 1
        if not connected:
            continue
        for name in {c.tool for c in calls}:
            if counts[name] == 1:
                cands.append((i, name))
    reoffer = rng.random() < reoffer_rate and len(skel.turns) + 1 <= max_turns
    if not reoffer and len(skel.call_turns()) < 2:
        return False  # the plan would be one refusal and nothing else
    if not cands:
        return False
    cands.sort(key=lambda c: (c[0], c[1]))
    # A nested or parallel turn may carry the refusal only when it is offered again (its calls then still run).
    plain = [c for c in cands if len(skel.turns[c[0]].calls) == 1]
    if not reoffer and not plain:
        return False
    i, tool = rng.choice(plain or cands)
    turn = skel.turns[i]
    reoffer_turn: STurn | None = None
    if reoffer:
        reoffer_turn = STurn("call", calls=turn.calls, intent=REOFFER_MESSAGE, reoffer=True)
        skel.turns.insert(i + 1, reoffer_turn)
    turn.kind = "refuse"
    turn.withheld = [tool]
    detail: dict[str, Any] = {"tool": tool, "reoffer": reoffer_turn}
    if near_miss:
        used = set(skel.called()) | set(skel.extra_offer)
        nm = next((n for n, _ in index.similar.get(tool, ()) if n not in used), None)
        if nm is not None:
            skel.extra_offer.append(nm)
            detail["near_miss"] = nm
    skel.ops.append(SOp("missing_function", turn, detail))
    return True


def pick_distractors(skel: Skeleton, index: WalkIndex, k: int, rng: random.Random) -> list[str]:
    """Look-alike tools the plan does not need: graph neighbours of its tools first (most similar first), then
    tools of the same categories, then anything."""
    used = set(skel.called()) | set(skel.tools) | set(skel.extra_offer)
    ranked: dict[str, float] = {}
    for t in skel.called():
        for n, s in index.similar.get(t, ()):
            if n not in used:
                ranked[n] = max(ranked.get(n, 0.0), s)
    order = sorted(ranked, key=lambda n: (-ranked[n], n))
    out = order[:k]
    if len(out) < k:
        groups = sorted({index.group[t] for t in skel.called() if t in index.group})
        out.extend(
            _draw([n for g in groups for n in index.members.get(g, ())], k - len(out), used | set(out), rng)
        )
    if len(out) < k:
        out.extend(_draw(index.names, k - len(out), used | set(out), rng))
    return out


def _draw(pool: list[str], k: int, exclude: set[str], rng: random.Random) -> list[str]:
    """Up to `k` distinct random members of `pool` not in `exclude`, without scanning a large pool."""
    if len(pool) > 8 * (k + len(exclude)):
        out: list[str] = []
        for _ in range(20 * k):
            n = pool[rng.randrange(len(pool))]
            if n not in exclude and n not in out:
                out.append(n)
                if len(out) == k:
                    break
        return out
    cands = [n for n in pool if n not in exclude]
    return rng.sample(cands, min(len(cands), k))


def apply_long_context(
    skel: Skeleton, index: WalkIndex, rng: random.Random, k_range: tuple[int, int]
) -> bool:
    k = rng.randint(*k_range)
    picks = pick_distractors(skel, index, k, rng)
    if not picks and k > 0:
        return False
    skel.extra_offer.extend(picks)
    anchor = skel.turns[0] if skel.turns else STurn("chat")
    skel.ops.append(SOp("long_context", anchor, {"distractors": picks}))
    return True
