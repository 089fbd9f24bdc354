"""SIGKILL `toolsynth run` at random points, in every stage `run` has, then rerun the same command: the final
artifacts are byte-identical to those of a run that was never interrupted (same seed, scripted model, cache).

The stages come from `toolsynth.commands.run.STAGES`, so a stage added later is killed in too, and the artifacts
compared are every file the uninterrupted run leaves in `output_dir` (manifests aside: they carry the time)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolsynth.commands.run import STAGES

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "synth" / "synth_driver.py"
SEEDS = max(5, len(STAGES))


def recipe(tmp: Path, name: str, embeddings: Path) -> Path:
    d = tmp / name
    d.mkdir()
    path = d / "recipe.yaml"
    path.write_text(
        "name: kill\nstrategy: magnet\nseed: 3\n"
        f"catalog: {REPO / 'tool_catalogs' / 'bfcl'}\n"
        "output_dir: out\n"
        "llm: {model: scripted/good, concurrency: 2, cache_dir: llm-cache}\n"
        "plans: {n: 4}\n"
        f"graph: {{embedding: {{cache_dir: {embeddings}}}}}\n"
    )
    return path


def env(delay: float) -> dict[str, str]:
    pythonpath = os.pathsep.join(
        p for p in (str(DRIVER.parent), str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    return {**os.environ, "PYTHONPATH": pythonpath, "SYNTH_DRIVER_DELAY": str(delay)}


def artifacts(out: Path) -> dict[str, bytes]:
    # Manifests and run-state.json are bookkeeping (times, durations), not data. Each run here has its own
    # folder, which the report names: that path is the one difference allowed.
    return {
        str(p.relative_to(out)): p.read_bytes().replace(str(out).encode(), b"<out>")
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.name.endswith(".manifest.json") and p.name != "run-state.json"
    }


def run_to_end(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "run", str(path)],
        cwd=path.parent,
        env=env(0),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def kill_during(path: Path, stage: str, rng: random.Random) -> str:
    """Start the run, SIGKILL it a random moment after `stage` begins; the stage that was running when it died."""
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "run", str(path)],
        cwd=path.parent,
        env=env(0.05),  # model answers slowed so that synthesize lasts long enough to be killed in
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    started: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            for s in STAGES:
                if f"stage {s}: " in line:
                    started.append(s)
                    if s == stage:
                        seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert seen.wait(300), f"stage {stage} never started ({started})"
    time.sleep(rng.uniform(0.0, 2.0 if stage == STAGES[-1] else 0.15))
    running = started[-1]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return running if proc.returncode == -signal.SIGKILL else "finished before the kill"


@pytest.mark.slow  # SEEDS killed runs and their reruns, each a fresh process: ~1-3 min on a busy 2-core machine
def test_killed_anywhere_the_rerun_gives_the_same_bytes(tmp_path: Path) -> None:
    # The pipeline tests' embedding cache (one per test session): only the first run of a session loads the model.
    embeddings = tmp_path.parent / "emb-cache"
    ref = recipe(tmp_path, "reference", embeddings)
    run_to_end(ref)
    expected = artifacts(ref.parent / "out")
    assert {"tools.jsonl", "plans.jsonl", "dialogs.jsonl"} <= set(expected)
    made = expected["dialogs.jsonl"].count(b"\n") + expected["dialogs.rejects.jsonl"].count(b"\n")
    assert made == expected["plans.jsonl"].count(b"\n") == 4

    killed_in: list[str] = []
    for seed in range(SEEDS):
        rng = random.Random(seed)
        target = STAGES[seed % len(STAGES)]
        path = recipe(tmp_path, f"seed{seed}", embeddings)
        killed_in.append(kill_during(path, target, rng))
        run_to_end(path)  # the same command again
        got = artifacts(path.parent / "out")
        assert set(got) == set(expected), (seed, killed_in[-1])
        for name, data in expected.items():
            assert got[name] == data, (seed, killed_in[-1], name)
        shutil.rmtree(path.parent / "llm-cache", ignore_errors=True)
    # Kills landed in several stages. Which ones depends on the machine's speed: convert and report finish in
    # milliseconds, so a kill aimed at them often lands in the next stage or after the run; what is guaranteed,
    # and checked above for every seed, is that the rerun gives the same bytes wherever the kill landed.
    assert len(set(killed_in) & set(STAGES)) >= 3, killed_in
