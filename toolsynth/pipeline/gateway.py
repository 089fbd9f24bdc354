"""The one place the pipeline builds a model gateway (over the one gateway factory, llm.factory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolsynth.llm.config import LLMConfig


def cache_dir_of(llm: LLMConfig, base: Path) -> Path | None:
    """Where the model's answers are cached: `llm.cache_dir` (relative to `base`, the recipe's folder), or None when
    caching is off."""
    if not llm.cache:
        return None
    cd = Path(llm.cache_dir)
    return cd if cd.is_absolute() else base / cd


def open_gateway(llm: LLMConfig, *, stage: str, cache_base: Path | None = None) -> Any:
    """A gateway for one stage's model calls; `cache_base` defaults to the working directory."""
    from toolsynth.llm.factory import make_gateway

    return make_gateway(llm, stage=stage, cache_dir=cache_dir_of(llm, cache_base or Path.cwd()))
