"""make-preferences on BFCL dialogs made with the scripted model: pairs per dialog, share per kind and error class,
the accidentally-correct rate, rule negatives per second on one core, and peak memory at two input sizes.

Setup (cached in --workdir): the BFCL multi-turn function docs (../shared/catalogs/bfcl/multi_turn_func_doc, 162
tools) → tool graph → MAGNET plans (sample-plans, no model) → dialogs synthesized with the scripted model that
follows the plan's hints (tests/synth/bfcl_plan_fixtures.py), every call executed on the real BFCL classes. Where
the scripted assistant cannot read a hint, it answers with its default (a schema-valid call of some offered tool),
so some turns fail a check and are regenerated: those failed attempts are the regeneration negatives.

Then:
- all three kinds (the hint-free assistant is the scripted model without hint: it picks a tool on its own);
- rules only, sequentially in this process (one core: BFCL classes and the checks are single-threaded Python): rule
  negatives proven per second, no model called;
- `toolsynth make-preferences --kinds rule` in a subprocess on N and 4N dialogs (the file repeated with new ids):
  peak RSS of each.

    python benchmarks/preferences.py [--plans 130] [--workdir /tmp/toolsynth-prefs-bench]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "synth"))
CATALOG = ROOT / ".." / "shared" / "catalogs" / "bfcl" / "multi_turn_func_doc"


def install_model() -> None:
    """The hint-following scripted model; a hint it cannot parse falls through to the default answer."""
    import bfcl_plan_fixtures as fx

    from toolsynth.testing.scripted import ScriptedModel

    def lenient(req):  # type: ignore[no-untyped-def]
        try:
            return fx.follow_hint(req)
        except (AttributeError, ValueError, KeyError, IndexError, TypeError):
            return None

    ScriptedModel.add_rule(lambda r: fx._hint_of(r) is not None and r.tools is not None, lenient)
    ScriptedModel.add_rule(fx.judge_approves, fx.judge_approves)
    ScriptedModel.add_rule(fx.is_user_request, fx.plain_user)


def setup(workdir: Path, n_plans: int) -> Path:
    dialogs = workdir / "out" / "dialogs.jsonl"
    if dialogs.exists():
        return dialogs
    workdir.mkdir(parents=True, exist_ok=True)
    recipe = workdir / "recipe.yaml"
    recipe.write_text(
        "name: prefs-bench\nstrategy: magnet\nseed: 3\n"
        f"catalog: {CATALOG.resolve()}\noutput_dir: out\n"
        "llm: {model: scripted/good, concurrency: 16, cache: false}\n"
        f"graph: {{embedding: {{cache_dir: {ROOT / '.toolsynth-cache' / 'embeddings'}}}}}\n"
        f"plans: {{n: {n_plans}}}\n"
    )
    import typer

    from toolsynth.cli import app

    install_model()
    cmd = typer.main.get_command(app)
    cmd.main(args=["run", str(recipe), "--until", "synthesize"], prog_name="toolsynth", standalone_mode=False)
    return dialogs


def load(path: Path) -> list:
    from toolsynth.artifacts import read_artifact
    from toolsynth.synth.record import Dialog

    return [Dialog.from_record(r) for r in read_artifact(path, "dialog")]


def all_kinds(dialogs: list) -> dict:
    from toolsynth.llm.config import LLMConfig, ModelSettings
    from toolsynth.llm.gateway import Gateway
    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.prefs.run import PrefsContext, PrefsSummary, pairs_for_dialog

    llm = LLMConfig(
        model="scripted/good", cache=False, roles={"negative": ModelSettings(model="scripted/neg")}
    )
    ctx = PrefsContext(PrefsConfig(), gateway=Gateway(llm, stage="make-preferences"))
    summary = PrefsSummary()

    async def go() -> None:
        for d in dialogs:
            summary.add((await pairs_for_dialog(d, ctx)).to_record())

    asyncio.run(go())
    return summary.to_record()


def rule_rate(dialogs: list) -> dict:
    from toolsynth.prefs.config import PrefsConfig
    from toolsynth.prefs.run import PrefsContext, pairs_for_dialog

    ctx = PrefsContext(PrefsConfig(kinds=["rule"], per_dialog=None), gateway=None)
    proven = candidates = 0

    async def go() -> None:
        nonlocal proven, candidates
        for d in dialogs:
            res = await pairs_for_dialog(d, ctx)
            k = res.stats["by_kind"]["rule"]
            proven += k["proven"]
            candidates += k["candidates"]

    asyncio.run(go())  # warm-up: imports, BFCL classes, validators
    proven = candidates = 0
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    asyncio.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "dialogs": len(dialogs),
        "rule_candidates": candidates,
        "rule_negatives_proven": proven,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "proven_per_s": round(proven / wall, 1),
        "candidates_per_s": round(candidates / wall, 1),
        # the machine is shared: CPU seconds of this (single-threaded) process are what one core spent
        "proven_per_cpu_s": round(proven / cpu, 1),
        "candidates_per_cpu_s": round(candidates / cpu, 1),
    }


RSS = (
    "import resource, sys\n"
    "from toolsynth.cli import main\n"
    "sys.argv = ['toolsynth', *sys.argv[1:]]\n"
    "try:\n    main()\n"
    "finally:\n"
    "    sys.stderr.write('PEAK_RSS_KB %d\\n' % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
)


def peak_rss(dialogs_path: Path, copies: int, workdir: Path) -> dict:
    """make-preferences --kinds rule on the dialogs repeated `copies` times (new ids), in its own process."""
    import orjson

    from toolsynth.artifacts import ArtifactWriter, read_artifact

    big = workdir / f"dialogs-x{copies}.jsonl"
    n = 0
    with ArtifactWriter(big, "dialog") as w:
        for k in range(copies):
            for rec in read_artifact(dialogs_path, "dialog"):
                w.write({**rec, "id": f"{rec['id']}-{k}"})
                n += 1
    out = workdir / f"prefs-x{copies}.jsonl"
    for p in (out, out.with_name(out.name + ".partial")):
        p.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RSS, "make-preferences", str(big), "-o", str(out), "--kinds", "rule", "--json",
         "--concurrency", "1", "--model", "scripted/good", "--no-cache"],
        capture_output=True, text=True, env=env, timeout=3600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    kb = next(int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB"))
    summary = orjson.loads(proc.stdout)
    return {
        "dialogs": n,
        "pairs": summary["pairs"],
        "output_mib": round(out.stat().st_size / 2**20, 1),
        "peak_rss_mib": round(kb / 1024, 1),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plans", type=int, default=130)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/toolsynth-prefs-bench"))
    ap.add_argument("--rss-copies", type=int, nargs=2, default=[1, 4])
    args = ap.parse_args()
    dialogs_path = setup(args.workdir, args.plans)
    install_model()
    dialogs = load(dialogs_path)
    print(f"dialogs: {len(dialogs)} accepted BFCL dialogs ({dialogs_path})")
    result = {"dialogs": len(dialogs), "all_kinds": all_kinds(dialogs), "rules_one_core": rule_rate(dialogs)}
    result["memory"] = [peak_rss(dialogs_path, c, args.workdir) for c in args.rss_copies]
    a = result["all_kinds"]
    print(f"pairs: {a['pairs']} ({a['pairs_per_dialog']} per dialog, per_dialog cap 4)")
    total = a["pairs"] or 1
    for kind, c in a["by_kind"].items():
        print(
            f"  {kind:<13} kept {c['kept']:>5} ({c['kept'] / total:6.1%})  candidates {c['candidates']:>5}  "
            f"accidentally correct {c['accidentally_correct']:>4}"
        )
    for err, n in sorted(a["by_error"].items(), key=lambda kv: -kv[1]):
        print(f"  {err:<26} {n:>5} ({n / total:6.1%})")
    print(
        f"accidentally correct: {a['accidentally_correct']} of {a['candidates']} ({a['accidentally_correct_rate']:.1%})"
    )
    r = result["rules_one_core"]
    print(
        f"rules, one core: {r['rule_negatives_proven']} proven of {r['rule_candidates']} in {r['seconds']} s "
        f"= {r['proven_per_s']}/s wall; {r['cpu_seconds']} CPU s = {r['proven_per_cpu_s']}/s per core "
        f"({r['candidates_per_cpu_s']} candidates/s)"
    )
    for m in result["memory"]:
        print(
            f"memory: {m['dialogs']} dialogs → {m['pairs']} pairs ({m['output_mib']} MiB): peak RSS {m['peak_rss_mib']} MiB"
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
