"""`--executor ray`: synthesize and make-preferences on a local Ray cluster started by the test give the bytes of
one process, resume after a kill, and fail in one line (exit 2, nothing written) when Ray cannot be had."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from toolsynth.artifacts import partial_path, read_artifact, read_manifest, write_artifact
from toolsynth.cli import app
from toolsynth.errors import ToolsynthError

HERE = Path(__file__).resolve().parent
COMMON = ["--model", "scripted/good", "--no-cache", "--concurrency", "3"]


def _cli(*args: str) -> dict:
    r = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=True)
    if r.exit_code != 0:
        raise AssertionError(f"exit {r.exit_code}: {r.output} {r.exception!r}")
    return orjson.loads(r.stdout)


def _fail(*args: str) -> str:
    r = CliRunner().invoke(app, list(args), catch_exceptions=True)
    exc = r.exception
    assert isinstance(exc, ToolsynthError) and exc.exit_code == 2, (r.exit_code, r.output, exc)
    return exc.one_line()


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> Path:
    from bfcl_plan_fixtures import all_plans

    path = tmp_path_factory.mktemp("plans") / "plans.jsonl"
    recs = [
        p.model_copy(update={"seed": p.seed + 100 * s, "id": ""}).with_id().to_record()
        for s in range(2)
        for p in all_plans()
    ]
    write_artifact(path, "plan", recs)
    return path


@pytest.fixture(scope="module")
def cluster():
    """One local Ray for the module (its start-up is most of these tests' time); the driver and every worker
    install the same scripted rules."""
    ray = pytest.importorskip("ray")
    import ray_scripted

    ray_scripted.install()
    path = os.pathsep.join([str(HERE), str(HERE.parent / "synth"), *sys.path])
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        runtime_env={"env_vars": {"PYTHONPATH": path}, "worker_process_setup_hook": "ray_scripted.install"},
    )
    yield ray
    ray.shutdown()
    from toolsynth.testing.scripted import ScriptedModel

    ScriptedModel.reset()


@pytest.fixture(scope="module")
def reference(cluster, plans, tmp_path_factory) -> Path:
    """The one-process run everything here is compared with."""
    out = tmp_path_factory.mktemp("local") / "dialogs.jsonl"
    _cli("synthesize", str(plans), "-o", str(out), *COMMON)
    assert len(list(read_artifact(out, "dialog"))) and len(
        list(read_artifact(_rejects(out), "dialog_reject"))
    )
    return out


def _rejects(out: Path) -> Path:
    return out.with_name(out.name.replace(".jsonl", ".rejects.jsonl"))


@pytest.mark.slow  # a Ray cluster's start-up and two runs' worker start-ups: ~30 s of a loaded 2-core machine
def test_synthesize_on_ray_killed_part_way_resumes_to_the_bytes_of_one_process(reference, plans, tmp_path):
    """Dialogs made by Ray workers, some in a run killed after four, the rest by the rerun: the driver's one
    journal gives the one-process bytes."""
    from toolsynth.executors.config import ExecutorConfig
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.fingerprint import synth_fingerprint
    from toolsynth.synth.plan_source import PlanSource
    from toolsynth.synth.runner import SynthContext, run_plans

    out = tmp_path / "dialogs.jsonl"
    gateway = Gateway(LLMConfig(model="scripted/good", cache=False, concurrency=3), stage="synthesize")
    ctx = SynthContext(gateway=gateway, config=SynthConfig(executor=ExecutorConfig(kind="ray", workers=2)))
    finished = []

    class Killed(Exception):
        pass

    def die_after_four(result) -> None:
        finished.append(result.dialog.id)
        if len(finished) == 4:
            raise Killed

    with pytest.raises(Killed):
        fp = synth_fingerprint(gateway.config, ctx.config, {"plans": plans})
        run = run_plans(PlanSource(plans), out, ctx, concurrency=3, on_result=die_after_four, fingerprint=fp)
        gateway.run(run)
    journaled = sum(
        len(list(read_artifact(partial_path(p), k)))
        for p, k in ((out, "dialog"), (_rejects(out), "dialog_reject"))
    )
    assert journaled == 4 and not out.exists()
    # the same command again (through the CLI this time) finishes the rest
    got = _cli("synthesize", str(plans), "-o", str(out), *COMMON, "--executor", "ray", "--workers", "1")
    assert got["resumed_from_journal"] == 4 and got["plans"] == 10
    assert out.read_bytes() == reference.read_bytes()
    assert _rejects(out).read_bytes() == _rejects(reference).read_bytes()
    # the workers' model calls are counted in the driver's manifest
    assert read_manifest(out)["usage"]["total"]["calls"] > 0


@pytest.mark.slow
def test_make_preferences_on_ray_gives_the_bytes_of_one_process(reference, tmp_path):
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    a = _cli("make-preferences", str(reference), "-o", str(local), *COMMON)
    b = _cli(
        "make-preferences", str(reference), "-o", str(on_ray), *COMMON, "--executor", "ray", "--workers", "1"
    )
    assert a["pairs"] > 0 and on_ray.read_bytes() == local.read_bytes()
    assert {k: b[k] for k in ("dialogs", "pairs", "by_kind")} == {
        k: a[k] for k in ("dialogs", "pairs", "by_kind")
    }
    assert read_manifest(on_ray)["usage"]["total"]["calls"] > 0


def test_no_ray_or_an_unreachable_cluster_is_one_line_exit_2_and_nothing_written(
    plans, tmp_path, monkeypatch
):
    pytest.importorskip("ray")
    out = tmp_path / "dialogs.jsonl"
    msg = _fail("synthesize", str(plans), "-o", str(out), *COMMON, "--address", "127.0.0.1:9")
    assert msg.startswith("--address: no Ray cluster answers at 127.0.0.1:9")
    msg = _fail("make-preferences", str(plans), "-o", str(out), *COMMON, "--address", "nowhere")
    assert "expected host:port" in msg
    msg = _fail("synthesize", str(plans), "-o", str(out), *COMMON, "--executor", "local", "--address", "h:1")
    assert "only used by the ray executor" in msg
    monkeypatch.setitem(sys.modules, "ray", None)  # as if ray were not installed
    for cmd in ("synthesize", "make-preferences"):
        msg = _fail(cmd, str(plans), "-o", str(out), *COMMON, "--executor", "ray")
        assert "needs the ray package" in msg and "toolsynth[ray]" in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_executor_settings_validate_in_a_recipe(tmp_path):
    from toolsynth.errors import RecipeError
    from toolsynth.recipe import load_recipe

    def recipe(body: str) -> Path:
        p = tmp_path / "r.yaml"
        p.write_text(f"strategy: magnet\ncatalog: {tmp_path}\n{body}\n")
        return p

    r = load_recipe(
        recipe("synth: {executor: ray}\nprefs: {executor: {kind: ray, workers: 4, address: auto}}")
    )
    assert r.synth.executor.kind == "ray" and r.prefs.executor.workers == 4
    # where dialogs are made is no part of what they depend on
    assert "executor" not in r.synth.model_dump() and "executor" not in r.prefs.model_dump()
    for bad, field in (
        ("synth: {executor: spark}", "synth.executor"),
        ("prefs: {executor: {kind: ray, workers: 0}}", "prefs.executor"),
        ("synth: {executor: {kind: local, address: 'h:1'}}", "synth.executor"),
    ):
        with pytest.raises(RecipeError, match=field.replace(".", r"\.")):
            load_recipe(recipe(bad))
