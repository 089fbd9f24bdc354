"""One module per training format. Each says which files it writes (`SFT` for dialogs, `PAIRS` for preference
pairs), how one record is made (`sft`, `pair`; `Skip` for what it cannot express) and how a written record is
checked (`check_sft`, `check_pair`)."""

from __future__ import annotations

import importlib
from types import ModuleType

_MODULES = {
    "openai": "openai",
    "sharegpt": "sharegpt",
    "trl-sft": "trl_sft",
    "trl-dpo": "trl_dpo",
    "mdpo": "mdpo",
    "hermes": "hermes",
    "hf": "hf",
}


def get(name: str) -> ModuleType:
    # A fixed table: the format name a user writes never becomes an import path.
    return importlib.import_module(f"toolsynth.export.formats.{_MODULES[name]}")
