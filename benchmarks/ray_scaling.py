"""Does the Ray executor scale? Dialogs/s of `synthesize` with 1, 2 and 4 Ray workers against a model server with a
fixed delay, next to the local executor, and what Ray itself costs per dialog; one run, one server.

The server and the dialogs are `benchmarks/synth_throughput.py`'s: the fixed-delay OpenAI-compatible server of
`gateway_overhead.py` (its own process), every answer's content replaced by the scripted model's so the dialogs
take their full path (BFCL execution, simulated tools, judge). Each Ray worker is an actor with its own gateway and
the same `--concurrency` (requests in flight), so in-flight requests, and with a fixed-delay server throughput,
scale with the workers: concurrency, not cores, is what scales here. The workers get the answer-replacing hook at
process start (`worker_process_setup_hook`).

Per row: the executor's start-up (Ray: the actors up, each with its gateway; not in the dialogs/s; then a warm-up
run through them, untimed, pays the workers' imports, BFCL classes and connections, as the local row's does), wall
time of the run, dialogs/s, % of ideal (ideal: every worker's requests always in flight: calls × delay / in-flight, or the
longest dialog's chain), the driver's CPU per dialog, and whether the row's dialogs are the local row's bytes (the
same plans in every row). Ray's own overhead per dialog: the 1-worker run's wall
time per dialog minus the local executor's at the same concurrency, and its extra driver CPU per dialog.

    python benchmarks/ray_scaling.py [--delay 0.1] [--concurrency 8] [--dialogs 160] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests" / "synth")]
sys.path[:0] = PATHS


def install_worker() -> None:
    """In every Ray worker process: each gateway it builds answers like `synth_throughput`'s (after the HTTP
    round trip to the delayed server)."""
    from synth_throughput import answer_like_scripted

    from toolsynth.llm.gateway import Gateway

    if getattr(Gateway, "_bench_patched", False):
        return
    init = Gateway.__init__

    def patched(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        answer_like_scripted(self)

    Gateway.__init__ = patched  # type: ignore[method-assign]
    Gateway._bench_patched = True  # type: ignore[attr-defined]


def measure(kind: str, workers: int, port: int, delay: float, concurrency: int, n: int, work: Path) -> dict:
    from synth_throughput import answer_like_scripted, plans

    from toolsynth.artifacts import read_artifact
    from toolsynth.executors.config import ExecutorConfig
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.plan_job import plan_executor
    from toolsynth.synth.runner import SynthContext, dialogs_in_flight, rejects_path, run_plans

    work.mkdir(parents=True)
    cfg = LLMConfig(
        model="openai/bench",
        api_base=f"http://127.0.0.1:{port}/v1",
        transport="direct",
        concurrency=concurrency,
        max_retries=0,
        cache_dir=str(work / "cache"),  # fresh per row: no row answers from another's cache
    )
    gw = Gateway(cfg, stage="synthesize")
    if kind == "local":
        answer_like_scripted(gw)
    synth = SynthConfig(executor=ExecutorConfig(kind=kind, workers=workers))  # type: ignore[arg-type]
    ctx = SynthContext(gateway=gw, config=synth)
    slots = dialogs_in_flight(cfg, synth)
    # The same plans in every row (each row has its own cache, so none answers another's): the rows' outputs must be
    # the same bytes, whatever executor made them.
    todo = plans(n, tag="run-")

    async def run() -> tuple[float, float, float]:
        if (
            kind == "local"
        ):  # warm-up: imports, BFCL classes, connections (a Ray worker pays these in its run)
            await run_plans(
                plans(concurrency, tag="warm-", seed_offset=500), work / "warm.jsonl", ctx, concurrency=slots
            )
        t0 = time.perf_counter()
        executor = plan_executor(ctx, slots)
        startup = time.perf_counter() - t0
        try:
            if kind == "ray":  # the same warm-up in each worker, through the executor that is then measured
                warm = plans(concurrency * workers, tag=f"warm{workers}-", seed_offset=500)
                await run_plans(warm, work / "warm.jsonl", ctx, concurrency=slots, executor=executor)
            cpu0 = time.process_time()
            t1 = time.perf_counter()
            await run_plans(todo, work / "dialogs.jsonl", ctx, concurrency=slots, executor=executor)
            return startup, time.perf_counter() - t1, time.process_time() - cpu0
        finally:
            executor.close()

    startup, wall, cpu = gw.run(run())
    gw.close()
    per_dialog = [
        sum(rec["usage"]["calls"].values())
        for path, k in (
            (work / "dialogs.jsonl", "dialog"),
            (rejects_path(work / "dialogs.jsonl"), "dialog_reject"),
        )
        for rec in read_artifact(path, k)
    ]
    assert len(per_dialog) == n, (len(per_dialog), n)
    calls = sum(per_dialog)
    in_flight = concurrency * (workers if kind == "ray" else 1)
    ideal = max(calls * delay / in_flight, max(per_dialog) * delay)
    digest = hashlib.sha256()
    for path in (work / "dialogs.jsonl", rejects_path(work / "dialogs.jsonl")):
        digest.update(path.read_bytes())
    return {
        "output_sha256": digest.hexdigest()[:16],
        "executor": kind,
        "workers": workers if kind == "ray" else None,
        "requests_in_flight": in_flight,
        "dialogs": n,
        "model_calls": calls,
        "startup_s": round(startup, 2),
        "wall_s": round(wall, 2),
        "dialogs_per_s": round(n / wall, 2),
        "pct_of_ideal": round(100 * ideal / wall, 1),
        "driver_cpu_ms_per_dialog": round(1000 * cpu / n, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight per worker")
    ap.add_argument("--dialogs", type=int, default=160)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    import ray
    from gateway_overhead import start_server

    levels = [int(x) for x in args.workers.split(",")]
    proc, port = start_server(args.delay)
    env = {"PYTHONPATH": os.pathsep.join([*PATHS, os.environ.get("PYTHONPATH", "")]), **_key_env()}
    ray.init(
        num_cpus=max(levels),
        include_dashboard=False,
        logging_level="ERROR",
        runtime_env={"env_vars": env, "worker_process_setup_hook": "ray_scaling.install_worker"},
    )
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(
                measure("local", 1, port, args.delay, args.concurrency, args.dialogs, Path(tmp) / "local")
            )
            for w in levels:
                rows.append(
                    measure("ray", w, port, args.delay, args.concurrency, args.dialogs, Path(tmp) / f"r{w}")
                )
    finally:
        ray.shutdown()
        proc.terminate()
        proc.wait()
    local = rows[0]
    for r in rows:
        r["same_bytes_as_local"] = r["output_sha256"] == local["output_sha256"]
    one = next((r for r in rows if r["workers"] == 1), None)
    overhead = (
        {
            "wall_ms_per_dialog": round(1000 * (one["wall_s"] - local["wall_s"]) / args.dialogs, 2),
            "driver_cpu_ms_per_dialog": round(
                one["driver_cpu_ms_per_dialog"] - local["driver_cpu_ms_per_dialog"], 2
            ),
        }
        if one
        else None
    )
    if args.json:
        print(json.dumps({"rows": rows, "ray_overhead_per_dialog": overhead}, indent=2))
        return
    print(
        f"ray scaling: server delay {args.delay * 1000:.0f} ms, {args.concurrency} requests in flight per worker, "
        f"{args.dialogs} dialogs per row, {os.cpu_count()} CPUs"
    )
    print(
        "| executor | workers | requests in flight | start-up s | wall s | dialogs/s | % of ideal "
        "| driver CPU ms/dialog | same bytes as local |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['executor']} | {r['workers'] or '-'} | {r['requests_in_flight']} | {r['startup_s']} | "
            f"{r['wall_s']} | {r['dialogs_per_s']} | {r['pct_of_ideal']} | {r['driver_cpu_ms_per_dialog']} | "
            f"{'yes' if r['same_bytes_as_local'] else 'NO'} |"
        )
    if overhead:
        print(
            f"Ray's own overhead per dialog (1 worker vs local, same concurrency): {overhead['wall_ms_per_dialog']} ms "
            f"wall, {overhead['driver_cpu_ms_per_dialog']} ms driver CPU"
        )


def _key_env() -> dict[str, str]:
    return {"OPENAI_API_KEY": os.environ["OPENAI_API_KEY"]}


if __name__ == "__main__":
    main()
