"""Finding 5: a bug in one dialog is not a silent reject. It stays out of the journal's done set (a rerun retries
it), is counted, keeps the dialog as far as it got in `<out>.errors.jsonl`, and the run exits non-zero above
`synth.max_error_rate`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from bfcl_plan_fixtures import all_plans, install_good_model, message_plan, scripted_gateway
from typer.testing import CliRunner

from toolsynth.artifacts import partial_path, read_artifact, write_artifact
from toolsynth.cli import app
from toolsynth.synth import checks
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import (
    SynthContext,
    default_checker,
    dialog_id,
    errors_path,
    rejects_path,
    run_plans,
)
from toolsynth.testing.scripted import ScriptedModel

BUGGY = dialog_id(message_plan())


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


async def buggy_checker(outcome, gateway, config):
    """The default checks, plus a bug that strikes the message plan's second turn."""
    if outcome.plan.id == message_plan().id and outcome.turn.index == 1:
        raise RuntimeError("boom in a check")
    return await default_checker(outcome, gateway, config)


def _ids(path: Path, kind: str) -> list[str]:
    return [r["id"] for r in read_artifact(path, kind)] if path.exists() else []


def test_an_exception_is_counted_kept_with_its_partial_dialog_and_retried(tmp_path: Path) -> None:
    out = tmp_path / "dialogs.jsonl"
    plans = all_plans()
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig(), checker=buggy_checker)
    summary = asyncio.run(run_plans(plans, out, ctx, concurrency=2))
    assert summary.errors == 1 and summary.accepted == 4 and summary.rejected == 0
    assert BUGGY not in _ids(out, "dialog") + _ids(rejects_path(out), "dialog_reject")
    (err,) = read_artifact(errors_path(out), "dialog_error")
    assert err["id"] == BUGGY and err["error"] == "RuntimeError: boom in a check"
    assert any("buggy_checker" in frame for frame in err["traceback"])
    assert err["turns_done"] == 1 and len(err["dialog"]["turns"]) == 1  # turn 0 was finished and is kept
    assert any(m["role"] == "tool" for m in err["dialog"]["messages"])  # the login call it made is there

    fixed = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    again = asyncio.run(run_plans(plans, out, fixed, concurrency=2, reuse_finished=True))
    assert again.skipped == 4 and again.errors == 0 and again.accepted == 5
    assert BUGGY in _ids(out, "dialog")
    assert not errors_path(out).exists()  # no errors this time: the stale file goes
    assert not partial_path(out).exists()


def test_synthesize_exits_non_zero_above_the_error_threshold(tmp_path: Path, monkeypatch) -> None:
    real = checks.check_adherence

    def buggy(view, expected):
        if any("USR002" in (m.content or "") for m in view.messages if m.role == "user"):
            raise KeyError("a bug")
        return real(view, expected)

    monkeypatch.setattr(checks, "check_adherence", buggy)
    plans = tmp_path / "plans.jsonl"
    write_artifact(plans, "plan", (p.to_record() for p in all_plans()))
    out = tmp_path / "dialogs.jsonl"
    args = ["synthesize", str(plans), "-o", str(out), "--model", "scripted/good", "--no-cache", "--json"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1, r.output
    summary = orjson.loads(r.stdout)
    assert summary["errors"] == 1 and summary["accepted"] == 4
    assert "1 of 5 dialogs ended in an unexpected error" in r.output and str(errors_path(out)) in r.output

    # 1 error in 5 dialogs is within a 25 % allowance (a fresh output, so all five are tried)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: t\nstrategy: magnet\ncatalog: .\nsynth:\n  max_error_rate: 0.25\n")
    other = tmp_path / "other" / "dialogs.jsonl"
    args[3] = str(other)
    r = CliRunner().invoke(app, [*args, "--recipe", str(recipe)])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.stdout)["errors"] == 1 and errors_path(other).exists()
