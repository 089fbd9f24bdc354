"""Recipe settings of `make-preferences` (the `prefs:` section of a recipe)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsynth.executors.config import ExecutorConfig

NegativeSource = Literal["regeneration", "model", "rule"]
CheckName = Literal["format", "execution", "semantic", "adherence"]

#: the rule negatives (each a corruption of one accepted action) and the error class each one makes
RuleName = Literal[
    "swap_function",  # wrong_function: another offered tool (the one sharing most parameters), arguments adapted
    "drop_argument",  # missing_argument: a required argument left out
    "wrong_type",  # wrong_type: a value of another JSON type
    "wrong_value",  # wrong_argument: right type, wrong value (another enum member, another name from the state)
    "extra_argument",  # hallucinated_argument: an argument the schema does not have
    "answer_without_calling",  # answered_without_calling: the turn's answer given with no call made
    "call_when_missing",  # called_instead_of_asking: a split turn's call made with an invented value
    "near_miss",  # called_near_miss: a missing-function turn answered by calling the closest offered tool
]
RULES: tuple[str, ...] = RuleName.__args__  # type: ignore[attr-defined]


class PrefsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kinds: list[NegativeSource] = Field(
        default_factory=lambda: ["regeneration", "model", "rule"],
        description="where negatives come from: the failed attempts synthesis kept, the assistant agent re-run "
        "without the hint (MAGNET), and rules that corrupt the accepted action (no model)",
    )
    per_dialog: int | None = Field(
        default=4,
        ge=1,
        le=1000,
        description="at most this many pairs per dialog (spread over kinds and error classes); null = every one",
    )
    rules: dict[RuleName, float] = Field(
        default_factory=lambda: dict.fromkeys(RULES, 1.0),
        description="per rule: the chance it is tried at each action it applies to (0 = never); rules left out "
        "are off",
    )
    negative_model: str | None = Field(
        default=None,
        description="model of the hint-free assistant (default: the recipe's assistant model, as in MAGNET)",
    )
    role: str = Field(
        default="negative",
        description="gateway role the hint-free assistant speaks as (its settings: `llm.roles.<role>`, else the "
        "assistant's)",
    )
    model_turns: int | None = Field(
        default=None,
        ge=1,
        description="at most this many turns per dialog re-run by the model (null: every call/ask/refuse turn)",
    )
    checks: list[CheckName] = Field(
        default_factory=lambda: ["format", "execution", "adherence"],
        description="the synthesis checks a rejected side must fail one of (add `semantic` to ask the judge too)",
    )
    simulate: bool = Field(
        default=True,
        description="a well-formed rule negative on a tool no backend runs gets its result from the tool agent "
        "(a model call); off = such negatives are skipped",
    )
    seed: int = Field(default=0, description="which actions the rules pick and how they corrupt them")
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig,
        # Where pairs are made, not what they hold: left out of every dump (the resume fingerprint, manifests,
        # `toolsynth run`'s stage state).
        exclude=True,
        description="where the dialogs' pairs are made: `local` (default) or `ray` with `address` and `workers`",
    )
