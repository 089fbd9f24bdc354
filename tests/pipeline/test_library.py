"""`toolsynth.pipeline` called from Python: typed results, and the same reuse/resume protection the CLI has."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from bfcl_plan_fixtures import all_plans

from toolsynth import LLMConfig, SynthConfig, pipeline
from toolsynth.artifacts import (
    ResumeMismatchError,
    fingerprint_path,
    partial_path,
    read_artifact,
    read_manifest,
    write_artifact,
)
from toolsynth.errors import RecipeError
from toolsynth.synth.fingerprint import synth_fingerprint

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def plans_file(tmp_path: Path) -> Path:
    path = tmp_path / "plans.jsonl"
    write_artifact(path, "plan", (p.to_record() for p in all_plans()))
    return path


def _settings(tmp_path: Path, model: str = "scripted/good") -> pipeline.SynthSettings:
    return pipeline.SynthSettings(
        llm=LLMConfig(model=model, cache=False), synth=SynthConfig(), base_dir=tmp_path
    )


def test_synthesize_reuses_an_output_made_with_the_same_settings_and_remakes_it_with_others(
    tmp_path, plans_file, good_model
):
    out = tmp_path / "dialogs.jsonl"
    first = pipeline.synthesize(plans_file, out, _settings(tmp_path))
    assert isinstance(first, pipeline.SynthesizeResult)
    assert (first.accepted, first.rejected, first.resumed, first.exit_code) == (5, 0, 0, 0)
    assert first.output == out and first.rejects == tmp_path / "dialogs.rejects.jsonl"
    assert first.to_json()["accepted"] == 5 and first.usage["total"]["calls"] > 0
    assert read_manifest(out)["options"]["fingerprint"]  # what the next call compares against
    data, calls = out.read_bytes(), len(good_model.calls)

    again = pipeline.synthesize(plans_file, out, _settings(tmp_path))
    assert len(good_model.calls) == calls and again.resumed == 5 and again.usage["total"]["calls"] == 0
    assert out.read_bytes() == data

    other = pipeline.synthesize(plans_file, out, _settings(tmp_path, "scripted/other"))
    assert other.resumed == 0 and len(good_model.calls) > calls
    assert {d["models"]["assistant"] for d in read_artifact(out, "dialog")} == {"scripted/other"}


def test_synthesize_refuses_a_journal_made_with_another_model_and_restart_starts_over(
    tmp_path, plans_file, good_model
):
    out = tmp_path / "dialogs.jsonl"
    # What a run killed after two dialogs leaves: their journal lines and the fingerprint that run recorded.
    two = pipeline.synthesize(plans_file, out, _settings(tmp_path), limit=2)
    assert two.accepted + two.rejected == 2
    write_artifact(partial_path(out), "dialog", list(read_artifact(out, "dialog")))
    out.unlink()
    two.rejects.unlink()
    made_with = _settings(tmp_path)
    fingerprint_path(out).write_bytes(
        orjson.dumps(synth_fingerprint(made_with.llm, made_with.synth, {"plans": plans_file}))
    )
    journal = partial_path(out).read_bytes()

    with pytest.raises(ResumeMismatchError) as refused:
        pipeline.synthesize(plans_file, out, _settings(tmp_path, "scripted/other"))
    assert 'llm.model: "scripted/good" → "scripted/other"' in refused.value.one_line()
    assert refused.value.exit_code == 2
    assert not out.exists() and partial_path(out).read_bytes() == journal  # refusing changed nothing

    resumed = pipeline.synthesize(plans_file, out, _settings(tmp_path))
    assert resumed.resumed == 2 and resumed.accepted == 5

    restarted = pipeline.synthesize(plans_file, out, _settings(tmp_path, "scripted/other"), restart=True)
    assert restarted.resumed == 0 and restarted.accepted + restarted.rejected == 5


def test_make_preferences_and_export_return_what_they_wrote(tmp_path, plans_file, good_model):
    dialogs = pipeline.synthesize(plans_file, tmp_path / "dialogs.jsonl", _settings(tmp_path))
    from toolsynth.prefs.config import PrefsConfig

    settings = pipeline.PrefsSettings(
        llm=LLMConfig(model="scripted/good", cache=False),
        synth=SynthConfig(),
        prefs=PrefsConfig(kinds=["rule"]),
        base_dir=tmp_path,
    )
    pairs = pipeline.make_preferences(dialogs.output, tmp_path / "preferences.jsonl", settings)
    assert isinstance(pairs, pipeline.PrefsResult) and pairs.pairs > 0
    written = list(read_artifact(pairs.output, "preference"))
    assert len(written) == pairs.pairs and {p["kind"] for p in written} == {"rule"}
    assert read_manifest(pairs.output)["options"]["kinds"] == ["rule"]

    chosen = pipeline.export_settings(None, {"formats": ["openai", "mdpo"], "split.test": 0.0})
    dataset = pipeline.export(dialogs.output, tmp_path / "export", chosen, preferences=pairs.output)
    assert isinstance(dataset, pipeline.ExportResult) and dataset.formats == ["openai", "mdpo"]
    assert dataset.kept == 5 and dataset.to_json()["output"] == str(tmp_path / "export")
    with pytest.raises(RecipeError, match="export.split.test"):
        pipeline.export_settings(None, {"split.test": 2.0})


def test_run_recipe_checks_its_arguments_then_skips_what_is_unchanged(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"strategy: magnet\ncatalog: {REPO / 'tool_catalogs' / 'bfcl'}\noutput_dir: out\n")
    with pytest.raises(RecipeError, match="unknown stage 'nope'"):
        pipeline.run_recipe(recipe, until="nope")
    with pytest.raises(RecipeError, match="--from synthesize needs"):
        pipeline.run_recipe(recipe, start="synthesize")
    assert not (tmp_path / "out").exists()

    seen: list[str] = []
    first = pipeline.run_recipe(recipe, until="convert", on_stage=lambda s: seen.append(s.status))
    assert isinstance(first, pipeline.RunResult) and first.exit_code == 0 and seen == ["ran"]
    ran = first.stages[0]
    assert isinstance(ran.result, pipeline.ConvertResult) and ran.result.tools == 36
    assert first.results["convert"] is ran.result and (tmp_path / "out" / "run-state.json").exists()
    again = pipeline.run_recipe(recipe, until="convert")
    assert [s.status for s in again.stages] == ["skipped"] and again.stages[0].result is None
    assert again.to_json()["stages"] == [
        {
            "stage": "convert",
            "status": "skipped",
            "artifact": str(tmp_path / "out" / "tools.jsonl"),
            "seconds": 0.0,
        }
    ]
    # a gate with nothing synthesized fails, as `toolsynth run --fail-under` does
    gated = pipeline.run_recipe(recipe, until="convert", fail_under=0.5)
    assert gated.exit_code == 1 and gated.gate_failed and gated.stopped_at is None


def test_every_public_name_resolves_and_none_is_shadowed_by_a_module():
    import importlib
    import pkgutil

    import toolsynth

    submodules = {m.name for m in pkgutil.iter_modules(pipeline.__path__)}
    assert set(pipeline.__all__) == set(pipeline._EXPORTS)
    for name in pipeline.__all__:
        # a function named like a module of its package would be replaced by that module once it is imported
        assert name not in submodules
        importlib.import_module(f"toolsynth.pipeline.{pipeline._EXPORTS[name]}")
        assert getattr(pipeline, name) is getattr(importlib.import_module("toolsynth.pipeline"), name)
        assert not isinstance(getattr(pipeline, name), type(pipeline))
    for name in toolsynth.__all__:
        assert getattr(toolsynth, name) is not None


def test_importing_the_library_imports_no_stage_and_no_heavy_module():
    import subprocess
    import sys

    code = (
        "import sys, toolsynth\n"
        "from toolsynth import pipeline, run_recipe, LLMConfig\n"
        "from toolsynth.pipeline import synthesize, export, report\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'litellm', 'faiss', 'sentence_transformers', 'transformers')\n"
        "    or m.startswith(('toolsynth.synth.runner', 'toolsynth.graph.build', 'toolsynth.export.pipeline'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
