"""Resume: a run killed at a random point and run again loses no dialog and duplicates none."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from bfcl_plan_fixtures import all_plans, install_good_model, scripted_gateway

from toolsynth.artifacts import partial_path, read_artifact, write_artifact
from toolsynth.synth.config import SynthConfig
from toolsynth.synth.runner import SynthContext, dialog_id, rejects_path, run_plans
from toolsynth.testing.scripted import ScriptedModel

HERE = Path(__file__).resolve().parent
DRIVER = HERE / "synth_driver.py"


@pytest.fixture(autouse=True)
def _scripted():
    ScriptedModel.reset()
    install_good_model()
    yield
    ScriptedModel.reset()


def many_plans(n_seeds: int) -> list:
    """The fixture plans under several seeds: different ids, same shapes; the split-turn plan of every third seed
    is made to fail (its assistant calls instead of asking), so rejects are part of the run too."""
    out = []
    for s in range(n_seeds):
        for p in all_plans():
            out.append(p.model_copy(update={"seed": p.seed + 100 * s, "id": ""}).with_id())
    return out


def _ids(path: Path, kind: str) -> list[str]:
    return [r["id"] for r in read_artifact(path, kind)] if path.exists() else []


def _fail_some_split_turns() -> None:
    # A plan seed ending in 01 (fs_split_plan, seeds 1, 101, 201, ...): every third one calls on the split turn.
    ScriptedModel.add_rule(
        lambda r: (
            r.tools is not None
            and "Ask the user" in r.messages[0]["content"]
            and r.last["role"] == "user"
            and "the folder name" not in r.text
        ),
        None,
    )


def test_rerun_after_completion_with_the_same_settings_makes_no_model_call_and_changes_nothing(tmp_path):
    plans = many_plans(2)
    out = tmp_path / "dialogs.jsonl"
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    first = asyncio.run(run_plans(plans, out, ctx, concurrency=4))
    assert first.accepted + first.rejected == len(plans) and first.finished
    data = out.read_bytes()
    ids = _ids(out, "dialog")
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    first_calls = len(ScriptedModel.calls)
    again = asyncio.run(run_plans(plans, out, ctx, concurrency=4, reuse_finished=True))
    assert len(ScriptedModel.calls) == first_calls  # nothing redone
    assert again.skipped == len(plans) and again.accepted == first.accepted
    assert out.read_bytes() == data
    # a grown plans file: only the new plan is made
    grown = [*plans, *many_plans(3)[-1:]]
    third = asyncio.run(run_plans(grown, out, ctx, concurrency=4, reuse_finished=True))
    assert third.skipped == len(plans) and third.accepted + third.rejected == len(grown)
    assert 0 < len(ScriptedModel.calls) - first_calls < first_calls
    # without reuse (the settings changed), everything is made again
    before = len(ScriptedModel.calls)
    asyncio.run(run_plans(plans, out, ctx, concurrency=4))
    assert len(ScriptedModel.calls) - before == first_calls
    assert out.read_bytes() == data


def test_journal_resume_skips_done_dialogs_and_drops_records_of_other_plans(tmp_path):
    plans = many_plans(2)
    out = tmp_path / "dialogs.jsonl"
    done = plans[:3]
    ctx = SynthContext(gateway=scripted_gateway(), config=SynthConfig())
    asyncio.run(run_plans(done, tmp_path / "ref.jsonl", ctx))
    # a journal as a killed run leaves it: three finished dialogs, a stranger from another plans file, a torn line
    recs = list(read_artifact(tmp_path / "ref.jsonl", "dialog"))
    stranger = {**recs[0], "id": "dialog-from-another-plans-file"}
    write_artifact(partial_path(out), "dialog", [*recs, stranger])
    with open(partial_path(out), "ab") as fh:
        fh.write(b'{"schema": "toolsynth.dialog/1", "id": "dialog-tor')
    ScriptedModel.calls.clear()
    summary = asyncio.run(run_plans(plans, out, ctx, concurrency=3))
    assert summary.skipped == 3
    started = {r.messages[-1]["content"] for r in ScriptedModel.calls}
    assert summary.plans == len(plans) and started
    ids = _ids(out, "dialog") + _ids(rejects_path(out), "dialog_reject")
    assert sorted(ids) == sorted(dialog_id(p) for p in plans)  # the stranger is gone, nothing twice
    assert not partial_path(out).exists()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


@pytest.mark.slow  # two process start-ups (litellm import) and a slowed run: ~15 s idle, more on a busy machine
def test_killed_at_a_random_point_then_rerun_loses_nothing_and_duplicates_nothing(tmp_path):
    rng = random.Random(7)
    plans = many_plans(8)  # 40 dialogs
    plans_file = tmp_path / "plans.jsonl"
    write_artifact(plans_file, "plan", (p.to_record() for p in plans))
    # Keep the caller's PYTHONPATH after the fixtures: the child must import the toolsynth under test.
    pythonpath = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "SYNTH_DRIVER_DELAY": "0.004", "PYTHONPATH": pythonpath}
    common = ["synthesize", str(plans_file), "--model", "scripted/good", "--no-cache", "-c", "4", "--json"]

    # the uninterrupted run, in this process with the settings the CLI uses
    ref = tmp_path / "ref" / "dialogs.jsonl"
    gw = scripted_gateway(concurrency=4)
    asyncio.run(run_plans(plans, ref, SynthContext(gateway=gw, config=SynthConfig()), concurrency=4))

    out = tmp_path / "run" / "dialogs.jsonl"
    kill_after = rng.randint(1, len(plans) - 5)  # finished dialogs in the journal when the kill comes
    proc = _cli([*common, "-o", str(out)], env)
    deadline = time.monotonic() + 120
    while _lines(partial_path(out)) + _lines(partial_path(rejects_path(out))) < kill_after:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists()  # killed: nothing promoted
    journal = _lines(partial_path(out)) + _lines(partial_path(rejects_path(out)))
    assert kill_after <= journal < len(plans)

    proc = _cli([*common, "-o", str(out)], {**env, "SYNTH_DRIVER_DELAY": "0"})
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()
    summary = orjson.loads(stdout)
    assert summary["resumed_from_journal"] >= kill_after
    assert summary["accepted"] + summary["rejected"] == len(plans)

    ids = _ids(out, "dialog") + _ids(rejects_path(out), "dialog_reject")
    assert len(ids) == len(set(ids)) == len(plans)
    assert set(ids) == {dialog_id(p) for p in plans}
    # and the result is the one an uninterrupted run gives, byte for byte
    assert out.read_bytes() == ref.read_bytes()
    assert rejects_path(out).read_bytes() == rejects_path(ref).read_bytes()
    assert not partial_path(out).exists() and not partial_path(rejects_path(out)).exists()


def test_a_rerun_answered_from_the_cache_writes_the_same_bytes(tmp_path):
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway

    plans = many_plans(2)
    cfg = LLMConfig(model="scripted/good", cache=True, concurrency=4)
    outs = []
    for run in ("first", "second"):
        gw = Gateway(cfg, stage="synthesize", cache_dir=tmp_path / "cache")
        out = tmp_path / run / "dialogs.jsonl"
        asyncio.run(run_plans(plans, out, SynthContext(gateway=gw, config=SynthConfig()), concurrency=5))
        gw.close()
        outs.append(out)
        if run == "first":
            n = len(ScriptedModel.calls)
    assert len(ScriptedModel.calls) == n  # the second run asked the model nothing
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert rejects_path(outs[0]).read_bytes() == rejects_path(outs[1]).read_bytes()
