"""Model settings from recipes and CLI flags. Keys never live here: providers read them from the environment."""

from __future__ import annotations

from typing import Literal

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
    retry_base_s: float = Field(
        default=1.0, ge=0, description="first backoff delay; doubles per retry, with jitter"
    )
    retry_max_s: float = Field(default=60.0, ge=0, description="cap on one backoff delay")
    structured_retries: int = Field(
        default=2, ge=0, le=10, description="re-asks after an answer fails its schema"
    )
    structured_mode: Literal["auto", "schema", "instructions"] = Field(
        default="auto",
        description="`schema`: send response_format json_schema; `instructions`: schema in the prompt, then "
        "parse; `auto`: schema where litellm says the model supports it (and for local/scripted models)",
    )
    transport: Literal["auto", "litellm", "direct"] = Field(
        default="auto",
        description="`direct` posts OpenAI-compatible requests to `api_base` without litellm's per-call "
        "overhead; `auto` does so for `openai/` and `hosted_vllm/` models with an `api_base`",
    )
    cache: bool = True
    cache_dir: str = ".toolsynth-cache"
    local_threads: int | None = Field(
        default=None, ge=1, le=256, description="CPU threads for the local model (default: min(4, cores))"
    )
    local_int8: bool = Field(
        default=True, description="int8 dynamic quantization of the local model's linear layers (~2x faster)"
    )
    roles: dict[str, ModelSettings] = Field(
        default_factory=dict,
        description="per-role overrides, e.g. `user`, `assistant`, `tool`, `judge`, `planner`",
    )
