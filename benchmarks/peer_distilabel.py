"""toolsynth beside a peer: distilabel 1.5.3's APIGen generation and toolsynth's gateway and `synthesize`, against
one fixed-delay OpenAI-compatible server, at the same concurrency, in one run.

The server is `benchmarks/gateway_overhead.py`'s (its own process on 127.0.0.1, every answer after exactly --delay
s; it counts requests and stamps the first arrival and the last answer). Each system runs in a fresh child process
per level, so start-up is measured the same way for all three:

- `distilabel`: its own venv (--venv, created with pip from PyPI if missing, reused when it holds 1.5.3), a
  `Pipeline` of `LoadDataFromDicts` >> `APIGenGenerator` (`use_default_structured_output=False`, the paper's
  prompt) over `OpenAILLM` pointed at the server, `input_batch_size` = the concurrency (distilabel's way of
  keeping N requests in flight: the batch's rows are sent together by `AsyncLLM.generate`), `use_cache=False`.
  The rows are BFCL's executable functions (name, description, a one-shot example), a distinct row per request.
- `gateway`: `Gateway.chat` over the direct transport, `llm.concurrency` = the level, the same APIGen messages
  (system prompt + the function's description, one request per row), cache on and cold.
- `synthesize`: `run_plans` (what `toolsynth synthesize` runs) over the hand-built BFCL plans of
  `synth_throughput.py`, content from the scripted test model after each real round trip, enough dialogs for
  --requests model calls, `toolsynth synthesize --concurrency N`'s dialogs in flight.

Figures, per system and level: requests/s = server requests / (last answer - first request); % of ideal =
(ideal wall) / (that wall), where ideal wall = requests * delay / N, and for synthesize no less than its longest
dialog's calls * delay (a dialog's calls are sequential); start-up = first request at the server - process spawn;
CPU ms per request = the child's whole user + system CPU (start-up included, incl. distilabel's worker
processes, from os.wait4) / requests. `raw` is a floor-level asyncio client (one keep-alive socket per slot, no
JSON), the ceiling this machine and server allow.

    python benchmarks/peer_distilabel.py [--levels 8,32,64] [--requests 640] [--delay 0.1] [--json]
        [--distilabel-log-level INFO]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

DISTILABEL = "1.5.3"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "toolsynth-peer-distilabel"
API_KEY = "sk-bench-not-a-real-key"
EXAMPLE = (
    "QUERY:\nWhat is the binary sum of 10010 and 11101?\nANSWER:\n"
    '[{"name": "binary_addition", "arguments": {"a": "10010", "b": "11101"}}]'
)
APIGEN_SYSTEM = (
    "You are a data labeler. Your responsibility is to generate a set of diverse queries and corresponding answers "
    "for the given functions in JSON format."
)


# ---- distilabel's venv ----------------------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_distilabel(venv: Path) -> Path:
    """The venv's python, with distilabel[openai]==1.5.3 installed (made once, reused; pip's output in a log)."""
    py = venv_python(venv)
    probe = "import sys, distilabel, distilabel.models, distilabel.steps.tasks; sys.exit(distilabel.__version__ != %r)"
    check = [str(py), "-c", probe % DISTILABEL]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return py
    print(
        f"setting up distilabel {DISTILABEL} in {venv} (pip, a few minutes) ...", file=sys.stderr, flush=True
    )
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log = venv / "pip-install.log"
    with log.open("w") as f:
        done = subprocess.run(
            # distilabel.models imports `requests` without declaring it
            [str(py), "-m", "pip", "install", f"distilabel[openai]=={DISTILABEL}", "requests"],
            stdout=f,
            stderr=f,
        )
    if done.returncode != 0 or subprocess.run(check, capture_output=True).returncode != 0:
        raise SystemExit(f"could not install distilabel {DISTILABEL} into {venv}: see {log}")
    return py


# ---- the rows (one per request) -------------------------------------------------------------------------------


def apigen_rows(n: int) -> list[dict[str, str]]:
    """BFCL's executable functions as APIGen's generator inputs, cycled with a request number so no two are alike."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "synth"))
    from bfcl_plan_fixtures import CLASS_FILES, bfcl_tools

    funcs = [t for cls in CLASS_FILES for t in bfcl_tools(cls).values()]
    rows = []
    for i in range(n):
        t = funcs[i % len(funcs)]
        rows.append(
            {
                "examples": EXAMPLE,
                "func_name": t.name,
                "func_desc": f"{t.description} (request {i})",
                "tools": json.dumps([{"name": t.name, "description": t.description}]),
            }
        )
    return rows


