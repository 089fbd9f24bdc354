"""`synth.executor` / `prefs.executor`: where the dialogs of a run are made (not what they contain)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ExecutorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["local", "ray"] = Field(
        default="local", description="local: asyncio in this process; ray: one worker per Ray actor"
    )
    address: str | None = Field(
        default=None,
        description="ray: a running cluster, `host:port` of its head (or `auto`); default: start a local one",
    )
    workers: int = Field(
        default=2,
        ge=1,
        le=256,
        description="ray: worker actors, each with its own gateway and the stage's concurrency (in-flight "
        "requests scale with workers)",
    )

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        # `executor: ray` in a recipe means `executor: {kind: ray}`.
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _address_needs_ray(self) -> ExecutorConfig:
        if self.address is not None and self.kind != "ray":
            raise ValueError("address is only used by the ray executor (kind: ray)")
        return self


def executor_config(
    base: ExecutorConfig, kind: str | None, address: str | None, workers: int | None
) -> ExecutorConfig:
    """The recipe's executor settings with the command line's on top (validated like the recipe's)."""
    from pydantic import ValidationError

    from toolsynth.errors import InputError

    data = base.model_dump()
    if kind is not None:
        data["kind"] = kind
    if address is not None:
        data["address"] = address
        if kind is None:
            data["kind"] = "ray"
    if workers is not None:
        data["workers"] = workers
    try:
        return ExecutorConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(err["msg"].removeprefix("Value error, "), where="--executor") from exc
