"""Do MAGNET plans over the BFCL classes run? Measured by an executor of its own, not by the dry run that built them.

For each plan: fresh bfcl-eval class instances, loaded from the plan's own `backend.initial_config` with BFCL's own
`_load_scenario` (no toolsynth backend code involved); then every planned call in turn order, exactly as planned,
with each `depends_on` value read from the real result of the call it names (a path resolver written here, not
toolsynth's). A call fails when it raises or answers `{"error": ...}`.

Printed per catalog:
  runs        plans whose calls all run (target >= 98 %), and calls that fail
  deps        arguments for which an earlier call's real output holds a field of the same name, and the share of
              them that the plan declares as `depends_on` (target >= 95 %)
  hubs        the most used tool's share of plans vs a fair share (plans x mean tools per plan / tools; target <= 2x),
              and the top tools
  speed       plans/s of sample-plans with the dry run, CPU time on one core (target >= 500/s)

Catalogs: `tool_catalogs/bfcl` (the bundled travel + file-system tools the issue measured) and the 8 core
executable classes of ../shared/catalogs/bfcl/multi_turn_func_doc. Graphs from exact field-name matches (as the
plans tests build them; no embedding model), or `--graph DIR` for a build-graph output.

Run: python benchmarks/plan_executability.py [-n 1000] [--seed 11] [--catalog PATH ...] [--graph DIR]
"""

from __future__ import annotations

import argparse
import copy
import importlib
import platform
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "plans"))

from toolsynth.plans.config import PlansConfig  # noqa: E402
from toolsynth.plans.sample import PlanSampler  # noqa: E402

CATALOGS = [
    ROOT / "tool_catalogs" / "bfcl",
    ROOT / ".." / "shared" / "catalogs" / "bfcl" / "multi_turn_func_doc",
]
MODULES = {
    "GorillaFileSystem": "gorilla_file_system",
    "MathAPI": "math_api",
    "MessageAPI": "message_api",
    "TwitterAPI": "posting_api",
    "TicketAPI": "ticket_api",
    "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking",
    "VehicleControlAPI": "vehicle_control",
}
STATELESS = {"MathAPI"}
_BASE = "bfcl_eval.eval_checker.multi_turn_eval.func_source_code."