def apigen_messages(row: dict[str, str]) -> list[dict[str, str]]:
    user = (
        f"Here are examples of queries and the corresponding answers for similar functions:\n{row['examples']}\n\n"
        "Note that the query could be interpreted as a combination of several independent requests.\n"
        f"Based on these examples, generate 1 diverse query and answer pairs for the function `{row['func_name']}`.\n"
        f"The detailed function description is the following:\n{row['func_desc']}\n\n"
        "The output MUST strictly adhere to the following JSON format, and NO other text MUST be included:\n"
        '[{"query": "The generated query.", "answers": [{"name": "api_name", "arguments": {"arg_name": "value"}}]}]'
    )
    return [{"role": "system", "content": APIGEN_SYSTEM}, {"role": "user", "content": user}]


# ---- children: each system in its own process -----------------------------------------------------------------


def child_distilabel(port: int, concurrency: int, rows_file: Path, workdir: Path) -> dict:
    from distilabel.models import OpenAILLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts
    from distilabel.steps.tasks import APIGenGenerator

    rows = json.loads(rows_file.read_text())
    with Pipeline(
        name=f"peer-bench-{concurrency}", cache_dir=workdir / f"distilabel-cache-{concurrency}"
    ) as pipeline:
        load = LoadDataFromDicts(data=rows, batch_size=concurrency)
        gen = APIGenGenerator(
            llm=OpenAILLM(
                model="bench",
                base_url=f"http://127.0.0.1:{port}/v1",
                api_key=API_KEY,
                max_retries=0,
                timeout=120,
            ),
            input_batch_size=concurrency,
            use_default_structured_output=False,
        )
        load >> gen
    ds = pipeline.run(use_cache=False)
    return {"rows_out": sum(len(split) for split in ds.values())}


