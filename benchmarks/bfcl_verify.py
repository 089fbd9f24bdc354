"""`toolsynth verify` against data no one here wrote: BFCL's own multi-turn ground truth.

Every entry of `BFCL_v4_multi_turn_<category>.json` + `possible_answer/` (installed `bfcl-eval` package) becomes a
canonical dialog: call strings parsed with `ast` (never `eval`), tools = func docs of `involved_classes` minus
`excluded_function` through the catalog loader, results recorded by running the calls on the real classes. Then
`toolsynth verify` (the CLI, `--json`) is run on

- the ground truth: target ≥ 99 % of turns accepted on format and on execution;
- rule-corrupted copies, one broken call per copy: wrong function (a BFCL function not offered), wrong type,
  missing required argument: target ≥ 95 % of copies rejected (format or execution fails);
- two harder corruptions, reported without a target: another offered function with the same arguments, and a value
  of the right type naming nothing that exists.

Usage: python benchmarks/bfcl_verify.py [--category base|long_context] [--limit N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from toolsynth.synth import bfcl_gold
from toolsynth.synth.record import Dialog


def write(path: Path, dialogs: list[Dialog]) -> None:
    path.write_bytes(b"".join(orjson.dumps(d.to_record()) + b"\n" for d in dialogs))


def verify(path: Path, annotated: Path) -> tuple[dict[str, Any], float]:
    exe = shutil.which("toolsynth")
    cmd = [exe] if exe else [sys.executable, "-m", "toolsynth"]
    cmd += ["verify", str(path), "--checks", "format,execution", "--json", "--fail-under", "0"]
    cmd += ["--annotated", str(annotated)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return orjson.loads(out.stdout), time.perf_counter() - t0


def rejections(annotated: Path) -> tuple[set[str], int, int]:
    """Rejected record ids; how many format caught; how many only execution caught (format passed everywhere)."""
    out: set[str] = set()
    by_format = by_execution_only = 0
    for line in annotated.read_bytes().splitlines():
        rec = orjson.loads(line)
        failed = {c["layer"] for c in rec["checks"] if c["passed"] is False}
        if failed & {"format", "execution"}:
            out.add(rec["id"])
            by_format += "format" in failed
            by_execution_only += failed == {"execution"}
    return out, by_format, by_execution_only


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--category", default="base", choices=["base", "long_context"])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    t0 = time.perf_counter()
    gold = list(bfcl_gold.gold_dialogs(args.category, args.limit))
    foreign = bfcl_gold.foreign_functions()
    convert_s = time.perf_counter() - t0
    n_turns = sum(len(d.turns) for d in gold)
    n_calls = sum(len(m.tool_calls) for d in gold for m in d.messages)
    no_call = sum(1 for d in gold for t in d.turns if t.expected != "call")
    print(
        f"BFCL multi_turn_{args.category}: {len(gold)} entries, {n_turns} turns ({no_call} with no gold call), "
        f"{n_calls} calls; converted in {convert_s:.1f} s"
    )

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        write(tmpd / "gold.jsonl", gold)
        rep, secs = verify(tmpd / "gold.jsonl", tmpd / "gold.annotated.jsonl")
        print(f"\nground truth ({secs:.1f} s for `toolsynth verify`):")
        for layer in ("format", "execution"):
            c = rep["layers"][layer]
            applicable = c["turns_passed"] + c["turns_failed"]
            rate = c["turns_passed"] / applicable if applicable else 1.0
            # A turn with nothing to run (no gold call) counts as accepted: verify rejects nothing in it.
            accepted = (c["turns_passed"] + c["turns_not_applicable"]) / n_turns
            hit = accepted >= 0.99
            ok &= hit
            print(
                f"  {layer:<9} turns accepted {accepted:7.2%} ({n_turns - c['turns_failed']}/{n_turns}); "
                f"of turns with calls {rate:7.2%} ({c['turns_passed']}/{applicable})  "
                f"target >= 99%: {'met' if hit else 'NOT MET'}"
            )
        print(f"  records accepted {rep['records_passed']}/{rep['records']}")
        for f in rep["failing"]:
            for x in f["failures"]:
                print(f"    rejected {f['id']} turn {x['turn']} [{x['layer']}]: {x['reason']}")

        print("\nrule-corrupted copies (one broken call each; rejected = format or execution fails):")
        for rule in (*bfcl_gold.CORRUPTIONS, *bfcl_gold.EXTRA_CORRUPTIONS):
            rng = random.Random(f"{args.seed}:{rule}")
            copies = [c for d in gold if (c := bfcl_gold.corrupt(d, rule, rng, foreign)) is not None]
            if not copies:
                print(f"  {rule:<17} no eligible call")
                continue
            write(tmpd / f"{rule}.jsonl", copies)
            rep, secs = verify(tmpd / f"{rule}.jsonl", tmpd / f"{rule}.annotated.jsonl")
            rejected, by_format, by_exec = rejections(tmpd / f"{rule}.annotated.jsonl")
            assert len(rejected) == rep["records_failed"]
            rate = len(rejected) / len(copies)
            target = rule in bfcl_gold.CORRUPTIONS
            hit = rate >= 0.95
            if target:
                ok &= hit
            verdict = ("met" if hit else "NOT MET") if target else "no target"
            print(
                f"  {rule:<17} rejected {rate:7.2%} ({len(rejected)}/{len(copies)}; "
                f"{len(gold) - len(copies)} entries had no eligible call); caught by format {by_format}, "
                f"by execution alone {by_exec}  target >= 95%: {verdict}"
            )
    print(f"\nall targets met: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
