"""The pipeline as a library: one function per stage, typed settings and paths in, a result object out.

    from toolsynth.pipeline import convert, build_graph, graph_settings, ...

Each stage function does everything its `toolsynth` command does beyond parsing options (manifests, the resume and
reuse policy, backend trust, gates), so a notebook gets the same protection as the CLI. `*_settings(recipe)` builds
a stage's settings from a loaded recipe (or the defaults for None); `run_recipe` runs a whole recipe.

Names load on first use (PEP 562), so importing this package imports no stage (nor any heavy library).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name → the module of this package that defines it
_EXPORTS = {
    "ConvertResult": "catalog",
    "convert": "catalog",
    "load_tools": "catalog",
    "GraphResult": "graph",
    "GraphSettings": "graph",
    "build_graph": "graph",
    "graph_settings": "graph",
    "PlanSettings": "plans",
    "PlansResult": "plans",
    "plan_settings": "plans",
    "sample_plans": "plans",
    "SynthSettings": "dialogs",
    "SynthesizeResult": "dialogs",
    "synth_settings": "dialogs",
    "synthesize": "dialogs",
    "PrefsResult": "preferences",
    "PrefsSettings": "preferences",
    "make_preferences": "preferences",
    "prefs_settings": "preferences",
    "ExportResult": "exports",
    "ExportSettings": "exports",
    "export": "exports",
    "export_settings": "exports",
    "ReportResult": "reports",
    "report": "reports",
    "STAGES": "run",
    "RunResult": "run",
    "StageRun": "run",
    "run_recipe": "run",
    "TrainResult": "training",
    "train": "training",
    "VerifyResult": "audit",
    "verify": "audit",
}

__all__ = [
    "ConvertResult",
    "ExportResult",
    "ExportSettings",
    "GraphResult",
    "GraphSettings",
    "PlanSettings",
    "PlansResult",
    "PrefsResult",
    "PrefsSettings",
    "ReportResult",
    "RunResult",
    "STAGES",
    "StageRun",
    "SynthSettings",
    "SynthesizeResult",
    "TrainResult",
    "VerifyResult",
    "build_graph",
    "convert",
    "export",
    "export_settings",
    "graph_settings",
    "load_tools",
    "make_preferences",
    "plan_settings",
    "prefs_settings",
    "report",
    "run_recipe",
    "sample_plans",
    "synth_settings",
    "synthesize",
    "train",
    "verify",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:
    from toolsynth.pipeline.audit import VerifyResult, verify
    from toolsynth.pipeline.catalog import ConvertResult, convert, load_tools
    from toolsynth.pipeline.dialogs import SynthesizeResult, SynthSettings, synth_settings, synthesize
    from toolsynth.pipeline.exports import ExportResult, ExportSettings, export, export_settings
    from toolsynth.pipeline.graph import GraphResult, GraphSettings, build_graph, graph_settings
    from toolsynth.pipeline.plans import PlanSettings, PlansResult, plan_settings, sample_plans
    from toolsynth.pipeline.preferences import PrefsResult, PrefsSettings, make_preferences, prefs_settings
    from toolsynth.pipeline.reports import ReportResult, report
    from toolsynth.pipeline.run import STAGES, RunResult, StageRun, run_recipe
    from toolsynth.pipeline.training import TrainResult, train
