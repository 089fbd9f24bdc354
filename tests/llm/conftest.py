"""Fixtures for the gateway tests: a scripted model with fast retries and a private cache per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from toolsynth.llm.config import LLMConfig
from toolsynth.llm.gateway import Gateway
from toolsynth.testing.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def scripted_reset() -> Iterator[None]:
    ScriptedModel.reset()
    yield
    ScriptedModel.reset()


@pytest.fixture
def make_gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    """Gateway(config) with the scripted model, millisecond backoff and the cache in tmp_path/cache."""
    made: list[Gateway] = []

    def make(stage: str = "test", **settings: Any) -> Gateway:
        base: dict[str, Any] = {
            "model": "scripted/test",
            "retry_base_s": 0.001,
            "retry_max_s": 0.01,
            "cache_dir": str(tmp_path / "cache"),
        }
        gw = Gateway(LLMConfig(**{**base, **settings}), stage=stage)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.close()
