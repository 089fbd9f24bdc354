"""toolsynth: multi-turn function-calling training data from real tool catalogs.

The library surface: `toolsynth.pipeline` (one function per stage, their settings and results), `run_recipe`, the
recipe and the config models. Each name loads on first use (PEP 562), so `import toolsynth` and `toolsynth --help`
import no stage and no heavy library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name → the module that defines it. The stage functions stay in `toolsynth.pipeline` (two of them,
# `export` and `report`, share their names with subpackages of this one, so they cannot live here too).
_EXPORTS: dict[str, str] = {
    "run_recipe": "toolsynth.pipeline",
    "STAGES": "toolsynth.pipeline",
    "Recipe": "toolsynth.recipe",
    "load_recipe": "toolsynth.recipe",
    "parse_recipe": "toolsynth.recipe",
    "LLMConfig": "toolsynth.llm.config",
    "GraphConfig": "toolsynth.graph.config",
    "PlansConfig": "toolsynth.plans.config",
    "SynthConfig": "toolsynth.synth.config",
    "PrefsConfig": "toolsynth.prefs.config",
    "ExportConfig": "toolsynth.export.config",
    "ToolsynthError": "toolsynth.errors",
}

__all__ = [
    "__version__",
    "pipeline",
    "ExportConfig",
    "GraphConfig",
    "LLMConfig",
    "PlansConfig",
    "PrefsConfig",
    "Recipe",
    "STAGES",
    "SynthConfig",
    "ToolsynthError",
    "load_recipe",
    "parse_recipe",
    "run_recipe",
]


def __getattr__(name: str) -> Any:
    if name == "pipeline":
        return importlib.import_module("toolsynth.pipeline")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from toolsynth import pipeline
    from toolsynth.errors import ToolsynthError
    from toolsynth.export.config import ExportConfig
    from toolsynth.graph.config import GraphConfig
    from toolsynth.llm.config import LLMConfig
    from toolsynth.pipeline import STAGES, run_recipe
    from toolsynth.plans.config import PlansConfig
    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.recipe import Recipe, load_recipe, parse_recipe
    from toolsynth.synth.config import SynthConfig
