"""The shape of a plan before it becomes a record: turns of calls, the node operations, and assembly into `Plan`.

Both strategies build a skeleton (MAGNET from the walk, ToolFlow from the planner's answer), apply the same
operations for the hard multi-turn categories, then fill argument values in call order and assemble the record.
Operations work on call objects shared between turns: a split turn's `fs21` and `fs22` hold the same calls, so the
value the user leaves out in `fs21` is the very value `fs22` supplies.
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.plans.grounding import ground_calls
from toolsynth.plans.values import ValueMaker
from toolsynth.plans.walk import WalkIndex, field_name

# BFCL's own user message at the turn where withheld functions come back (multi_turn_miss_func).
REOFFER_MESSAGE = "I have updated some more functions you can choose from. What about now?"

TurnKind = Literal["call", "ask", "refuse", "chat"]


@dataclass(eq=False)
class SCall:
    tool: str
    # (argument, producing call, output field): `arguments[arg] ← producer.output.field`
    deps: list[tuple[str, SCall, str]] = field(default_factory=list)
    given: dict[str, Any] = field(default_factory=dict)  # values proposed by the planner model
    args: dict[str, Any] | None = None
    id: str = ""
    result: dict[str, Any] | None = None  # what the dry run returned: {ok, output, error}
    planned: list[tuple[str, SCall, str]] | None = None  # the skeleton's own deps, kept while `deps` is grounded
    before: list[SCall] = field(default_factory=list)  # prerequisites the dry run found (log in first)

    def dep_args(self) -> set[str]:
        return {a for a, _, _ in self.deps}


@dataclass(eq=False)
class STurn:
    kind: TurnKind
    calls: list[SCall] = field(default_factory=list)
    intent: str = ""
    missing: list[str] = field(default_factory=list)  # ask: "tool.param"
    hidden: set[tuple[int, str]] = field(
        default_factory=set
    )  # ask: (call position, param) the user leaves out
    supplies: list[tuple[int, str]] | None = None  # fs22: only these values are stated
    withheld: list[str] = field(default_factory=list)  # refuse
    reoffer: bool = False


@dataclass(eq=False)
class SOp:
    op: Literal["insert", "merge", "split", "missing_function", "long_context"]
    turn: STurn
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skeleton:
    turns: list[STurn]
    tools: list[str]  # sampled subset in walk order, plus tools that operations added
    ops: list[SOp] = field(default_factory=list)
    withheld_until: dict[str, int | None] = field(default_factory=dict)  # tool → turn it is offered again
    extra_offer: list[str] = field(default_factory=list)  # distractors and near misses
    goal: str = ""

    def called(self) -> list[str]:
        out: list[str] = []
        for t in self.turns:
            for c in t.calls:
                if c.tool not in out:
                    out.append(c.tool)
        return out

    def call_turns(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.kind == "call" and t.calls]


# ---- operations ------------------------------------------------------------------------------------------------------


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


# ---- intents ---------------------------------------------------------------------------------------------------------

_PREFIX = re.compile(r"^.*?Tool description:\s*", re.S)


def summary(tool: Tool) -> str:
    """A tool's purpose in one sentence (BFCL prefixes every description with its class blurb)."""
    return _summary(tool.name, tool.description or "")


@functools.lru_cache(maxsize=8192)
def _summary(name: str, description: str) -> str:
    text = _PREFIX.sub("", description).strip() or name.replace("_", " ")
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].strip()
    return first.rstrip(".") if first else name


