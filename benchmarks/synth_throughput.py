"""Does synthesize keep its dialogs moving? Dialogs/s at concurrency 32 against a model server with a fixed delay.

The server is the fixed-delay OpenAI-compatible server of `benchmarks/gateway_overhead.py` (its own process on
127.0.0.1, every answer after exactly --delay s), reached through the gateway's direct HTTP transport as an
`openai/` model with an `api_base` is. That server answers every request with the same text, which would make every
dialog fail on its first turn; so once an answer has come back over HTTP, its content is replaced by what the
scripted test model (following the plan's hints, approving as judge, filling tool schemas) answers to the same
request. The dialogs therefore take their full, realistic path — user turns, calls executed on the real BFCL classes,
simulated tools, per-turn checks with the LLM judge, journal writes — while every model call costs one real round
trip to the delayed server.

A dialog's model calls are sequential; dialogs run side by side (`toolsynth synthesize --concurrency C` keeps C
model requests in flight and runs C + C/8 dialogs, so that dialogs busy with local work leave no request slot
idle). With C requests in flight and calls taking exactly `delay`, the best possible wall time is
max(total_calls * delay / C, longest dialog's calls * delay): the ideal for that many model calls. Achieved /
ideal is the share of the model's capacity the pipeline does not waste.

    python benchmarks/synth_throughput.py [--delay 0.1] [--concurrency 32] [--dialogs 640]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "synth"))  # the hand-built BFCL plans and the hint-following rules


def plans(n: int, tag: str = "", seed_offset: int = 0) -> list:
    """The five hand-built BFCL plans (split turn, nested call, state across turns, missing function, simulated
    tools), copied with a distinct seed and wording each, so no two dialogs send the same request (the cache is on,
    as in a real run, and must not answer for the server)."""
    from bfcl_plan_fixtures import all_plans

    out = []
    k = 0
    while len(out) < n:
        for p in all_plans():
            turns = [t.model_copy(update={"intent": f"{t.intent} (request {tag}{k})"}) for t in p.turns]
            out.append(
                p.model_copy(
                    update={"seed": p.seed + 1000 * k + seed_offset, "id": "", "turns": turns}
                ).with_id()
            )
            k += 1
    return out[:n]


def answer_like_scripted(gateway: object) -> None:
    """Keep the HTTP round trip (and its delay); take the content from the scripted model's rules."""
    from bfcl_plan_fixtures import install_good_model

    from toolsynth.llm import transport
    from toolsynth.testing.scripted import ScriptedModel, ScriptedRequest

    install_good_model()
    direct = gateway._direct  # type: ignore[attr-defined]
    http_complete = direct.complete

    async def complete(req: transport.Request) -> dict:
        raw = await http_complete(req)  # the real call to the delayed server
        rf = req.params.get("response_format") or {}
        schema = (rf.get("json_schema") or {}).get("schema") if isinstance(rf, dict) else None
        params = {k: v for k, v in req.params.items() if k != "response_format"}
        sreq = ScriptedRequest("scripted/bench", req.messages, req.tools, schema, params)
        reply = ScriptedModel.answer(sreq)
        content = json.dumps(reply["json"]) if "json" in reply else reply.get("content")
        calls = [
            {
                "id": f"call_{i}",
                "type": "function",
                "function": {"name": c["name"], "arguments": json.dumps(c.get("arguments", {}))},
            }
            for i, c in enumerate(reply.get("tool_calls") or [])
        ]
        return transport._normalize(
            content,
            calls or None,
            {
                "prompt_tokens": raw["usage"]["prompt_tokens"],
                "completion_tokens": raw["usage"]["completion_tokens"],
            },
            "tool_calls" if calls else "stop",
            req.model,
            call_seed=req.key,
        )

    direct.complete = complete


