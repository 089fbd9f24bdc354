"""Recipe settings of `synthesize` (the `synth:` section of a recipe)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolsynth.executors.config import ExecutorConfig

CheckName = Literal["format", "execution", "semantic", "adherence"]

DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant that can use tools. Call a tool when the user's request needs one, with "
    "arguments taken from what the user said or from earlier tool results; never guess a value the user has "
    "not given: ask for it. If none of the available tools can do what is asked, say so plainly instead of "
    "calling a different tool. After tool results arrive, answer the user from those results only."
)


class SynthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    checks: list[CheckName] = Field(
        default_factory=lambda: ["format", "execution", "semantic", "adherence"],
        description="verification layers run on every turn and recorded in the dialog",
    )
    required_checks: list[CheckName] = Field(
        default_factory=lambda: ["format", "execution", "semantic", "adherence"],
        description="layers a dialog must pass to be accepted (always run); the others are only recorded",
    )
    assistant_mode: Literal["free", "grounded"] = Field(
        default="free",
        description="free: the assistant model chooses the calls (the plan reaches it as a hint); grounded: the "
        "calls are the plan's, dependencies filled from real results, and the model writes only the assistant's "
        "text, guarded, with a rule fallback (toolsynth/synth/grounded.py)",
    )
    weak_judges: list[str] = Field(
        default_factory=lambda: ["local/*"],
        description="model patterns (fnmatch) too weak to judge: the semantic layer is recorded as not run "
        "(passed null, with the reason) instead of asking them; the offline 135M model is one",
    )
    max_regenerations: int = Field(
        default=2,
        ge=0,
        le=10,
        description="times a turn that fails a required check is generated again before the dialog is rejected",
    )
    max_steps: int = Field(
        default=4,
        ge=1,
        le=16,
        description="assistant rounds per turn (a nested call needs two: call, read the result, call again)",
    )
    max_followups: int = Field(
        default=1,
        ge=0,
        le=4,
        description="extra user messages inside a tool turn when the assistant asks instead of acting",
    )
    steer_tool_choice: bool = Field(
        default=True,
        description="set `tool_choice` from the plan: `required` while planned calls are due, `none` where a "
        "text reply is expected (ask, refuse, chat, the answer after the calls); the checks still judge the result",
    )
    user_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="re-asks when a user message names a function or states a withheld value; "
        "after that the message is written from the plan by rule",
    )
    system_prompt: str = Field(
        default=DEFAULT_SYSTEM_PROMPT, description="the assistant's system message in every dialog"
    )
    simulate_missing: bool = Field(
        default=True,
        description="tools without an executable backend get LLM-simulated results (tool agent); "
        "off = such a call fails execution",
    )
    backend: str | dict[str, Any] | None = Field(
        default=None,
        description="executable backend for every plan, e.g. `python:mypkg.tools` or `python:./tools.py:Shop` "
        "(or a spec mapping with `timeout`); a plan's own `backend` may only name bfcl or simulated (data never "
        "chooses code); of the same kind, the plan's recorded state is kept",
    )
    max_error_rate: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="share of a run's dialogs that may end in an unexpected exception (a bug, not a reject) "
        "before synthesize exits with code 1; such dialogs are never journaled, go to `<out>.errors.jsonl` and "
        "are retried by a rerun",
    )
    history_window: int = Field(
        default=8, ge=1, le=64, description="latest messages the user and tool agents see of the dialog"
    )
    max_tokens: dict[str, int] = Field(
        default_factory=lambda: {"user": 100, "assistant": 384, "judge": 256},
        description="per-agent cap on answer length (a user turn is 1-3 sentences; an unbounded small model "
        "rambles to the global limit), used only where `llm.roles` sets no max_tokens of its own",
    )
    concurrency: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="dialogs in flight; default: `llm.concurrency` plus an eighth, so the model always has "
        "`llm.concurrency` requests while some dialogs do local work",
    )
    executor: ExecutorConfig = Field(
        default_factory=ExecutorConfig,
        # Where dialogs are made, not what they hold: left out of every dump (fingerprints, manifests' settings,
        # `toolsynth run`'s stage state), so switching executors never remakes a dialog.
        exclude=True,
        description="where the dialogs are made: `local` (default) or `ray` with `address` and `workers`",
    )
    roles: dict[str, str] = Field(
        default_factory=lambda: {
            "user": "user",
            "assistant": "assistant",
            "tool": "tool",
            "judge": "judge",
        },
        description="gateway role each agent speaks as (per-role model settings live in `llm.roles`)",
    )
