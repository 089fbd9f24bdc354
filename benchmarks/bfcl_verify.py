"""`toolsynth verify` against data no one here wrote: BFCL's own multi-turn ground truth.

Every entry of `BFCL_v4_multi_turn_<category>.json` + `possible_answer/` (installed `bfcl-eval` package) becomes a
canonical dialog: call strings parsed with `ast` (never `eval`), tools = func docs of `involved_classes` minus
`excluded_function` through the catalog loader, results recorded by running the calls on the real classes. Then
`toolsynth verify` (the CLI, `--json`) is run on

- the ground truth: target ≥ 99 % of turns accepted on format and on execution;
- rule-corrupted copies, one broken call per copy: wrong function (a BFCL function not offered), wrong type,
  missing required argument: target ≥ 95 % of copies rejected (format or execution fails);
- two harder corruptions: another offered function with the same arguments (no target), and a value of the right
  type naming nothing that exists (target >= 90 % rejected once adherence to the plan is checked).

Each file is verified twice: on format and execution alone ("before"), and with adherence to the plan the ground
truth realises ("after", `--plans`: per turn the gold calls and their values), as `synthesize` checks its own
dialogs. The uncorrupted ground truth must not lose accepted records to the added layer.

Usage: python benchmarks/bfcl_verify.py [--category base|long_context] [--limit N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from toolsynth.integrations.bfcl import gold as bfcl_gold
from toolsynth.synth.record import Dialog


def write(path: Path, dialogs: list[Dialog]) -> None:
    path.write_bytes(b"".join(orjson.dumps(d.to_record()) + b"\n" for d in dialogs))


def verify(path: Path, annotated: Path, plans: Path | None = None) -> tuple[dict[str, Any], float]:
    """`toolsynth verify` as a user runs it; with `plans`, adherence to the ground-truth plan is checked too."""
    cmd = [sys.executable, "-m", "toolsynth"]
    checks = "format,execution,adherence" if plans else "format,execution"
    cmd += ["verify", str(path), "--checks", checks, "--json", "--fail-under", "0"]
    cmd += ["--annotated", str(annotated)]
    if plans:
        cmd += ["--plans", str(plans)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return orjson.loads(out.stdout), time.perf_counter() - t0


def rejections(annotated: Path) -> tuple[set[str], int, int, int]:
    """Rejected record ids; how many format caught; how many only execution caught; how many only adherence."""
    out: set[str] = set()
    by_format = by_execution_only = by_adherence_only = 0
    for line in annotated.read_bytes().splitlines():
        rec = orjson.loads(line)
        failed = {c["layer"] for c in rec["checks"] if c["passed"] is False}
        if failed & {"format", "execution", "adherence"}:
            out.add(rec["id"])
            by_format += "format" in failed
            by_execution_only += failed == {"execution"}
            by_adherence_only += failed == {"adherence"}
    return out, by_format, by_execution_only, by_adherence_only


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

    plans = [bfcl_gold.gold_plan(d) for d in gold]
    for d, p in zip(gold, plans, strict=True):
        d.plan_id = p.id  # corrupted copies keep it: the plan says what the ground truth did

    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        tmpd = Path(tmp)
        plans_file = tmpd / "plans.jsonl"
        plans_file.write_bytes(
            b"".join(orjson.dumps({"schema": "toolsynth.plan/1", **p.to_record()}) + b"\n" for p in plans)
        )
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
        base_accepted = rep["records_passed"]
        print(f"  records accepted {base_accepted}/{rep['records']} (format, execution)")
        for f in rep["failing"]:
            for x in f["failures"]:
                print(f"    rejected {f['id']} turn {x['turn']} [{x['layer']}]: {x['reason']}")
        rep, secs = verify(tmpd / "gold.jsonl", tmpd / "gold.plan.annotated.jsonl", plans_file)
        c = rep["layers"]["adherence"]
        hit = rep["records_passed"] >= base_accepted
        ok &= hit
        print(
            f"  records accepted {rep['records_passed']}/{rep['records']} with adherence to the ground-truth plan "
            f"(adherence turns passed {c['turns_passed']}/{c['turns_passed'] + c['turns_failed']}; {secs:.1f} s)  "
            f"target: no more rejected than without: {'met' if hit else 'NOT MET'}"
        )

        print(
            "\nrule-corrupted copies (one broken call each; rejected = a layer fails), "
            "before = format+execution, after = + adherence to the plan:"
        )
        for rule in (*bfcl_gold.CORRUPTIONS, *bfcl_gold.EXTRA_CORRUPTIONS):
            rng = random.Random(f"{args.seed}:{rule}")
            copies = [c for d in gold if (c := bfcl_gold.corrupt(d, rule, rng, foreign)) is not None]
            if not copies:
                print(f"  {rule:<17} no eligible call")
                continue
            write(tmpd / f"{rule}.jsonl", copies)
            rep, _ = verify(tmpd / f"{rule}.jsonl", tmpd / f"{rule}.annotated.jsonl")
            before, by_format, by_exec, _ = rejections(tmpd / f"{rule}.annotated.jsonl")
            assert len(before) == rep["records_failed"]
            rep, _ = verify(tmpd / f"{rule}.jsonl", tmpd / f"{rule}.plan.annotated.jsonl", plans_file)
            after, _, _, by_adh = rejections(tmpd / f"{rule}.plan.annotated.jsonl")
            assert len(after) == rep["records_failed"]
            rate_before, rate_after = len(before) / len(copies), len(after) / len(copies)
            target = 0.95 if rule in bfcl_gold.CORRUPTIONS else 0.90 if rule == "wrong_value" else None
            hit = target is None or rate_after >= target
            ok &= hit
            verdict = (
                "no target" if target is None else f"target >= {target:.0%}: {'met' if hit else 'NOT MET'}"
            )
            print(
                f"  {rule:<17} rejected before {rate_before:7.2%} ({len(before)}/{len(copies)}; format {by_format}, "
                f"execution alone {by_exec}), after {rate_after:7.2%} ({len(after)}/{len(copies)}; adherence "
                f"alone {by_adh}); {len(gold) - len(copies)} entries had no eligible call  {verdict}"
            )
    print(f"\nall targets met: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
