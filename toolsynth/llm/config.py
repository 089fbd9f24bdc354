"""Model settings from recipes and CLI flags. Keys never live here: providers read them from the environment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODEL = "local/smollm2"


class ModelSettings(BaseModel):
    """Settings for one role; unset fields fall back to the recipe's top-level `llm` settings."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = None
    api_base: str | None = None
    timeout_s: float | None = Field(default=None, gt=0)


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default=DEFAULT_MODEL, description="any litellm model string; `local/smollm2` runs offline"
    )
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=512, gt=0)
    seed: int | None = 0
    api_base: str | None = None
    timeout_s: float = Field(default=120, gt=0)
    concurrency: int = Field(default=8, ge=1, le=1024)
    max_retries: int = Field(default=4, ge=0, le=20)
    structured_retries: int = Field(
        default=2, ge=0, le=10, description="re-asks after an answer fails its schema"
    )
    cache: bool = True
    cache_dir: str = ".toolsynth-cache"
    roles: dict[str, ModelSettings] = Field(
        default_factory=dict,
        description="per-role overrides, e.g. `user`, `assistant`, `tool`, `judge`, `planner`",
    )
