"""The dialog record (`dialogs.jsonl`): a finished multi-turn function-calling conversation plus its audit trail.

Messages are in canonical form (`toolsynth.messages.Message`); what the assistant was *told* (the plan's hint for each
turn) is kept apart from the messages, so exports never leak it and make-preferences can regenerate a turn without it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsynth.messages import Message

CheckLayer = Literal["format", "execution", "semantic", "adherence"]


class CheckResult(BaseModel):
    """One verification layer on one turn. `passed=None` means the layer did not apply (e.g. execution on a chat turn)."""

    model_config = ConfigDict(extra="forbid")

    layer: CheckLayer
    turn: int
    passed: bool | None
    reason: str = ""


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


class Dialog(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
        return cls.model_validate({k: v for k, v in record.items() if k != "schema"})