def _fmt(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _call_phrase(tool: Tool, call: SCall, stated: dict[str, Any], same_turn: set[int]) -> str:
    """The call in words: its purpose, the values the user states, and the values an earlier result gives, spoken
    of as a person would ("the booking id from before"), never by the value itself (the user cannot know it)."""
    text = summary(tool)
    parts = [f"{k}={_fmt(v)}" for k, v in stated.items()]
    if parts:
        text += f" ({', '.join(parts)})"
    refs = []
    for _arg, producer, fld in call.deps:
        what = _humanize(fld.replace("[]", "").rsplit(".", 1)[-1])
        refs.append(f"the {what} that step gives" if id(producer) in same_turn else f"the {what} from before")
    if refs:
        text += ", using " + " and ".join(refs)
    return text


def _humanize(identifier: str) -> str:
    leaf = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", identifier)
    return re.sub(r"[_\-]+", " ", leaf).strip().lower() or "result"


# ---- assembly --------------------------------------------------------------------------------------------------------


def _provided_key(turn: STurn, k: int) -> str | None:
    if len(turn.calls) == 1:
        return None
    tool = turn.calls[k].tool
    same = [i for i, c in enumerate(turn.calls) if c.tool == tool]
    return tool if len(same) == 1 else f"{tool}#{same.index(k) + 1}"


def _stated(turn: STurn, k: int, call: SCall) -> dict[str, Any]:
    deps = call.dep_args()
    args = {p: v for p, v in (call.args or {}).items() if p not in deps}
    if turn.reoffer or turn.kind == "chat":
        return {}
    if turn.supplies is not None:
        return {p: args[p] for kk, p in turn.supplies if kk == k and p in args}
    return {p: v for p, v in args.items() if (k, p) not in turn.hidden}


@dataclass
class Assembler:
    """Turns skeletons into plan records. Tool records are serialized once per run, not once per plan."""

    index: WalkIndex
    offer_scope: Literal["subset", "category"] = "subset"
    attempts: int = 8  # draws per call before the dry run gives the plan up
    _records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(self, name: str) -> dict[str, Any]:
        rec = self._records.get(name)
        if rec is None:
            rec = self._records[name] = self.index.graph.tools[name].to_record()
        return rec

    def offered_base(self, skel: Skeleton) -> list[str]:
        base = list(dict.fromkeys([*skel.called(), *skel.tools]))
        if self.offer_scope == "category":
            groups = {self.index.group[t] for t in base}
            base += [n for g in sorted(groups) for n in self.index.members[g]]
        return list(dict.fromkeys([*base, *skel.extra_offer]))

    def assemble(
        self,
        skel: Skeleton,
        *,
        strategy: Literal["toolflow", "magnet"],
        seed: int,
        category: str,
        values: ValueMaker,
        backend: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The plan record (`Plan.to_record()` shape, stable id included)."""
        tools = self.index.graph.tools
        ground_calls(skel, tools, values, self.attempts)

        turn_index = {id(t): i for i, t in enumerate(skel.turns)}
        withheld_at: dict[str, tuple[int, int | None]] = {}  # tool → (refuse turn, re-offer turn or None)
        for op in skel.ops:
            if op.op == "missing_function":
                back = op.detail.get("reoffer")
                withheld_at[op.detail["tool"]] = (
                    turn_index[id(op.turn)],
                    turn_index[id(back)] if back is not None else None,
                )
        base_offer = self.offered_base(skel)

        turns: list[dict[str, Any]] = []
        parallel = nested = False
        for i, t in enumerate(skel.turns):
            offered = sorted(
                name
                for name in base_offer
                if name not in withheld_at or (withheld_at[name][1] is not None and i >= withheld_at[name][1])
            )
            provides: dict[str, Any] = {}
            phrases = []
            same_turn = {id(c) for c in t.calls} | {id(b) for c in t.calls for b in c.before}
            for k, call in enumerate(t.calls):
                if t.kind in ("call", "refuse"):
                    # (a refused turn re-offered later states them: the re-offer turn only says "what about now?")
                    for b in call.before:
                        # A prerequisite the dry run found (log in first): the user gives what it needs.
                        pre = {} if t.reoffer else {p: v for p, v in (b.args or {}).items() if p not in b.dep_args()}
                        provides.update({p: v for p, v in pre.items() if p not in provides})
                        phrases.append(_call_phrase(tools[b.tool], b, pre, same_turn))
                stated = _stated(t, k, call)
                key = _provided_key(t, k)
                provides.update({(f"{key}.{p}" if key else p): v for p, v in stated.items()})
                phrases.append(_call_phrase(tools[call.tool], call, stated, same_turn))
            if t.supplies is not None and not t.intent:
                given = ", ".join(f"{p}={_fmt(v)}" for p, v in provides.items())
                intent = f"Answer the assistant's question with the missing detail: {given}"
            else:
                joined = "; then ".join(p if j == 0 else p[:1].lower() + p[1:] for j, p in enumerate(phrases))
                intent = t.intent or joined or "Chat with the assistant."
            if t.kind == "ask":
                missing = ", ".join(m.split(".", 1)[1] for m in t.missing)
                intent = f"{intent} (the user does not say {missing})"
            elif t.kind == "refuse" and not t.intent:
                intent = f"{intent} (no offered tool can do this)"
            if t.kind == "call":
                calls = [
                    {
                        "id": c.id,
                        "tool": c.tool,
                        "arguments": dict(c.args or {}),
                        "depends_on": [{"arg": a, "call": p.id, "field": f} for a, p, f in c.deps],
                        "result": c.result,
                    }
                    for c in (b for x in t.calls for b in (*x.before, x))
                ]
                nested = nested or any(c.deps for c in t.calls)
                independent = [c for c in t.calls if not c.deps]
                parallel = parallel or len(independent) > 1
                expected = _action("call", calls=calls)
            elif t.kind == "ask":
                expected = _action("ask", missing=list(t.missing))
            elif t.kind == "refuse":
                expected = _action("refuse", withheld=list(t.withheld))
            else:
                expected = _action("chat")
            turns.append(
                {
                    "index": i,
                    "intent": intent,
                    "user_provides": provides,
                    "offered_tools": offered,
                    "expected": expected,
                }
            )

        def op_turn(op: SOp) -> int:
            # Nested and parallel calls count where they run: after a split or a re-offer that is a later turn
            # sharing the same calls.
            if op.op in ("insert", "merge") and op.turn.kind != "call":
                for t in skel.turns:
                    if t.kind == "call" and t.calls is op.turn.calls:
                        return turn_index[id(t)]
            return turn_index[id(op.turn)]

        operations = [
            {"op": op.op, "turn": op_turn(op), "detail": _detail(op, turn_index)} for op in skel.ops
        ]
        offered_all = sorted(
            {n for t in turns for n in t["offered_tools"]} | set(skel.tools) | set(skel.called())
        )
        # The record is built as plain data, in `Plan.to_record()`'s exact shape (this is the hot path of a MAGNET
        # run: pydantic models cost more than everything else together); tests validate records with
        # `Plan.from_record` and compare ids with `Plan.compute_id` to keep that honest.
        record: dict[str, Any] = {
            "id": "",
            "strategy": strategy,
            "seed": seed,
            "category": category,
            "parallel": parallel,
            "nested": nested,
            "goal": skel.goal or _goal(skel, tools),
            "tools": list(skel.tools),
            "operations": operations,
            "turns": turns,
            "tool_defs": {n: self.record(n) for n in offered_all},
            "backend": backend,
        }
        body = {k: v for k, v in record.items() if k != "id"}
        record["id"] = (
            "plan-" + hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
        )
        return record


def _action(
    kind: TurnKind,
    calls: list[dict[str, Any]] | None = None,
    missing: list[str] | None = None,
    withheld: list[str] | None = None,
) -> dict[str, Any]:
    return {"kind": kind, "calls": calls or [], "missing": missing or [], "withheld_tools": withheld or []}


def _detail(op: SOp, turn_index: dict[int, int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in op.detail.items():
        if k == "reoffer":
            out["reoffer_turn"] = turn_index[id(v)] if v is not None else None
        elif isinstance(v, STurn):
            out[k] = turn_index[id(v)]
        else:
            out[k] = v
    return out


def _goal(skel: Skeleton, tools: dict[str, Tool]) -> str:
    parts = [summary(tools[t]) for t in skel.called()]
    return "; then ".join(p[0].lower() + p[1:] if i else p for i, p in enumerate(parts)) + "."
