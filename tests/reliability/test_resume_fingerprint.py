"""Finding 2: a journal left by a killed run is only continued with the settings, prompts, model, version and
inputs that made it; otherwise the run refuses with one line naming what changed, or starts over with --restart."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from bfcl_plan_fixtures import all_plans, install_good_model
from typer.testing import CliRunner

from toolsynth.artifacts import (
    JournalWriter,
    ResumeMismatchError,
    fingerprint_path,
    partial_path,
    read_artifact,
    write_artifact,
)
from toolsynth.cli import app
from toolsynth.synth.runner import rejects_path
from toolsynth.testing.scripted import ScriptedModel


def test_journal_writer_refuses_another_fingerprint_and_names_the_change(tmp_path: Path) -> None:
    out = tmp_path / "prefs.jsonl"
    with JournalWriter(out, "preference", fingerprint={"model": "a", "seed": 1}) as j:
        j.write({"id": "p1"})
    assert fingerprint_path(out).exists()
    same = JournalWriter(out, "preference", fingerprint={"model": "a", "seed": 1})
    assert same.done_ids() == {"p1"}
    other = JournalWriter(out, "preference", fingerprint={"model": "b", "seed": 1, "extra": True})
    with pytest.raises(ResumeMismatchError) as err:
        other.done_ids()
    msg = err.value.one_line()
    assert msg.startswith(f"{partial_path(out)}:") and '"a" → "b"' in msg and "extra" in msg
    assert "seed" not in msg and "--restart" in msg and "\n" not in msg
    assert err.value.exit_code == 2
    assert partial_path(out).read_bytes().count(b"\n") == 1  # refusing changes nothing on disk
    fresh = JournalWriter(out, "preference", fingerprint={"model": "b"}, restart=True)
    assert fresh.done_ids() == set() and not partial_path(out).exists()
    assert orjson.loads(fingerprint_path(out).read_bytes()) == {"model": "b"}
    fresh.open().write({"id": "p2"})
    assert fresh.finalize() == 1 and not fingerprint_path(out).exists()


def test_a_journal_without_a_fingerprint_is_not_continued_blindly(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    write_artifact(partial_path(out), "dialog", [{"id": "x"}])
    with pytest.raises(ResumeMismatchError, match="no readable fingerprint"):
        JournalWriter(out, "dialog", fingerprint={"k": 1}).done_ids()
    # a stage that keeps no fingerprint behaves as before
    assert JournalWriter(out, "dialog").done_ids() == {"x"}


@pytest.fixture
def plans_file(tmp_path: Path) -> Path:
    ScriptedModel.reset()
    install_good_model()
    path = tmp_path / "plans.jsonl"
    write_artifact(path, "plan", (p.to_record() for p in all_plans()))
    yield path
    ScriptedModel.reset()


def test_synthesize_refuses_to_continue_a_journal_with_another_model_then_restarts(
    tmp_path: Path, plans_file: Path
) -> None:
    out = tmp_path / "dialogs.jsonl"
    base = ["synthesize", str(plans_file), "-o", str(out), "--no-cache", "--json"]
    # What a run killed after two dialogs leaves: their journal lines and the fingerprint the run recorded.
    r = CliRunner().invoke(app, [*base, "--model", "scripted/good", "--limit", "2"])
    assert r.exit_code == 0, r.output
    kept = list(read_artifact(out, "dialog")) + list(read_artifact(rejects_path(out), "dialog_reject"))
    fp_record = orjson.loads(r.stdout)
    assert fp_record["accepted"] + fp_record["rejected"] == 2
    write_artifact(partial_path(out), "dialog", kept)
    out.unlink()
    rejects_path(out).unlink()
    from toolsynth.llm.config import LLMConfig
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.fingerprint import synth_fingerprint

    fingerprint_path(out).write_bytes(
        orjson.dumps(
            synth_fingerprint(
                LLMConfig(model="scripted/good", cache=False), SynthConfig(), {"plans": plans_file}
            )
        )
    )

    refused = CliRunner().invoke(app, [*base, "--model", "scripted/other"])
    assert refused.exception is not None and isinstance(refused.exception, ResumeMismatchError)
    msg = refused.exception.one_line()
    assert 'llm.model: "scripted/good" → "scripted/other"' in msg and "--restart" in msg
    assert not out.exists() and partial_path(out).read_bytes().count(b"\n") == 2

    changed = CliRunner().invoke(
        app, [*base, "--model", "scripted/good", "-c", "3"]
    )  # concurrency: no content
    assert changed.exit_code == 0, changed.output
    assert orjson.loads(changed.stdout)["resumed_from_journal"] == 2

    write_artifact(partial_path(out), "dialog", kept)
    fingerprint_path(out).write_bytes(orjson.dumps({"llm.model": "scripted/good", "synth.max_steps": 9}))
    restarted = CliRunner().invoke(app, [*base, "--model", "scripted/other", "--restart"])
    assert restarted.exit_code == 0, restarted.output
    summary = orjson.loads(restarted.stdout)
    assert summary["resumed_from_journal"] == 0 and summary["accepted"] + summary["rejected"] == 5
    assert not partial_path(out).exists() and not fingerprint_path(out).exists()
    assert {d["models"]["assistant"] for d in read_artifact(out, "dialog")} == {"scripted/other"}


def test_a_changed_plans_file_or_synth_setting_is_named(tmp_path: Path) -> None:
    from toolsynth.artifacts import fingerprint_changes
    from toolsynth.llm.config import LLMConfig
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.fingerprint import synth_fingerprint

    a = tmp_path / "a.jsonl"
    a.write_text("1\n")
    b = tmp_path / "b.jsonl"
    b.write_text("2\n")
    one = synth_fingerprint(LLMConfig(), SynthConfig(), {"plans": a})
    two = synth_fingerprint(LLMConfig(concurrency=99), SynthConfig(max_regenerations=5), {"plans": b})
    changed = [c.split(":")[0] for c in fingerprint_changes(one, two)]
    assert changed == ["input.plans", "synth.max_regenerations"]
    assert one["toolsynth_version"] and len(one["prompts"]) == 16