def instances(backend: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for cls in backend["classes"]:
        inst = getattr(importlib.import_module(_BASE + MODULES[cls]), cls)()
        if cls not in STATELESS:
            inst._load_scenario(
                copy.deepcopy(backend["initial_config"].get(cls, {})),
                long_context=bool(backend.get("long_context")),
            )
        out[cls] = inst
    return out


_STEP = re.compile(r'\.?([^.\[\]"]+)|\[(\d*)\]|\["([^"]*)"\]')


def lookup(output: Any, path: str) -> Any:
    """`a.b`, `a[0]`, `a.0`, `a[]` (first), `a["k.x"]`, "" = whole output. Raises KeyError when absent."""
    cur = output
    for key, index, quoted in _STEP.findall(path):
        if quoted:
            cur = cur[quoted]
        elif key:
            cur = cur[key] if isinstance(cur, dict) else cur[int(key)]
        else:
            cur = cur[int(index) if index else 0]
    return cur


def leaf_names(output: Any, depth: int = 0) -> set[str]:
    out: set[str] = set()
    if depth > 4:
        return out
    if isinstance(output, dict):
        for k, v in output.items():
            if not isinstance(v, dict | list):
                out.add(str(k))
            out |= leaf_names(v, depth + 1)
    elif isinstance(output, list):
        for v in output[:8]:
            out |= leaf_names(v, depth + 1)
    return out


def error_of(raw: Any) -> str | None:
    if isinstance(raw, dict) and raw.get("error") not in (None, "", False):
        return str(raw["error"])
    return None


def check(
    plan: dict[str, Any], owner: dict[str, str], tally: Counter, failures: Counter, deps: Counter
) -> bool:
    objs = instances(plan["backend"])
    results: dict[str, Any] = {}
    seen_names: set[str] = set()  # output field names of the calls of earlier turns
    ok = True
    for turn in plan["turns"]:
        turn_names: set[str] = set()
        for call in turn["expected"]["calls"]:
            tool = plan["tool_defs"][call["tool"]]
            args = dict(call["arguments"])
            for d in call["depends_on"]:
                try:
                    args[d["arg"]] = lookup(results[d["call"]], d["field"])
                except (KeyError, IndexError, ValueError, TypeError):
                    tally["unresolved_deps"] += 1
                    ok = False
            declared = {d["arg"] for d in call["depends_on"]}
            for a in args:
                if a in seen_names:
                    deps["same_named"] += 1
                    deps["declared"] += a in declared
                    if a not in declared:
                        deps[f"miss:{call['tool']}.{a}"] += 1
            cls = owner.get(tool["original_name"])
            tally["calls"] += 1
            try:
                raw = getattr(objs[cls], tool["original_name"])(**args)
                err = error_of(raw)
            except Exception as exc:  # noqa: BLE001 - any failure of the real class counts
                raw, err = None, f"{type(exc).__name__}: {exc}"
            if err is not None:
                ok = False
                tally["failed_calls"] += 1
                failures[(call["tool"], err[:70])] += 1
            results[call["id"]] = raw
            turn_names |= leaf_names(raw)
        seen_names |= turn_names
    return ok


def owners() -> dict[str, str]:
    import orjson
    from bfcl_eval.constants.executable_backend_config import MULTI_TURN_FUNC_DOC_FILE_MAPPING

    data = Path(importlib.import_module("bfcl_eval").__file__).parent / "data" / "multi_turn_func_doc"
    out: dict[str, str] = {}
    for cls in MODULES:
        for line in (data / MULTI_TURN_FUNC_DOC_FILE_MAPPING[cls]).read_bytes().splitlines():
            if line.strip():
                out.setdefault(orjson.loads(line)["name"], cls)
    return out


def measure(catalog: Path, n: int, seed: int, graph_dir: Path | None) -> dict[str, Any]:
    from plan_graphs import lexical_graph

    from toolsynth.catalog.load import load_catalog
    from toolsynth.graph.store import load_graph
    from toolsynth.integrations.bfcl.states import bfcl_initial_configs

    tools = load_catalog(catalog).tools
    if catalog.name == "multi_turn_func_doc":
        # The executable classes only (memory and web-search docs sit in the same folder).
        tools = [t for t in tools if Path(t.provenance.source_file).stem in set(MODULES.values())]
    graph = load_graph(graph_dir) if graph_dir else lexical_graph(tools)
    bfcl_initial_configs()  # parsed once per process
    sampler = PlanSampler(graph, PlansConfig(n=n), strategy="magnet", seed=seed)
    t0 = time.process_time()
    outcomes = list(sampler.magnet_plans())
    cpu = time.process_time() - t0
    plans = [o.record for o in outcomes if o.record is not None]
    owner = owners()
    tally: Counter = Counter()
    failures: Counter = Counter()
    deps: Counter = Counter()
    running = sum(check(p, owner, tally, failures, deps) for p in plans if p["backend"])
    with_backend = sum(1 for p in plans if p["backend"])
    used: Counter = Counter()
    for p in plans:
        used.update({c["tool"] for t in p["turns"] for c in t["expected"]["calls"]})
    slots = sum(used.values())
    fair = slots / len(graph.tools)
    top = used.most_common(5)
    return {
        "catalog": catalog,
        "tools": len(graph.tools),
        "plans": len(plans),
        "rejects": len(outcomes) - len(plans),
        "with_backend": with_backend,
        "running": running,
        "tally": tally,
        "failures": failures,
        "deps": deps,
        "fair": fair,
        "top": top,
        "rate": len(outcomes) / cpu if cpu else float("inf"),
        "dry": dict(sampler.dry_stats),
    }


def report(r: dict[str, Any]) -> None:
    name = (
        r["catalog"].resolve().relative_to(ROOT.parent)
        if ROOT.parent in r["catalog"].resolve().parents
        else r["catalog"]
    )
    print(f"\n== {name}: {r['tools']} tools, {r['plans']} plans ({r['rejects']} rejected)")
    wb, ok, t = r["with_backend"], r["running"], r["tally"]
    print(
        f"  runs   {ok}/{wb} plans run every call ({ok / max(wb, 1):.1%}; target >= 98%); "
        f"{t['failed_calls']}/{t['calls']} calls fail, {t['unresolved_deps']} dependencies do not resolve"
    )
    for (tool, err), k in r["failures"].most_common(5):
        print(f"         {k:>4}  {tool}: {err}")
    d = r["deps"]
    print(
        f"  deps   {d['declared']}/{d['same_named']} arguments with a same-named earlier output are dependencies "
        f"({d['declared'] / max(d['same_named'], 1):.1%}; target >= 95%)"
    )
    top_tool, top_n = r["top"][0]
    print(
        f"  hubs   top tool {top_tool} in {top_n} plans = {top_n / r['fair']:.2f}x a fair share ({r['fair']:.1f}; "
        f"target <= 2x); next: " + ", ".join(f"{n} {k}" for n, k in r["top"][1:4])
    )
    print(
        f"  speed  {r['rate']:,.0f} plans/s with the dry run, one core CPU time (target >= 500/s); dry run: "
        f"{r['dry']['calls']:,} calls, {r['dry']['failed_draws']:,} draws refused, "
        f"{r['dry']['failed_plans']} skeletons given up"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--catalog", type=Path, action="append", default=None)
    ap.add_argument("--graph", type=Path, default=None)
    args = ap.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.n:,} MAGNET plans, seed {args.seed}"
    )
    for catalog in args.catalog or CATALOGS:
        report(measure(catalog, args.n, args.seed, args.graph))


if __name__ == "__main__":
    main()
