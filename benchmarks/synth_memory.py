"""Is synthesize's memory flat in the number of dialogs? Peak RSS of `toolsynth synthesize` from 1k to 100k dialogs.

Each size runs the real CLI in a fresh process (`benchmarks/scripted_direct.py`: the scripted model's
hint-following rules of the tests behind the gateway's direct transport, no HTTP, no litellm; dialogs take their
full path: user turns, calls executed on the real BFCL
classes, simulated tools, per-turn checks with the judge, journal writes, the sorted promotion). The model answers
at once, which makes large runs feasible; the model cache is off (its SQLite file lives on disk either way, and a
cache hit would skip the work being measured). Peak RSS is the child's
own `ru_maxrss` (os.wait4).

Plans: the five hand-built BFCL plans copied with a distinct seed and wording each (as in synth_throughput.py),
written to a plans file by streaming.

    python benchmarks/synth_memory.py [--sizes 1000,10000,100000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "synth"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def write_plans(path: Path, n: int) -> None:
    from bfcl_plan_fixtures import all_plans

    from toolsynth.artifacts import ArtifactWriter

    base = all_plans()
    with ArtifactWriter(path, "plan") as w:
        for k in range(n):
            p = base[k % len(base)]
            turns = [t.model_copy(update={"intent": f"{t.intent} (request {k})"}) for t in p.turns]
            plan = p.model_copy(update={"seed": p.seed + 1000 * k, "id": "", "turns": turns}).with_id()
            w.write(plan.to_record())


def run_one(plans: Path, out: Path, recipe: Path) -> dict:
    from scripted_direct import __file__ as driver

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        driver,
        "-q",
        "synthesize",
        str(plans),
        "-o",
        str(out),
        "--recipe",
        str(recipe),
        "--json",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout = proc.stdout.read()  # type: ignore[union-attr]
    stderr = proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"synthesize failed ({status}): {stderr.decode()[-2000:]}")
    summary = json.loads(stdout)
    return {
        "dialogs": summary["accepted"] + summary["rejected"],
        "accepted": summary["accepted"],
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "wall_s": round(wall, 1),
        "dialogs_per_s": round((summary["accepted"] + summary["rejected"]) / wall, 1),
        "output_mb": round(out.stat().st_size / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.sizes.split(",")):
            plans = Path(tmp) / f"plans-{n}.jsonl"
            write_plans(plans, n)
            from scripted_direct import bench_recipe

            recipe = bench_recipe(Path(tmp) / "bench.yaml", args.concurrency)
            row = run_one(plans, Path(tmp) / f"dialogs-{n}.jsonl", recipe)
            row["plans_mb"] = round(plans.stat().st_size / 2**20, 1)
            rows.append(row)
            if not args.json:
                print(
                    f"{row['dialogs']:>7} dialogs ({row['accepted']} accepted): peak RSS {row['peak_rss_mb']} MB, "
                    f"{row['wall_s']} s ({row['dialogs_per_s']} dialogs/s), output {row['output_mb']} MB, "
                    f"plans {row['plans_mb']} MB",
                    flush=True,
                )
            for p in Path(tmp).iterdir():
                p.unlink()
    lo, hi = min(r["peak_rss_mb"] for r in rows), max(r["peak_rss_mb"] for r in rows)
    spread = round(100 * (hi - lo) / lo, 1)
    if args.json:
        print(json.dumps({"rows": rows, "spread_pct": spread}, indent=2))
    else:
        print(f"peak RSS spread {lo}-{hi} MB: {spread}% (target within 15%)")


if __name__ == "__main__":
    main()
