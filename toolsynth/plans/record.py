"""The plan record (`plans.jsonl`): everything `synthesize` needs to realise one dialog, reproducible from a seed.

Written by `sample-plans`, read by `synthesize`. Self-contained: it carries the definitions of every tool it offers,
so a plans file can be synthesized without the graph.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from toolsynth.artifacts import SCHEMAS, RecordSchema
from toolsynth.catalog.model import Tool

Category = Literal["base", "miss_param", "miss_func", "long_context"]
ActionKind = Literal["call", "ask", "refuse", "chat"]
OperationKind = Literal["insert", "merge", "split", "missing_function", "long_context"]


class Dependency(BaseModel):
    """`arguments[arg]` is taken from the output of an earlier call: `arg ← call[call].output.field`. `field` is a
    path into that output (`booking_id`, `booking_history.3426812.travel_date`, `items[0].id`; see `paths.py`)."""

    model_config = ConfigDict(extra="forbid")

    arg: str
    call: str
    field: str

    def resolve(self, output: Any) -> Any:
        """The value this dependency takes from the producer's real `output` (`paths.MISSING` when absent)."""
        from toolsynth.plans.paths import resolve_field

        return resolve_field(output, self.field)


class CallResult(BaseModel):
    """What a planned call returned when `sample-plans` dry-ran it on the plan's backend."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    output: Any = None
    error: str | None = None


class PlannedCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="call id unique within the plan, e.g. `c3`")
    tool: str
    arguments: dict[str, Any] = Field(
        default_factory=dict,
        description="concrete values: what the user states, and (plan/2, executable tools) the value each "
        "dependency took in the dry run",
    )
    depends_on: list[Dependency] = Field(default_factory=list)
    result: CallResult | None = Field(
        default=None,
        description="the dry run's result on the plan's backend (plan/2; None for simulated tools and plan/1)",
    )


class ExpectedAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ActionKind
    calls: list[PlannedCall] = Field(
        default_factory=list, description="for `call`: in order; >1 = parallel/nested"
    )
    missing: list[str] = Field(default_factory=list, description="for `ask`: `tool.param` the user left out")
    withheld_tools: list[str] = Field(
        default_factory=list, description="for `refuse`: needed but not offered"
    )


class PlanTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    intent: str = Field(
        description="what the user wants in this turn, in plain words (never shown to the assistant)"
    )
    user_provides: dict[str, Any] = Field(
        default_factory=dict, description="values the user states in this turn"
    )
    offered_tools: list[str] = Field(description="tool names on offer to the assistant at this turn")
    expected: ExpectedAction


class Operation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: OperationKind
    turn: int
    detail: dict[str, Any] = Field(default_factory=dict)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    RECORD: ClassVar[RecordSchema] = SCHEMAS["plan"]

    id: str = ""
    strategy: Literal["toolflow", "magnet"]
    seed: int
    category: Category = "base"
    parallel: bool = False
    nested: bool = False
    goal: str = ""
    tools: list[str] = Field(description="the sampled tool subset (walk order)")
    operations: list[Operation] = Field(default_factory=list)
    turns: list[PlanTurn]
    tool_defs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="tool records (Tool.to_record) of every tool offered in any turn"
    )
    backend: dict[str, Any] | None = Field(
        default=None,
        description="executable backend and its initial state, e.g. BFCL classes + initial_config",
    )

    def compute_id(self) -> str:
        """Stable content hash: same plan content → same id, whatever run produced it."""
        return plan_id(self.model_dump(mode="json", exclude={"id"}))

    def identify(self) -> dict[str, Any]:
        """Set `id` to the content hash and return the record (`to_record()`): one dump serves both, the hot path
        of a run. `tool_defs` and `backend` are JSON data already (tool records, the backend spec) and go in as they
        are: dumping them again cost a third of a MAGNET run without the dry run."""
        body = self.model_dump(mode="json", exclude={"id", "tool_defs", "backend"})
        body["tool_defs"] = self.tool_defs
        body["backend"] = self.backend
        self.id = plan_id(body)
        return {"id": self.id, **body}

    def with_id(self) -> Plan:
        return self.model_copy(update={"id": self.compute_id()})

    def tool(self, name: str) -> Tool:
        return Tool.from_record(self.tool_defs[name])

    def to_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Plan:
        return cls.model_validate({k: v for k, v in record.items() if k != "schema"})


def plan_id(body: dict[str, Any]) -> str:
    """The id of a plan whose record, id left out, is `body` (what `Plan.compute_id` hashes)."""
    return "plan-" + hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


class PlanReject(BaseModel):
    """A plan slot `sample-plans` gave up on (`plans.rejects.jsonl`, `toolsynth.plan_reject/1`): which slot, what it
    had drawn, and why. `raw` and `failed_call` are written only when the run had them (unset fields are left out
    of the record, so a MAGNET reject carries no `raw` key at all)."""

    model_config = ConfigDict(extra="forbid")
    RECORD: ClassVar[RecordSchema] = SCHEMAS["plan_reject"]

    index: int = Field(description="the plan slot (`plan_seed(seed, index)` is its seed)")
    seed: int
    strategy: Literal["toolflow", "magnet"]
    category: str
    tools: list[str] = Field(description="the walk's tools when the slot was given up")
    reason: str
    raw: str | None = Field(
        default=None, description="the planner model's answer (ToolFlow), when there was one"
    )
    failed_call: dict[str, Any] | None = Field(
        default=None, description="the call the backend refused on every draw (`PlanFailure.to_record()`)"
    )

    def to_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PlanReject:
        return cls.model_validate({k: v for k, v in record.items() if k != "schema"})
