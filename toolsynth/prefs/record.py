"""The preference record (`preferences.jsonl`, `toolsynth.preference/1`): one multi-turn preference pair.

Written by `make-preferences`, read by `export` (TRL DPO, OpenAI preference, LLaMA-Factory ranking, mDPO) and by
`verify`. A pair shares a context (`prompt`: the canonical messages before the first assistant action that differs)
and then forks: `prompt + chosen` is the accepted dialog word for word, `prompt + rejected` is a whole negative
trajectory. The rejected side is always proven wrong: `failed_checks` holds the synthesis checks it fails, computed
by the same code that accepts dialogs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsynth.messages import Message
from toolsynth.plans.record import ExpectedAction
from toolsynth.synth.record import CheckResult

#: where a negative came from: MAGNET's hint-free re-run of the assistant agent, a rule that corrupts the positive,
#: or a failed attempt that synthesis kept
NegativeKind = Literal["model", "rule", "regeneration"]

#: what is wrong with the rejected side (one class per pair; the checks that caught it are in `failed_checks`)
ErrorClass = Literal[
    "wrong_function",  # called another function than the one the turn needs
    "wrong_argument",  # right function, a value that is wrong (other enum member, other name from the state)
    "wrong_type",  # right function, a value of the wrong JSON type
    "missing_argument",  # a required argument left out
    "hallucinated_argument",  # an argument the schema does not have, or a value nobody supplied
    "called_instead_of_asking",  # split turn: called with an invented value instead of asking for it
    "called_near_miss",  # missing-function turn: called an offered near miss instead of saying it is missing
    "answered_without_calling",  # replied in text where a call was needed
    "ungrounded_answer",  # a reply that the tool results do not support
    "other",
]


class PreferencePair(BaseModel):
    """One pair. Message lists are canonical (`toolsynth.messages.Message`: arguments as dicts)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="stable content hash of the pair")
    dialog_id: str
    plan_id: str
    category: str = "base"
    tools: list[dict[str, Any]] = Field(description="OpenAI-style tool definitions, as in the dialog")
    system: str | None = None
    prompt: list[Message] = Field(description="shared context: everything before the first differing action")
    chosen: list[Message] = Field(description="the accepted dialog from the fork to its end")
    rejected: list[Message] = Field(description="the negative trajectory from the fork to its end")
    turn: int = Field(description="index of the dialog turn where the two sides first differ")
    differing_turns: list[int] = Field(default_factory=list, description="every turn index where they differ")
    kind: NegativeKind
    error: ErrorClass
    detail: str = Field(default="", description="what the rule or the model did, in words")
    failed_checks: list[CheckResult] = Field(
        default_factory=list, description="the checks the rejected side fails (never empty)"
    )
    backend_spec: dict[str, Any] | None = None
    models: dict[str, str] = Field(default_factory=dict, description="role → model that made the negative")
    # What `verify` needs to check the fork turn on both sides again (additive to preference/1):
    turn_start: int = Field(default=0, description="index in `prompt` where the fork turn begins")
    chosen_turn_end: int | None = Field(
        default=None, description="how many `chosen` messages belong to the fork turn (null: all)"
    )
    offered_tools: list[str] = Field(default_factory=list, description="tools on offer at the fork turn")
    planned: ExpectedAction | None = Field(
        default=None, description="the plan's expected action at the fork turn"
    )
    expected: str = Field(default="unknown", description="its kind: call / ask / refuse / chat")
    rejected_open_ended: bool = Field(
        default=False,
        description="the rejected side ends with its wrong action and the results (a rule negative is cut there)",
    )

    def to_record(self) -> dict[str, Any]:
        rec = self.model_dump(mode="json", exclude={"prompt", "chosen", "rejected"})
        rec["prompt"] = [m.to_record() for m in self.prompt]
        rec["chosen"] = [m.to_record() for m in self.chosen]
        rec["rejected"] = [m.to_record() for m in self.rejected]
        return rec

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PreferencePair:
        return cls.model_validate({k: v for k, v in record.items() if k != "schema"})
