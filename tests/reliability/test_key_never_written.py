"""An API key planted in the environment never appears in anything a REAL `synthesize` or `run` leaves behind:
artifacts, manifests, journals, the model cache, stdout and the -vv log. The files scanned are the ones the runs
wrote (every file under their directories), not files this test wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bfcl_plan_fixtures import all_plans

from toolsynth.artifacts import write_artifact

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-proj-planted-4f3e2d1c0b9a8877665544332211ffee"
sys.path.insert(0, str(REPO / "tests" / "llm"))
from fake_openai import FakeOpenAI, completion  # noqa: E402

JUDGE = {"reason": "fine", "action_fits_request": True, "answer_grounded": True}


def respond(body: dict, headers: dict) -> tuple[int, dict]:
    text = json.dumps(body["messages"])
    if "rate-limit me" in text or len(text) % 7 == 0:
        # providers echo (part of) the key in error texts; retried, and logged at -vv
        return 429, {"error": {"message": f"Rate limit for key {KEY} ({KEY[:10]}...{KEY[-6:]})"}}
    if body.get("response_format"):
        return 200, completion(json.dumps(JUDGE))
    if body.get("tools"):
        return 200, completion("Sure, I can help with that. What exactly should I do?")
    return 200, completion("Please go ahead with what I asked.")


def scan(paths: list[Path], texts: list[str]) -> None:
    needles = [KEY, KEY[:14], KEY[-12:]]
    for text in texts:
        for n in needles:
            assert n not in text
    for p in paths:
        data = p.read_bytes()
        for n in needles:
            assert n.encode() not in data, p


@pytest.mark.slow  # two real CLI runs against a local fake OpenAI server: ~10-30 s
def test_a_planted_key_never_appears_in_real_outputs(tmp_path: Path) -> None:
    with FakeOpenAI(respond) as srv:
        work = tmp_path / "work"
        (work / "out").mkdir(parents=True)
        plans = work / "out" / "plans.jsonl"
        write_artifact(plans, "plan", (p.to_record() for p in all_plans()[:3]))
        recipe = work / "recipe.yaml"
        recipe.write_text(
            "name: keys\nstrategy: magnet\n"
            f"catalog: {REPO / 'tool_catalogs' / 'bfcl'}\n"
            "output_dir: out\n"
            f"llm: {{model: openai/gpt-4o-mini, api_base: '{srv.base}', cache_dir: cache, retry_base_s: 0.001,"
            " concurrency: 2}\n"
            "synth: {max_regenerations: 0}\n"
        )
        env = {**os.environ, "OPENAI_API_KEY": KEY}
        base = [sys.executable, "-m", "toolsynth", "-vv"]
        syn = subprocess.run(
            [
                *base,
                "synthesize",
                str(plans),
                "-o",
                str(work / "solo" / "dialogs.jsonl"),
                "--recipe",
                str(recipe),
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert syn.returncode == 0, syn.stderr[-2000:]
        run = subprocess.run(
            [*base, "run", str(recipe), "--from", "synthesize"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-2000:]
        seen = [h.get("authorization", "") for _, h in srv.requests]
    assert seen and all(a == f"Bearer {KEY}" for a in seen)  # the key was really used
    assert any("429" in t or "Rate limit" in t for t in (syn.stderr, run.stderr))  # errors were logged
    written = [p for p in work.rglob("*") if p.is_file() and p != recipe and p != plans]
    names = {p.name for p in written}
    assert {"dialogs.jsonl", "dialogs.jsonl.manifest.json", "dialogs.rejects.jsonl"} <= names
    assert any(n.startswith("llm-cache") for n in names)
    scan(written, [syn.stdout, syn.stderr, run.stdout, run.stderr])
