"""`toolsynth export` throughput and peak memory: records per second and peak RSS at two input sizes.

Input: N dialogs built from the real BFCL multi-turn func docs (../shared/catalogs/bfcl/multi_turn_func_doc): each
has 3–6 tools offered, 3 turns, 1–3 calls per turn with schema-shaped arguments and JSON results, a parallel turn in
every fifth dialog, a re-offered tool in every seventh, a failed non-required check in every eleventh. Each size is
exported in a fresh process (so its peak RSS is its own), twice: the four JSONL SFT formats, then `hf` alone
(datasets builds Arrow files). The machine is shared, so CPU seconds are the figure to compare; wall time is shown. A flat peak RSS across sizes shows the export streams (pass 1 keeps a few ids per dialog).

Run: python benchmarks/export_throughput.py [--sizes 2500,10000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FUNC_DOCS = ROOT / ".." / "shared" / "catalogs" / "bfcl" / "multi_turn_func_doc"


def _tools() -> list[dict]:
    from toolsynth.catalog.schema import normalize_parameters

    out = []
    for path in sorted(FUNC_DOCS.glob("*.json")):
        for i, line in enumerate(path.read_bytes().splitlines()):
            if line.strip():
                doc = json.loads(line)
                params = normalize_parameters(doc["parameters"], where=f"{path}:{i + 1}")
                out.append(
                    {
                        "type": "function",
                        "function": {
                            "name": doc["name"],
                            "description": doc["description"],
                            "parameters": params,
                        },
                    }
                )
    return out


def _value(schema: dict, rng: random.Random):
    t = schema.get("type")
    if "enum" in schema:
        return rng.choice(schema["enum"])
    return {
        "integer": rng.randint(1, 999),
        "number": round(rng.random() * 100, 2),
        "boolean": rng.random() < 0.5,
        "array": [f"item{rng.randint(0, 9)}"],
        "object": {"key": "value"},
    }.get(t, f"value-{rng.randint(0, 9999)}")


def make_dialogs(path: Path, n: int, seed: int = 0) -> None:
    from toolsynth.artifacts import write_artifact
    from toolsynth.messages import Message, ToolCall
    from toolsynth.synth.record import CheckResult, Dialog, DialogTurn

    rng = random.Random(seed)
    tools = _tools()

    def one(k: int) -> dict:
        offered = rng.sample(tools, rng.randint(3, 6))
        names = [t["function"]["name"] for t in offered]
        msgs = [Message(role="system", content="You are a helpful assistant that can use tools.")]
        turns, checks, cid = [], [], 0
        for ti in range(3):
            start = len(msgs)
            msgs.append(
                Message(role="user", content=f"Request {k}.{ti}: please do step {rng.randint(0, 10**6)}.")
            )
            n_calls = 2 if (k % 5 == 0 and ti == 1) else 1
            for _ in range(rng.randint(1, 2)):
                calls = []
                for _ in range(n_calls):
                    cid += 1
                    t = rng.choice(offered[: len(offered) - 1] if (k % 7 == 0 and ti == 0) else offered)
                    props = t["function"]["parameters"].get("properties", {})
                    args = {p: _value(s, rng) for p, s in props.items() if rng.random() < 0.8}
                    calls.append(ToolCall(id=f"call_{cid}", name=t["function"]["name"], arguments=args))
                msgs.append(Message(role="assistant", tool_calls=calls))
                for c in calls:
                    msgs.append(
                        Message(
                            role="tool",
                            tool_call_id=c.id,
                            name=c.name,
                            content=json.dumps({"ok": True, "n": cid}),
                        )
                    )
            msgs.append(Message(role="assistant", content=f"Done with step {ti}."))
            offer = names[:-1] if (k % 7 == 0 and ti == 0) else names
            turns.append(
                DialogTurn(index=ti, start=start, end=len(msgs), offered_tools=offer, expected="call")
            )
            failed = k % 11 == 0 and ti == 2
            checks += [
                CheckResult(layer="format", turn=ti, passed=True),
                CheckResult(layer="semantic", turn=ti, passed=not failed),
            ]
        return Dialog(
            id=f"dialog-{k:06d}",
            plan_id=f"plan-{k:06d}",
            strategy="magnet",
            category="base",
            tools=offered,
            messages=msgs,
            turns=turns,
            checks=checks,
        ).to_record()

    write_artifact(path, "dialog", (one(k) for k in range(n)))


_CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from toolsynth.export.config import ExportConfig
from toolsynth.export.pipeline import run_export
cfg = ExportConfig(formats={formats!r})
t0, c0 = time.perf_counter(), time.process_time()
stats = run_export(Path({src!r}), Path({out!r}), cfg)
dt, cpu = time.perf_counter() - t0, time.process_time() - c0
records = sum(sum(c.values()) for c in stats.written.values())
print(stats.kept, records, dt, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def measure(src: Path, out: Path, formats: list[str]) -> tuple[int, int, float, float, float]:
    code = _CHILD.format(root=str(ROOT), formats=formats, src=str(src), out=str(out))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kept, records, dt, cpu, rss_kb = res.stdout.split()
    return int(kept), int(records), float(dt), float(cpu), int(rss_kb) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="2500,10000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jsonl = ["openai", "sharegpt", "trl-sft", "hermes"]
    print(
        "| dialogs | formats | records written | wall s | CPU s | dialogs/s (CPU) | records/s (CPU) | peak RSS MiB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            src = Path(tmp) / f"dialogs-{n}.jsonl"
            t0 = time.perf_counter()
            make_dialogs(src, n)
            mb = src.stat().st_size / 2**20
            print(
                f"<!-- made {n} dialogs ({mb:.1f} MiB) in {time.perf_counter() - t0:.1f} s -->",
                file=sys.stderr,
            )
            for label, formats in (("openai+sharegpt+trl-sft+hermes", jsonl), ("hf", ["hf"])):
                kept, records, dt, cpu, rss = measure(src, Path(tmp) / f"out-{n}-{label[:2]}", formats)
                print(
                    f"| {n:,} | {label} | {records:,} | {dt:.2f} | {cpu:.2f} | {kept / cpu:,.0f} | "
                    f"{records / cpu:,.0f} | {rss:.0f} |"
                )


if __name__ == "__main__":
    main()
