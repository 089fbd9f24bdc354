"""Finding 3: a judge that gives no verdict is not a pass. A dead judge model used to mean 100 % semantic
acceptance; now each such turn fails as `judge_error` (regenerated, then rejected) and the summary counts them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bfcl_plan_fixtures import all_plans, install_good_model, message_plan, scripted_gateway

from toolsynth.artifacts import read_artifact
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, rejects_path, run_plans, synthesize_dialog
from toolsynth.testing.scripted import ScriptedModel


def is_judge(req) -> bool:
    return req.schema is not None and "action_fits_request" in str(req.schema)


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def test_a_dead_judge_rejects_with_judge_error_and_is_counted(tmp_path: Path) -> None:
    ScriptedModel.fail("invalid_json", times=10_000, match=is_judge)
    gw = scripted_gateway(max_retries=0, structured_retries=0)
    ctx = SynthContext(gateway=gw, config=SynthConfig(max_regenerations=1))
    out = tmp_path / "dialogs.jsonl"
    summary = asyncio.run(run_plans(all_plans(), out, ctx, concurrency=2)).to_record()
    # Every dialog whose turns reach the judge is rejected: none is accepted on a judge that never answered.
    assert summary["accepted"] == 0 and summary["rejected"] == 5
    assert summary["first_failure"] == {"judge_error": 5}
    rejects = list(read_artifact(rejects_path(out), "dialog_reject"))
    assert all(r["failure"]["reason"].startswith("judge_error: the judge gave no verdict") for r in rejects)
    assert summary["judge_errors"] == 5  # the failing (kept) turn of each rejected dialog


def test_a_judge_that_recovers_on_regeneration_lets_the_dialog_through() -> None:
    ScriptedModel.fail("invalid_json", times=1, match=is_judge)
    gw = scripted_gateway(max_retries=0, structured_retries=0)
    out = asyncio.run(synthesize_dialog(message_plan(), SynthContext(gateway=gw, config=SynthConfig())))
    assert out.accepted
    assert out.dialog.turns[0].attempts == 2  # the turn the judge failed on was generated again


def test_a_judge_that_rejects_turns_is_obeyed_end_to_end(tmp_path: Path) -> None:
    """The stub judge of the other end-to-end tests always approves; this one rejects every send_message turn."""
    ScriptedModel.add_rule(
        lambda r: is_judge(r) and "send_message" in r.messages[-1]["content"].split("This turn:")[-1],
        {"json": {"reason": "made up the message", "action_fits_request": False, "answer_grounded": True}},
        first=True,
    )
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig(max_regenerations=1))
    out = tmp_path / "dialogs.jsonl"
    summary = asyncio.run(run_plans(all_plans(), out, ctx, concurrency=2)).to_record()
    assert summary["rejected"] == 1 and summary["accepted"] == 4
    (rej,) = read_artifact(rejects_path(out), "dialog_reject")
    assert rej["failure"] == {"layer": "semantic", "turn": 1, "reason": rej["failure"]["reason"]}
    assert "made up the message" in rej["failure"]["reason"]
    assert summary["judge_errors"] == 0
