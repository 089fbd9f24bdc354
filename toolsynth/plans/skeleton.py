"""The shape of a plan before it becomes a record: turns of calls and the node operations applied to them.

Both strategies build a skeleton (MAGNET from the walk, ToolFlow from the planner's answer), apply the same
operations for the hard multi-turn categories (`operations.py`), then fill argument values in call order
(`grounding.py`) and assemble the record (`assemble.py`). Operations work on call objects shared between turns: a
split turn's `fs21` and `fs22` hold the same calls, so the value the user leaves out in `fs21` is the very value
`fs22` supplies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
    planned: list[tuple[str, SCall, str]] | None = (
        None  # the skeleton's own deps, kept while `deps` is grounded
    )
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
