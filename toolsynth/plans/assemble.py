"""Skeleton → `Plan`: ground the calls (`grounding.py`), word each turn's intent, build the record model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from toolsynth.catalog.model import Tool
from toolsynth.plans.grounding import ground_calls
from toolsynth.plans.intents import call_phrase, fmt_value, summary
from toolsynth.plans.record import (
    CallResult,
    Dependency,
    ExpectedAction,
    Operation,
    Plan,
    PlannedCall,
    PlanTurn,
)
from toolsynth.plans.skeleton import SCall, Skeleton, SOp, STurn, TurnKind
from toolsynth.plans.values import ValueMaker
from toolsynth.plans.walk import WalkIndex


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
    attempts: int = 5  # draws per call before the dry run gives the plan up
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
    ) -> tuple[Plan, dict[str, Any]]:
        """The plan, stable id included, and its record (`Plan.to_record()`)."""
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

        turns: list[PlanTurn] = []
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
                        pre = (
                            {}
                            if t.reoffer
                            else {p: v for p, v in (b.args or {}).items() if p not in b.dep_args()}
                        )
                        provides.update({p: v for p, v in pre.items() if p not in provides})
                        phrases.append(call_phrase(tools[b.tool], b, pre, same_turn))
                stated = _stated(t, k, call)
                key = _provided_key(t, k)
                provides.update({(f"{key}.{p}" if key else p): v for p, v in stated.items()})
                phrases.append(call_phrase(tools[call.tool], call, stated, same_turn))
            if t.supplies is not None and not t.intent:
                given = ", ".join(f"{p}={fmt_value(v)}" for p, v in provides.items())
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
                calls = [_planned_call(c) for c in (b for x in t.calls for b in (*x.before, x))]
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
                PlanTurn.model_construct(
                    index=i, intent=intent, user_provides=provides, offered_tools=offered, expected=expected
                )
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
            Operation.model_construct(op=op.op, turn=op_turn(op), detail=_detail(op, turn_index))
            for op in skel.ops
        ]
        offered_all = sorted(
            {n for t in turns for n in t.offered_tools} | set(skel.tools) | set(skel.called())
        )
        # Built without validation (`model_construct`): every value comes from the skeleton this module typed, and
        # validating is most of the cost of a MAGNET run. Tests validate the written records with
        # `Plan.from_record` and compare ids with `Plan.compute_id` to keep that honest.
        plan = Plan.model_construct(
            strategy=strategy,
            seed=seed,
            category=category,
            parallel=parallel,
            nested=nested,
            goal=skel.goal or _goal(skel, tools),
            tools=list(skel.tools),
            operations=operations,
            turns=turns,
            tool_defs={n: self.record(n) for n in offered_all},
            backend=backend,
        )
        return plan, plan.identify()


def _planned_call(c: SCall) -> PlannedCall:
    result = c.result
    return PlannedCall.model_construct(
        id=c.id,
        tool=c.tool,
        arguments=dict(c.args or {}),
        depends_on=[Dependency.model_construct(arg=a, call=p.id, field=f) for a, p, f in c.deps],
        result=None if result is None else CallResult.model_construct(**result),
    )


def _action(
    kind: TurnKind,
    calls: list[PlannedCall] | None = None,
    missing: list[str] | None = None,
    withheld: list[str] | None = None,
) -> ExpectedAction:
    return ExpectedAction.model_construct(
        kind=kind, calls=calls or [], missing=missing or [], withheld_tools=withheld or []
    )


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