def measure(port: int, delay: float, concurrency: int, n: int, workdir: Path) -> dict:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway
    from toolsynth.synth.config import SynthConfig
    from toolsynth.synth.runner import SynthContext, dialogs_in_flight, run_plans

    cfg = LLMConfig(
        model="openai/bench",
        api_base=f"http://127.0.0.1:{port}/v1",
        transport="direct",
        concurrency=concurrency,
        max_retries=0,
        cache_dir=str(workdir / "cache"),
    )
    gw = Gateway(cfg, stage="synthesize")
    answer_like_scripted(gw)
    synth = SynthConfig()
    ctx = SynthContext(gateway=gw, config=synth)
    n_dialogs = dialogs_in_flight(cfg, synth)  # what `toolsynth synthesize --concurrency N` runs
    todo = plans(n)

    async def run() -> tuple[float, float, int, object]:
        # warm-up: imports, BFCL classes, connections (its own output, not timed)
        warm = plans(concurrency, tag="warm-", seed_offset=500)
        await run_plans(warm, workdir / "warm.jsonl", ctx, concurrency=n_dialogs)
        before = gw.usage_summary()["total"]["calls"]
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        summary = await run_plans(todo, workdir / "dialogs.jsonl", ctx, concurrency=n_dialogs)
        wall = time.perf_counter() - t0
        return wall, time.process_time() - cpu0, gw.usage_summary()["total"]["calls"] - before, summary

    wall, cpu, server_calls, summary = gw.run(run())
    gw.close()
    from toolsynth.artifacts import read_artifact
    from toolsynth.synth.runner import rejects_path

    per_dialog = []
    for path, kind in (
        (workdir / "dialogs.jsonl", "dialog"),
        (rejects_path(workdir / "dialogs.jsonl"), "dialog_reject"),
    ):
        for rec in read_artifact(path, kind):
            per_dialog.append(sum(rec["usage"]["calls"].values()))
    total = gw.usage_summary()["total"]
    calls = sum(per_dialog)
    assert total["failures"] == 0 and total["cached"] == 0, gw.usage_summary()
    assert server_calls == calls, (server_calls, calls)  # every call the dialogs count went to the server
    ideal_wall = max(calls * delay / concurrency, max(per_dialog) * delay)
    return {
        "requests_in_flight": concurrency,
        "dialogs_in_flight": n_dialogs,
        "dialogs": len(per_dialog),
        "accepted": summary.accepted,  # type: ignore[attr-defined]
        "model_calls": calls,
        "calls_per_dialog": round(calls / len(per_dialog), 1),
        "wall_s": round(wall, 2),
        "dialogs_per_s": round(len(per_dialog) / wall, 2),
        "ideal_dialogs_per_s": round(len(per_dialog) / ideal_wall, 2),
        "pct_of_ideal": round(100 * ideal_wall / wall, 1),
        "client_cpu_ms_per_call": round(1000 * cpu / calls, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--dialogs", type=int, default=640)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    from gateway_overhead import start_server

    proc, port = start_server(args.delay)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            row = measure(port, args.delay, args.concurrency, args.dialogs, Path(tmp))
    finally:
        proc.terminate()
        proc.wait()
    if args.json:
        print(json.dumps(row, indent=2))
        return
    print(
        f"synth throughput: server delay {args.delay * 1000:.0f} ms, {row['requests_in_flight']} model requests "
        f"in flight ({row['dialogs_in_flight']} dialogs), {os.cpu_count()} CPUs"
    )
    print(
        f"{row['dialogs']} dialogs ({row['accepted']} accepted), {row['model_calls']} model calls "
        f"({row['calls_per_dialog']} per dialog), {row['wall_s']} s"
    )
    print(
        f"{row['dialogs_per_s']} dialogs/s vs ideal {row['ideal_dialogs_per_s']} for that many calls: "
        f"{row['pct_of_ideal']}% of ideal (target >= 85%); client CPU {row['client_cpu_ms_per_call']} ms per call"
    )


if __name__ == "__main__":
    main()
