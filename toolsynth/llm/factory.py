"""The one place a stage's gateway is built."""

from __future__ import annotations

from pathlib import Path

from toolsynth.llm.config import LLMConfig
from toolsynth.llm.protocol import ModelGateway


def make_gateway(
    config: LLMConfig | None,
    stage: str,
    cache_dir: str | Path | None = None,
    *,
    base_dir: Path | None = None,
) -> ModelGateway:
    """A gateway for `stage` (the name its usage is reported under). The response cache lives in `cache_dir`,
    else in `config.cache_dir`, taken relative to `base_dir` (a recipe's folder) when that is given and the path
    is relative; with `config.cache` off there is no cache at all."""
    # Imported here so that `toolsynth.llm.factory` stays cheap for modules that only need the signature, and so
    # that a test replacing `toolsynth.llm.gateway.Gateway` reaches every stage.
    import toolsynth.llm.gateway as gateway

    config = config or LLMConfig()
    if cache_dir is None and base_dir is not None and config.cache:
        cd = Path(config.cache_dir)
        cache_dir = cd if cd.is_absolute() else base_dir / cd
    return gateway.Gateway(config, stage=stage, cache_dir=cache_dir)
