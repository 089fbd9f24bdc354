"""Import litellm once, quietly and offline, with the registered in-process providers routed."""

from __future__ import annotations

import logging
import threading
from types import ModuleType
from typing import Any

from toolsynth.llm.litellm_module import import_litellm
from toolsynth.llm.providers import registered

_lock = threading.RLock()
_litellm: ModuleType | None = None


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
    existing = {item["provider"] for item in litellm.custom_provider_map}
    for spec in registered():
        if spec.prefix not in existing:
            litellm.custom_provider_map.append(
                {"provider": spec.prefix, "custom_handler": spec.make_handler()}
            )
    # litellm reads custom_provider_map into its routing tables lazily; this makes it see ours now.
    from litellm.utils import custom_llm_setup

    custom_llm_setup()
