"""Import litellm once, quietly and offline, with toolsynth's own providers registered."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from types import ModuleType
from typing import Any

_lock = threading.RLock()
_litellm: ModuleType | None = None

# Providers served in-process (litellm CustomLLM handlers), by model-string prefix.
CUSTOM_PROVIDERS = ("local", "scripted")


def import_litellm() -> ModuleType:
    """The bare litellm module, imported offline (our providers use this to subclass CustomLLM)."""
    # Without this litellm fetches its model cost map from the network at import.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    # pydantic complains about litellm's own TypedDicts (at import and when it first builds a response);
    # nothing a toolsynth user can act on.
    warnings.filterwarnings(
        "ignore", message=r"Items? .* (is|are) using the `ReadOnly` qualifier", category=UserWarning
    )
    import litellm

    return litellm


def get_litellm() -> ModuleType:
    """The litellm module, configured. The first call costs ~3 s (litellm's import time)."""
    global _litellm
    if _litellm is not None:
        return _litellm
    with _lock:
        if _litellm is None:
            litellm = import_litellm()
            litellm.suppress_debug_info = True
            litellm.telemetry = False
            litellm.set_verbose = False
            # litellm's loggers can print request details (headers included) at debug level, and warn about its
            # own internals (e.g. its logging worker moving between the event loops of successive `gw.run`s):
            # errors only, whatever level the user asked toolsynth for.
            for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _register_providers(litellm)
            _litellm = litellm
    return _litellm


def _register_providers(litellm: Any) -> None:
    from toolsynth.llm import local, scripted

    existing = {item["provider"] for item in litellm.custom_provider_map}
    for name, module in (("local", local), ("scripted", scripted)):
        if name not in existing:
            litellm.custom_provider_map.append({"provider": name, "custom_handler": module.make_provider()})
    # litellm reads custom_provider_map into its routing tables lazily; this makes it see ours now.
    from litellm.utils import custom_llm_setup

    custom_llm_setup()


def provider_of(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else ""


def is_custom(model: str) -> bool:
    return provider_of(model) in CUSTOM_PROVIDERS