def child_gateway(port: int, concurrency: int, rows_file: Path, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway

    rows = json.loads(rows_file.read_text())
    cfg = LLMConfig(
        model="openai/bench",
        api_base=f"http://127.0.0.1:{port}/v1",
        transport="direct",
        concurrency=concurrency,
        max_retries=0,
        cache_dir=str(workdir / f"gateway-cache-{concurrency}"),
    )
    gw = Gateway(cfg, stage="bench")

    async def run() -> None:
        await asyncio.gather(*(gw.chat("generator", apigen_messages(r)) for r in rows))

    gw.run(run())
    gw.close()
    total = gw.usage_summary()["total"]
    assert total["failures"] == 0 and total["cached"] == 0, total
    return {"calls": total["calls"]}


def child_synthesize(port: int, concurrency: int, n_requests: int, workdir: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests" / "synth"))
    from synth_throughput import answer_like_scripted, plans

    from toolsynth.artifacts import read_artifact
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.runner import SynthContext, dialogs_in_flight, rejects_path, run_plans

    cfg = LLMConfig(
        model="openai/bench",
        api_base=f"http://127.0.0.1:{port}/v1",
        transport="direct",
        concurrency=concurrency,
        max_retries=0,
        cache_dir=str(workdir / f"synth-cache-{concurrency}"),
    )
    gw = Gateway(cfg, stage="synthesize")
    answer_like_scripted(gw)
    synth = SynthConfig()
    ctx = SynthContext(gateway=gw, config=synth)
    out = workdir / f"dialogs-{concurrency}.jsonl"
    # The five fixture plans average 11 model calls per dialog: this many dialogs make about n_requests calls.
    todo = plans(max(1, round(n_requests / 11)))
    gw.run(run_plans(todo, out, ctx, concurrency=dialogs_in_flight(cfg, synth)))
    gw.close()
    per_dialog = [
        sum(rec["usage"]["calls"].values())
        for path, kind in ((out, "dialog"), (rejects_path(out), "dialog_reject"))
        for rec in read_artifact(path, kind)
    ]
    return {"dialogs": len(per_dialog), "longest_dialog_calls": max(per_dialog), "calls": sum(per_dialog)}


async def _raw_slot(port: int, n: int) -> None:
    body = b"{}"
    req = b"POST /v1/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    r, w = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(n):
        w.write(req)
        head = await r.readuntil(b"\r\n\r\n")
        length = next(
            int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")
        )
        await r.readexactly(length)
    w.close()


def child_raw(port: int, concurrency: int, n_requests: int) -> dict:
    per_slot = [n_requests // concurrency + (i < n_requests % concurrency) for i in range(concurrency)]

    async def run() -> None:
        await asyncio.gather(*(_raw_slot(port, k) for k in per_slot if k))

    asyncio.run(run())
    return {"calls": n_requests}


# ---- the parent -----------------------------------------------------------------------------------------------


def measure(
    system: str,
    python: Path,
    port: int,
    delay: float,
    concurrency: int,
    n: int,
    rows_file: Path,
    workdir: Path,
) -> dict:
    from gateway_overhead import server_stats

    server_stats(port, reset=True)
    report = workdir / f"{system}-{concurrency}.json"
    cmd = [str(python), __file__, "--child", system, "--port", str(port), "--concurrency", str(concurrency)]
    cmd += [
        "--requests",
        str(n),
        "--rows",
        str(rows_file),
        "--workdir",
        str(workdir),
        "--report",
        str(report),
    ]
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    log = workdir / f"{system}-{concurrency}.log"
    spawned = time.time()
    with log.open("wb") as f:
        proc = subprocess.Popen(cmd, env=env, stdout=f, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"{system} at {concurrency} failed ({status}); its log:\n{log.read_text()[-3000:]}")
    extra = json.loads(report.read_text())
    s = server_stats(port)
    requests = int(s["requests"])
    wall = s["last_reply"] - s["first_request"]
    ideal = requests * delay / concurrency
    if "longest_dialog_calls" in extra:
        ideal = max(ideal, extra["longest_dialog_calls"] * delay)
    return {
        "system": system,
        "in_flight": concurrency,
        "requests": requests,
        "requests_per_s": round(requests / wall, 1),
        "ideal_per_s": round(requests / ideal, 1),
        "pct_of_ideal": round(100 * ideal / wall, 1),
        "startup_s": round(s["first_request"] - spawned, 2),
        "cpu_ms_per_request": round(1000 * (usage.ru_utime + usage.ru_stime) / requests, 2),
        **extra,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--levels", default="8,32,64")
    ap.add_argument("--requests", type=int, default=640)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--systems", default="raw,distilabel,gateway,synthesize")
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    # distilabel's default (INFO) logs every HTTP request through rich; WARNING measures it without that cost.
    ap.add_argument("--distilabel-log-level", default="INFO")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    for hidden in ("--port", "--concurrency"):
        ap.add_argument(hidden, type=int, help=argparse.SUPPRESS)
    for hidden in ("--rows", "--workdir", "--report"):
        ap.add_argument(hidden, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_child = {
            "distilabel": lambda: child_distilabel(args.port, args.concurrency, args.rows, args.workdir),
            "gateway": lambda: child_gateway(args.port, args.concurrency, args.rows, args.workdir),
            "synthesize": lambda: child_synthesize(args.port, args.concurrency, args.requests, args.workdir),
            "raw": lambda: child_raw(args.port, args.concurrency, args.requests),
        }[args.child]
        args.report.write_text(json.dumps(run_child()))
        return

    from gateway_overhead import start_server

    systems = args.systems.split(",")
    levels = [int(x) for x in args.levels.split(",")]
    dl_python = ensure_distilabel(args.venv) if "distilabel" in systems else None
    proc, port = start_server(args.delay)
    rows: list[dict] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            rows_file = work / "rows.json"
            rows_file.write_text(json.dumps(apigen_rows(args.requests)))
            for c in levels:
                for system in systems:
                    python = dl_python if system == "distilabel" else Path(sys.executable)
                    assert python is not None
                    os.environ["DISTILABEL_LOG_LEVEL"] = args.distilabel_log_level
                    rows.append(measure(system, python, port, args.delay, c, args.requests, rows_file, work))
                    if not args.json:
                        print(_line(rows[-1]), file=sys.stderr, flush=True)
    finally:
        proc.terminate()
        proc.wait()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"peer: server delay {args.delay * 1000:.0f} ms, {args.requests} requests per run, {os.cpu_count()} CPUs"
    )
    print(
        f"{'system':<12}{'in flight':>10}{'requests':>9}{'req/s':>8}{'ideal':>7}{'% ideal':>9}{'start s':>9}{'cpu ms/req':>12}"
    )
    for r in rows:
        print(_line(r))
    by = {(r["system"], r["in_flight"]): r for r in rows}
    for c in levels:
        d, s = by.get(("distilabel", c)), by.get(("synthesize", c))
        if d and s:
            print(
                f"at {c} in flight: synthesize {s['requests_per_s'] / d['requests_per_s']:.2f}x distilabel's requests/s"
            )


def _line(r: dict) -> str:
    return (
        f"{r['system']:<12}{r['in_flight']:>10}{r['requests']:>9}{r['requests_per_s']:>8.1f}{r['ideal_per_s']:>7.0f}"
        f"{r['pct_of_ideal']:>8.1f}%{r['startup_s']:>9.2f}{r['cpu_ms_per_request']:>12.2f}"
    )


if __name__ == "__main__":
    main()
