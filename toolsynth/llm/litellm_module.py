"""The bare litellm module, imported offline and quietly: what providers subclass `CustomLLM` from."""

from __future__ import annotations

import os
import warnings
from types import ModuleType


def import_litellm() -> ModuleType:
    """litellm, imported with its network fetches off (no routing set up: see `_litellm.get_litellm`)."""
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
