"""`toolsynth synthesize` end to end with the scripted model: outputs, manifest, rerun, options, user errors."""

from __future__ import annotations

import orjson
import pytest
from bfcl_plan_fixtures import all_plans, install_good_model
from typer.testing import CliRunner

from toolsynth.artifacts import read_artifact, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.errors import InputError
from toolsynth.synth.record import Dialog
from toolsynth.synth.runner import dialog_id
from toolsynth.testing.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


@pytest.fixture
def plans_file(tmp_path):
    path = tmp_path / "plans.jsonl"
    write_artifact(path, "plan", (p.to_record() for p in all_plans()))
    return path


def _invoke(*args: str):
    return CliRunner().invoke(app, ["synthesize", *args], catch_exceptions=True)


def test_synthesize_writes_dialogs_rejects_and_a_manifest_with_usage(tmp_path, plans_file):
    out = tmp_path / "out" / "dialogs.jsonl"
    r = _invoke(str(plans_file), "-o", str(out), "--model", "scripted/good", "--no-cache", "--json")
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    assert summary["accepted"] == 5 and summary["rejected"] == 0
    assert summary["check_pass_rate"] == {"format": 1.0, "execution": 1.0, "semantic": 1.0, "adherence": 1.0}
    dialogs = [Dialog.from_record(rec) for rec in read_artifact(out, "dialog")]
    assert [d.id for d in dialogs] == sorted(dialog_id(p) for p in all_plans())
    assert {d.backend for d in dialogs} == {"bfcl", "simulated"}
    assert all(
        d.models == {k: "scripted/good" for k in ("user", "assistant", "tool", "judge")} for d in dialogs
    )
    assert all(d.usage["calls"]["assistant"] > 0 and d.usage["prompt_tokens"] > 0 for d in dialogs)
    assert (tmp_path / "out" / "dialogs.rejects.jsonl").read_bytes() == b""
    manifest = read_manifest(out)
    assert manifest["counts"]["accepted"] == 5
    assert manifest["usage"]["total"]["calls"] == summary["usage"]["total"]["calls"] > 0
    assert set(manifest["usage"]["roles"]) == {"user", "assistant", "tool", "judge"}
    assert manifest["inputs"][0]["path"] == str(plans_file)
    assert manifest["options"]["models"]["assistant"] == "scripted/good"


def test_rerun_reuses_a_finished_output_made_with_the_same_settings_only(tmp_path, plans_file):
    out = tmp_path / "dialogs.jsonl"
    args = [str(plans_file), "-o", str(out), "--model", "scripted/good", "--no-cache", "--json"]
    assert _invoke(*args).exit_code == 0
    data = out.read_bytes()
    n = len(ScriptedModel.calls)
    again = orjson.loads(_invoke(*args).stdout)
    assert len(ScriptedModel.calls) == n and again["resumed_from_journal"] == 5 and again["accepted"] == 5
    assert out.read_bytes() == data
    other = orjson.loads(_invoke(*args[:3], "--model", "scripted/other", "--no-cache", "--json").stdout)
    assert other["resumed_from_journal"] == 0 and len(ScriptedModel.calls) > n


def test_limit_and_recipe_settings(tmp_path, plans_file):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "strategy: magnet\ncatalog: x\n"
        "llm: {model: scripted/good, cache: false}\n"
        "synth: {required_checks: [format, execution], checks: [format, execution], max_regenerations: 0}\n"
    )
    out = tmp_path / "dialogs.jsonl"
    r = _invoke(str(plans_file), "-o", str(out), "--recipe", str(recipe), "--limit", "2", "--json")
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout)
    assert summary["plans"] == 2 and summary["accepted"] == 2
    assert summary["check_pass_rate"]["semantic"] is None  # not run: the recipe left it out
    judged = [
        c for c in ScriptedModel.calls if c.schema is not None and "action_fits_request" in str(c.schema)
    ]
    assert judged == []
    assert read_manifest(out)["options"]["synth"]["max_regenerations"] == 0


def test_plan_offering_an_undefined_tool_is_a_user_error_naming_the_line(tmp_path):
    plans = [p.to_record() for p in all_plans()[:2]]
    plans[1]["turns"][0]["offered_tools"].append("no_such_tool")
    path = tmp_path / "plans.jsonl"
    write_artifact(path, "plan", plans)
    r = _invoke(str(path), "-o", str(tmp_path / "d.jsonl"), "--model", "scripted/good")
    assert isinstance(r.exception, InputError)
    assert r.exception.where == f"{path}:2" and "no_such_tool" in r.exception.message
    assert not (tmp_path / "d.jsonl").exists()


def test_not_a_plans_file_is_a_user_error(tmp_path):
    path = tmp_path / "tools.jsonl"
    write_artifact(path, "tool", [{"name": "x"}])
    r = _invoke(str(path), "-o", str(tmp_path / "d.jsonl"), "--model", "scripted/good")
    assert isinstance(r.exception, InputError) and "not a plan artifact" in r.exception.message
