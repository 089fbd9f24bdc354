"""A model that answers garbage, times out or errors on 30 % of its calls: the run finishes, every plan ends up
accepted or rejected with its reason (none lost, none an unexplained error), and the summary says what happened."""

from __future__ import annotations

import asyncio
import random
import threading
from pathlib import Path

import pytest
from bfcl_plan_fixtures import all_plans, install_good_model, scripted_gateway

from toolsynth.artifacts import partial_path, read_artifact
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, dialog_id, errors_path, rejects_path, run_plans
from toolsynth.testing.scripted import ScriptedModel

FAULT_RATE = 0.3


def install_faults(seed: int) -> dict[str, int]:
    """Ahead of the good model: 30 % of calls fail, a third each as a timeout, an HTTP 500, or garbage (text that
    is not JSON for a structured call, noise for a chat call)."""
    rng = random.Random(seed)
    lock = threading.Lock()
    seen = {"calls": 0, "timeout": 0, "http_500": 0, "garbage": 0}

    def fault(req):
        with lock:
            seen["calls"] += 1
            if rng.random() >= FAULT_RATE:
                return None  # fall through to the good model
            kind = rng.choice(["timeout", "http_500", "garbage"])
            seen[kind] += 1
        if kind == "timeout":
            return {"error": "timeout"}
        if kind == "http_500":
            return {"error": 500}
        if req.schema is not None:
            return {"content": '{"reason": "ok", "action_fits_request": tr'}
        return {"content": "%%$#@! <<garbage>> \x00\x01 ]]]"}

    ScriptedModel.add_rule(None, fault, first=True)
    return seen


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


@pytest.mark.slow  # hundreds of scripted calls through litellm: ~15-30 s on a loaded 2-core machine
@pytest.mark.parametrize("seed", [1])
def test_a_flaky_model_never_loses_a_plan(tmp_path: Path, seed: int) -> None:
    seen = install_faults(seed)
    plans = all_plans()
    gw = scripted_gateway(max_retries=2, retry_base_s=0.001, structured_retries=1, concurrency=2)
    ctx = SynthContext(gateway=gw, config=SynthConfig(max_regenerations=2))
    out = tmp_path / "dialogs.jsonl"
    summary = asyncio.run(run_plans(plans, out, ctx, concurrency=2)).to_record()
    assert seen["calls"] > 50 and min(seen["timeout"], seen["http_500"], seen["garbage"]) > 0

    # Every plan is accounted for exactly once: accepted, rejected with its reason, or (a call that failed after
    # every retry) kept in the errors file as "model unavailable" to be made by a rerun. No unexplained error.
    accepted = [r["id"] for r in read_artifact(out, "dialog")]
    rejects = list(read_artifact(rejects_path(out), "dialog_reject"))
    gave_up = list(read_artifact(errors_path(out), "dialog_error")) if errors_path(out).exists() else []
    assert all(e["kind"] == "model_unavailable" for e in gave_up)
    ids = accepted + [r["id"] for r in rejects] + [e["id"] for e in gave_up]
    assert sorted(ids) == sorted(dialog_id(p) for p in plans)
    assert summary["errors"] == 0 and summary["model_unavailable"] == len(gave_up)
    assert all(r["failure"]["layer"] and r["failure"]["reason"] for r in rejects)
    assert not partial_path(out).exists()

    # The summary says what happened: retries made, rejects by their first failure.
    usage = gw.usage_summary()["total"]
    assert usage["retries"] > 0
    assert summary["accepted"] + summary["rejected"] + summary["model_unavailable"] == len(plans)
    assert sum(summary["first_failure"].values()) == summary["rejected"]

    # Nothing already written is lost: a rerun (the model healthy now) keeps every finished dialog as it was and
    # makes only the ones the flaky model never finished.
    before = set(out.read_bytes().splitlines()), set(rejects_path(out).read_bytes().splitlines())
    ScriptedModel.reset()
    install_good_model()
    again = asyncio.run(run_plans(plans, out, ctx, concurrency=2, reuse_finished=True))
    assert again.skipped == len(plans) - len(gave_up) and again.errors == again.unavailable == 0
    assert before[0] <= set(out.read_bytes().splitlines())
    assert before[1] == set(rejects_path(out).read_bytes().splitlines())
    assert not errors_path(out).exists()
