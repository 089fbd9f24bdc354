"""Test aids that ship with toolsynth but are never used by a stage: the deterministic `scripted/...` model.

The `scripted` provider is routed through the provider registry (`toolsynth.llm.providers`), so recipes and tests
keep naming `scripted/<name>` models; this package is imported only when such a model is first called or a test
steers it (`from toolsynth.testing import ScriptedModel`).
"""

from toolsynth.testing.scripted import ScriptedModel, ScriptedRequest

__all__ = ["ScriptedModel", "ScriptedRequest"]
