"""`toolsynth run` as a Makefile or CI job runs it: unchanged stages skipped, `--from`/`--until`, `--json`, and every
exit code (0, 1 quality gate, 2 bad input, 4 a model error retrying cannot fix, 130 interrupted) through the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]
DRIVER = REPO / "tests" / "synth" / "synth_driver.py"


def _recipe(tmp_path: Path, *, llm: str = "{model: scripted/ci, concurrency: 4}", synth: str = "") -> Path:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        "name: ci\nstrategy: magnet\nseed: 7\n"
        f"catalog: {REPO / 'tool_catalogs' / 'bfcl'}\n"
        "output_dir: out\n"
        f"llm: {llm}\n"
        "plans: {n: 6}\n"
        # max_steps 2: a nested turn (call, call, reply) cannot finish, so its dialog is rejected: a mixed run
        "synth: {assistant_mode: grounded, max_steps: 2, required_checks: [format, execution, adherence]"
        + synth
        + "}\n"
        f"graph: {{embedding: {{cache_dir: {tmp_path.parent / 'emb-cache'}}}}}\n"
    )
    return recipe


def _run(*args: str, cwd: Path, driver: bool = False, **kw) -> subprocess.CompletedProcess[str]:
    head = [sys.executable, str(DRIVER)] if driver else [sys.executable, "-m", "toolsynth"]
    return subprocess.run([*head, *args], cwd=cwd, capture_output=True, text=True, timeout=600, **kw)


def _statuses(proc) -> dict[str, str]:
    return {s["stage"]: s["status"] for s in orjson.loads(proc.stdout)["stages"]}


def test_unchanged_stages_are_skipped_and_the_gate_sets_exit_1(tmp_path):
    recipe = _recipe(tmp_path)
    first = _run("run", str(recipe), "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    summary = orjson.loads(first.stdout)
    rate = summary["acceptance_rate"]
    assert set(_statuses(first).values()) == {"ran"} and summary["exit_code"] == 0
    assert (tmp_path / "out" / "report.html").exists() and (tmp_path / "out" / "export").is_dir()
    assert 0 < rate < 1, "the gate below needs a run that rejects something"

    # The same recipe again: every stage is skipped and says so; the gate still reads this run's acceptance.
    again = _run("run", str(recipe), "--json", "--fail-under", f"{(1 + rate) / 2:.3f}", cwd=tmp_path)
    assert again.returncode == 1, again.stderr[-2000:]
    assert set(_statuses(again).values()) == {"skipped"}
    assert orjson.loads(again.stdout)["exit_code"] == 1
    assert "skipped, inputs and settings unchanged" in again.stderr and "quality gate failed" in again.stderr
    passed = _run("run", str(recipe), "--fail-under", f"{rate / 2:.3f}", cwd=tmp_path)
    assert passed.returncode == 0 and f"report:   {tmp_path / 'out' / 'report.html'}" in passed.stdout

    # A changed synth setting re-runs synthesize and what depends on it, not the stages before it.
    _recipe(tmp_path, synth=", max_regenerations: 0")
    changed = _run("run", str(recipe), "--json", cwd=tmp_path)
    assert changed.returncode == 0, changed.stderr[-2000:]
    st = _statuses(changed)
    assert [st[s] for s in ("convert", "build-graph", "sample-plans")] == ["skipped"] * 3
    assert st["synthesize"] == "ran" and st["report"] == "ran"

    # An output changed by hand is not trusted: its stage runs again.
    (tmp_path / "out" / "report.html").write_text("edited")
    redo = _run("run", str(recipe), "--json", "--from", "export", cwd=tmp_path)
    assert _statuses(redo) == {"export": "skipped", "report": "ran"}
    assert "edited" not in (tmp_path / "out" / "report.html").read_text()


def test_bad_input_exits_2_in_one_line(tmp_path):
    recipe = _recipe(tmp_path)
    proc = _run("run", str(recipe), "--from", "synthesize", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error: --from: --from synthesize needs ")
    proc = _run("run", str(recipe), "--fail-under", "1.5", cwd=tmp_path)
    assert proc.returncode == 2


class _Unauthorized(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_model_error_retrying_cannot_fix_exits_4(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _Unauthorized)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_port}/v1"
        recipe = _recipe(tmp_path, llm=f"{{model: openai/gpt-x, api_base: '{base}', cache: false}}")
        env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-key"}
        proc = _run("run", str(recipe), cwd=tmp_path, env=env)
    finally:
        server.shutdown()
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert "authentication failed" in proc.stderr and "Traceback" not in proc.stderr


def test_interrupted_run_exits_130_and_the_rerun_resumes(tmp_path):
    recipe = _recipe(tmp_path)
    first = _run("run", str(recipe), "--until", "sample-plans", cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    env = {**os.environ, "SYNTH_DRIVER_DELAY": "0.3"}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), "run", str(recipe)],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    journal = tmp_path / "out" / "dialogs.jsonl.partial"
    deadline = time.time() + 120
    while time.time() < deadline and not (journal.exists() and journal.read_text().count("\n") >= 1):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "Traceback" not in err
    done = _run("run", str(recipe), "--json", cwd=tmp_path, driver=True)
    assert done.returncode == 0, done.stderr[-2000:]
    st = _statuses(done)
    assert st["sample-plans"] == "skipped" and st["synthesize"] == "ran"
    out = tmp_path / "out"
    finished = [
        orjson.loads(line)["plan_id"]
        for f in ("dialogs.jsonl", "dialogs.rejects.jsonl")
        for line in (out / f).read_text().splitlines()
    ]
    plans = [orjson.loads(line)["id"] for line in (out / "plans.jsonl").read_text().splitlines()]
    assert sorted(finished) == sorted(
        plans
    )  # every plan once: nothing lost or made twice by the interruption
