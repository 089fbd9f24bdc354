"""How a run resolves its agents' models and how many dialogs it keeps in flight."""

from __future__ import annotations

from typing import Any

from toolsynth.synth.config import SynthConfig


def dialogs_in_flight(llm: Any, config: SynthConfig) -> int:
    """How many dialogs run at once: the recipe's `synth.concurrency`, else the model's concurrency plus an eighth.
    A dialog spends part of its time on local work (execution, checks, prompts) with no request in flight; the
    extra dialogs fill those gaps so the model (the expensive part) always has `llm.concurrency` requests."""
    if config.concurrency:
        return int(config.concurrency)
    return int(llm.concurrency + max(1, llm.concurrency // 8))


def role_models(llm: Any, config: SynthConfig) -> dict[str, str]:
    """agent → model string, as the gateway resolves it (a role's own model, else the run's)."""
    out = {}
    for agent, role in config.roles.items():
        rs = llm.roles.get(role)
        out[agent] = (rs.model if rs is not None else None) or llm.model
    return out
