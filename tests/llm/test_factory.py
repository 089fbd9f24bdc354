"""The gateway factory, the protocol types stages are written against, and the provider registry."""

from __future__ import annotations

from pathlib import Path

from toolsynth.llm import providers
from toolsynth.llm.config import LLMConfig
from toolsynth.llm.factory import make_gateway
from toolsynth.llm.protocol import ModelClient, ModelGateway


def test_factory_places_the_cache_beside_the_recipe(tmp_path: Path) -> None:
    gw = make_gateway(LLMConfig(cache_dir="c"), stage="s", base_dir=tmp_path)
    assert isinstance(gw, ModelGateway) and isinstance(gw, ModelClient)
    assert gw.cache is not None and gw.cache.directory == tmp_path / "c"  # type: ignore[attr-defined]
    assert gw.stage == "s"  # type: ignore[attr-defined]
    gw.close()
    absolute = tmp_path / "abs"
    gw = make_gateway(LLMConfig(cache_dir=str(absolute)), stage="s", base_dir=tmp_path / "elsewhere")
    assert gw.cache.directory == absolute  # type: ignore[attr-defined]
    gw.close()
    explicit = make_gateway(LLMConfig(cache_dir="c"), stage="s", cache_dir=tmp_path / "x", base_dir=tmp_path)
    assert explicit.cache.directory == tmp_path / "x"  # type: ignore[attr-defined]
    explicit.close()
    assert make_gateway(LLMConfig(cache=False), stage="s", base_dir=tmp_path).cache is None  # type: ignore[attr-defined]


def test_the_package_exports_the_factory_and_the_protocols() -> None:
    import toolsynth.llm as llm

    assert (
        llm.make_gateway is make_gateway
        and llm.ModelGateway is ModelGateway
        and llm.ModelClient is ModelClient
    )


def test_a_gateway_double_is_not_a_gateway() -> None:
    class OnlyChat:
        async def chat(self, role, messages, tools=None, **kw): ...

    assert not isinstance(OnlyChat(), ModelClient)


def test_registry_routes_and_keeps_private_params_private() -> None:
    assert providers.is_custom("scripted/x") and providers.is_custom("local/smollm2")
    assert not providers.is_custom("openai/gpt-4o") and not providers.is_custom("gpt-4o")
    # The scripted model's `hint` reaches it and nobody else, whatever path a request takes.
    assert "hint" not in providers.private_params("scripted/x")
    assert "hint" in providers.private_params("openai/gpt-4o")
    assert "hint" in providers.private_params()
    spec = providers.ProviderSpec(
        "toolsynth-test-echo", "toolsynth.testing.scripted:make_provider", ("knob",)
    )
    providers.register(spec)
    try:
        assert providers.is_custom("toolsynth-test-echo/m")
        assert "knob" in providers.private_params("scripted/x")
        assert "knob" not in providers.private_params("toolsynth-test-echo/m")
        assert spec.make_handler().__class__.__name__ == "ScriptedProvider"
    finally:
        providers._REGISTRY.pop("toolsynth-test-echo")
