"""The offline default model (`local/smollm2`): load time cold and warm, decode speed, structured-call latency.

Each measurement runs in a fresh process, so "cold" really starts from the GGUF file (empty weights cache) and
"warm" from the cached safetensors. Decode speed is free text at temperature 0; a structured call is
`Gateway.structured` with a 4-field schema (grammar-constrained), cache off.

    python benchmarks/local_model.py [--threads N] [--skip-cold]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "country": {"type": "string"},
        "population_millions": {"type": "number"},
        "landmarks": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
    },
    "required": ["city", "country", "population_millions", "landmarks"],
}
PROMPTS = [
    "Describe the capital of France.",
    "Describe the capital of Japan.",
    "Describe the capital of Peru.",
]


def child(int8: bool, threads: int | None) -> dict:
    t0 = time.perf_counter()
    from toolsynth.llm.local import get_engine

    engine = get_engine("smollm2", int8=int8, threads=threads)
    engine.load()
    load_s = time.perf_counter() - t0
    prompt = engine.render(
        [{"role": "user", "content": "Write a short story about a lighthouse keeper."}], None, None
    )
    engine.generate(prompt, None, 8, 0.0, 0, 1.0)  # first-call warm-up
    t = time.perf_counter()
    _, n_in, n_out, _ = engine.generate(prompt, None, 128, 0.0, 0, 1.0)
    decode_s = time.perf_counter() - t

    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway

    gw = Gateway(
        LLMConfig(temperature=0, cache=False, local_int8=int8, local_threads=threads, max_tokens=120), "bench"
    )

    async def structured() -> list[tuple[float, bool, int]]:
        out = []
        for p in PROMPTS:
            t = time.perf_counter()
            r = await gw.structured("bench", [{"role": "user", "content": p}], SCHEMA)
            out.append((time.perf_counter() - t, r.ok, r.usage.completion_tokens))
        return out

    runs = gw.run(structured())
    return {
        "int8": int8,
        "threads": engine.threads,
        "load_s": round(load_s, 2),
        "loaded_from": "gguf" if engine.loaded_from.endswith(".gguf") else "safetensors cache",
        "decode_tokens": n_out,
        "decode_tok_per_s": round(n_out / decode_s, 1),
        "structured_s": [round(r[0], 2) for r in runs],
        "structured_median_s": round(statistics.median(r[0] for r in runs), 2),
        "structured_ok": sum(r[1] for r in runs),
        "structured_tokens": [r[2] for r in runs],
    }


def run_child(int8: bool, threads: int | None, cache_home: str | None) -> dict:
    env = dict(os.environ)
    if cache_home:
        env["TOOLSYNTH_CACHE_HOME"] = cache_home
    cmd = [sys.executable, __file__, "--child", "--int8", str(int(int8))]
    if threads:
        cmd += ["--threads", str(threads)]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["process_s"] = round(time.perf_counter() - t, 2)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--int8", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--skip-cold", action="store_true")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(bool(args.int8), args.threads)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_cold:
            rows.append(("cold (from GGUF)", run_child(True, args.threads, tmp)))
            warm_home: str | None = tmp
        else:
            warm_home = None  # the user's cache
        rows.append(("warm, int8", run_child(True, args.threads, warm_home)))
        rows.append(("warm, float32", run_child(False, args.threads, warm_home)))
    print(f"local/smollm2 on {os.cpu_count()} CPUs (load includes importing torch + transformers)")
    print(f"{'run':<18}{'threads':>8}{'load s':>8}{'tok/s':>8}{'structured s (3 prompts)':>28}{'valid':>7}")
    for name, r in rows:
        s = ", ".join(f"{x:.2f}" for x in r["structured_s"])
        print(
            f"{name:<18}{r['threads']:>8}{r['load_s']:>8.2f}{r['decode_tok_per_s']:>8.1f}{s:>28}"
            f"{r['structured_ok']:>5}/3"
        )


if __name__ == "__main__":
    main()
