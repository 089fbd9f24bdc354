"""The dialog record (`dialogs.jsonl`, `toolsynth.dialog/2`): a finished multi-turn function-calling conversation
plus its audit trail.

Messages are in canonical form (`toolsynth.messages.Message`); what the assistant was *told* (the plan's hint and the
`tool_choice` of every step) is kept apart from the messages, so exports never leak it and make-preferences can run a
turn again without it. dialog/2 adds, per turn, the plan's expected action in full, where each tool result came from,
and the attempts that failed a check (each one a ready negative); dialog/1 records are migrated on read
(`toolsynth.synth.migrate`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsynth.artifacts import SCHEMAS, RecordSchema
from toolsynth.messages import Message
from toolsynth.plans.record import ExpectedAction

CheckLayer = Literal["format", "execution", "semantic", "adherence"]


class CheckResult(BaseModel):
    """One verification layer on one turn. `passed=None` means the layer did not apply (e.g. execution on a chat turn)."""

    model_config = ConfigDict(extra="forbid")

    layer: CheckLayer
    turn: int
    passed: bool | None
    reason: str = ""


#: where a tool result came from: real code ran, an LLM made it up, or it was refused before running
ResultSource = Literal["executed", "simulated", "rejected"]


class StepRecord(BaseModel):
    """One assistant step (one model request) of a turn: what the agent was told and allowed."""

    model_config = ConfigDict(extra="forbid")

    message: int = Field(
        description="index in the dialog's `messages` of the assistant message this step wrote"
    )
    hint: str | None = Field(
        default=None, description="the hint in the request's system message (never exported)"
    )
    tool_choice: str | None = Field(default=None, description="`required` / `none` / null (model's choice)")


class ToolResultRecord(BaseModel):
    """Provenance of one tool message."""

    model_config = ConfigDict(extra="forbid")

    message: int = Field(description="index in `messages` of the tool message")
    tool_call_id: str
    source: ResultSource | None = Field(default=None, description="null: unknown (migrated dialog/1 record)")
    error: bool = False


class FailedAttempt(BaseModel):
    """A realization of a turn that failed a required check and was generated again. Its messages start where the
    kept turn starts (`DialogTurn.start`); message indexes in `steps`/`results` count from the dialog's start."""

    model_config = ConfigDict(extra="forbid")

    attempt: int
    messages: list[Message]
    steps: list[StepRecord] = Field(default_factory=list)
    results: list[ToolResultRecord] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    failure: CheckResult


class DialogTurn(BaseModel):
    """Turn `index` spans `messages[start:end]`: the user message (absent when the model acts again), then the
    assistant's actions and tool results."""

    model_config = ConfigDict(extra="forbid")

    index: int
    start: int
    end: int
    offered_tools: list[str]
    expected: str = Field(description="the plan's expected action kind: call / ask / refuse / chat")
    hint: str | None = Field(default=None, description="what the assistant agent was told (never exported)")
    attempts: int = 1
    planned: ExpectedAction | None = Field(
        default=None,
        description="the plan's expected action in full (calls, arguments, depends_on, missing, withheld)",
    )
    steps: list[StepRecord] = Field(default_factory=list)
    results: list[ToolResultRecord] = Field(default_factory=list)
    failed_attempts: list[FailedAttempt] = Field(default_factory=list)

    def step_of(self, message: int) -> int | None:
        """The step number of the assistant message at `message`, if it is one of this turn's steps."""
        return next((i for i, s in enumerate(self.steps) if s.message == message), None)


class Dialog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    RECORD: ClassVar[RecordSchema] = SCHEMAS["dialog"]

    id: str
    plan_id: str
    strategy: Literal["toolflow", "magnet", "external"]
    category: str = "base"
    parallel: bool = False
    nested: bool = False
    tools: list[dict[str, Any]] = Field(
        description="OpenAI-style tool definitions of every tool offered in any turn"
    )
    system: str | None = None
    messages: list[Message]
    turns: list[DialogTurn]
    checks: list[CheckResult] = Field(default_factory=list)
    models: dict[str, str] = Field(default_factory=dict, description="role → model string")
    usage: dict[str, Any] = Field(default_factory=dict)
    backend: str | None = Field(default=None, description="`bfcl`, `python:<module>`, `simulated`, ...")
    backend_spec: dict[str, Any] | None = Field(
        default=None,
        description="the plan's backend spec (kind + initial state) the calls ran from, so `verify` can replay them",
    )

    def passed(self, required: set[str] | None = None) -> bool:
        layers = required or {"format", "execution", "semantic", "adherence"}
        return all(c.passed is not False for c in self.checks if c.layer in layers)

    def first_failure(self, required: set[str] | None = None) -> CheckResult | None:
        layers = required or {"format", "execution", "semantic", "adherence"}
        return next((c for c in self.checks if c.layer in layers and c.passed is False), None)

    def to_record(self) -> dict[str, Any]:
        rec = self.model_dump(mode="json", exclude={"messages"})
        rec["messages"] = [m.to_record() for m in self.messages]
        return rec

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Dialog:
        from toolsynth.synth.migrate import upgrade_dialog

        return cls.model_validate({k: v for k, v in upgrade_dialog(record).items() if k != "schema"})


class RejectFailure(BaseModel):
    """Why a dialog was rejected: the first failing required check (all None but the reason when none failed)."""

    model_config = ConfigDict(extra="forbid")

    layer: CheckLayer | None
    turn: int | None
    reason: str


class RecordSource(BaseModel):
    """Where `verify` read a record it rejected: the input's line and the format it was read as."""

    model_config = ConfigDict(extra="forbid")

    line: int
    format: str


class DialogReject(Dialog):
    """A rejected dialog (`dialogs.rejects.jsonl`, `toolsynth.dialog_reject/2`): the dialog with its checks, why it
    failed, and (written by `verify`) where the record came from."""

    RECORD: ClassVar[RecordSchema] = SCHEMAS["dialog_reject"]

    failure: RejectFailure
    source: RecordSource | None = None

    @classmethod
    def of(
        cls,
        dialog: Dialog,
        failure: CheckResult | None,
        *,
        reason: str = "unknown",
        source: RecordSource | None = None,
    ) -> DialogReject:
        """`dialog` rejected for `failure` (or, with no failing check, for `reason`), without validating it again."""
        why = (
            RejectFailure(layer=failure.layer, turn=failure.turn, reason=failure.reason)
            if failure is not None
            else RejectFailure(layer=None, turn=None, reason=reason)
        )
        return cls.model_construct(**dict(dialog), failure=why, source=source)

    def to_record(self) -> dict[str, Any]:
        # The dialog's own record first (messages last, as `Dialog.to_record` lays it out), then the reject's fields.
        rec = self.model_dump(mode="json", exclude={"messages", "failure", "source"})
        rec["messages"] = [m.to_record() for m in self.messages]
        rec["failure"] = self.failure.model_dump(mode="json")
        if self.source is not None:
            rec["source"] = self.source.model_dump(mode="json")
        return rec
