"""Prompts in synthesize's records: the manifest names each prompt with its hash, an overridden prompt is what the
model is sent, and a changed prompt changes the resume fingerprint under its own key."""

from __future__ import annotations

import pytest
from bfcl_plan_fixtures import all_plans, install_good_model
from typer.testing import CliRunner

from toolsynth.artifacts import fingerprint_changes, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.llm.config import LLMConfig
from toolsynth.prompts import dialog_user
from toolsynth.prompts import registry as prompts
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.fingerprint import synth_fingerprint
from toolsynth.testing.scripted import ScriptedModel


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    prompts.restore()
    yield
    prompts.restore()
    ScriptedModel.reset()


def _synthesize(tmp_path, name: str):
    plans = tmp_path / "plans.jsonl"
    if not plans.exists():
        write_artifact(plans, "plan", (p.to_record() for p in all_plans()[:2]))
    out = tmp_path / name / "dialogs.jsonl"
    r = CliRunner().invoke(
        app, ["synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache", "--json"]
    )
    assert r.exit_code == 0, r.output
    return read_manifest(out)


def test_the_manifest_records_each_prompt_and_an_override_is_what_the_model_is_sent(tmp_path) -> None:
    default = _synthesize(tmp_path, "a")["prompts"]
    assert default == prompts.stage_prompts("synthesize")
    assert default[dialog_user.TURN_ID] == {"version": 1, "sha256": dialog_user.TURN.digest}
    ScriptedModel.calls.clear()
    prompts.override(dialog_user.TURN_ID, parts={"closing": "Now say it as the user would."})
    changed = _synthesize(tmp_path, "b")["prompts"]
    assert changed[dialog_user.TURN_ID]["sha256"] != default[dialog_user.TURN_ID]["sha256"]
    assert {k: v for k, v in changed.items() if k != dialog_user.TURN_ID} == {
        k: v for k, v in default.items() if k != dialog_user.TURN_ID
    }
    sent = [m["content"] for r in ScriptedModel.calls for m in r.messages if m["role"] == "user"]
    assert any(s.endswith("Now say it as the user would.") for s in sent)
    assert not any("Now write the user's message." in s for s in sent)


def test_a_changed_prompt_is_named_in_the_resume_fingerprint(tmp_path) -> None:
    plans = tmp_path / "p.jsonl"
    plans.write_text("1\n")
    before = synth_fingerprint(LLMConfig(), SynthConfig(), {"plans": plans})
    prompts.override(dialog_user.TURN_ID, parts={"closing": "Go."})
    after = synth_fingerprint(LLMConfig(), SynthConfig(), {"plans": plans})
    changed = sorted(c.split(":")[0] for c in fingerprint_changes(before, after))
    assert changed == [f"prompt.{dialog_user.TURN_ID}", "prompts"]
