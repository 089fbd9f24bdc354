"""The registry of in-process model providers (litellm `CustomLLM` handlers), keyed by model-string prefix.

A provider joins by `register(ProviderSpec(...))`; the gateway's litellm setup imports each factory by its dotted
path only when litellm is first configured. Nothing here imports a provider, so no provider module imports back
into the code that routes to it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    prefix: str  # `local` serves `local/smollm2`
    factory: str  # "package.module:function" returning the litellm CustomLLM handler
    # Request extras only this provider reads (the scripted model's `hint`): sent to it, dropped for every other.
    private_params: tuple[str, ...] = ()

    def make_handler(self) -> Any:
        module, _, func = self.factory.partition(":")
        make: Callable[[], Any] = getattr(importlib.import_module(module), func)
        return make()


_REGISTRY: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> None:
    """Add (or replace) a provider. Register before the first model call: litellm reads the table once."""
    _REGISTRY[spec.prefix] = spec


def registered() -> list[ProviderSpec]:
    return list(_REGISTRY.values())


def provider_of(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else ""


def is_custom(model: str) -> bool:
    """Whether `model` is served in-process by a registered provider."""
    return provider_of(model) in _REGISTRY


def private_params(model: str | None = None) -> frozenset[str]:
    """Extras that must not reach `model` (every registered provider's private params but its own's); with no
    model, all of them (for paths that never reach an in-process provider)."""
    own = _REGISTRY.get(provider_of(model)) if model else None
    return frozenset(p for spec in _REGISTRY.values() if spec is not own for p in spec.private_params)


# The offline default model and the deterministic test model.
register(ProviderSpec("local", "toolsynth.llm.local_provider:make_provider"))
register(ProviderSpec("scripted", "toolsynth.testing.scripted:make_provider", private_params=("hint",)))
