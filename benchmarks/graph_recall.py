"""How well the tool graph finds real producer → consumer pairs.

Gold pairs come from nested-call data: NESTFUL tasks label which output field of which call feeds an argument of a
later call (`"$var1.skyId$"`), and Seal-Tools nested queries pass `"API_call_N"` placeholders. The graph is built
over each split's tool spec (loaded through the project's catalog loader) and a gold pair counts as recalled when
the graph has a return→parameter edge from the producer tool to the consumer tool. Pairs of a tool with itself and
pairs naming a tool missing from the spec cannot be edges and are left out (counted in the table).

A graph linking everything would have perfect recall and no use, so the mean out-degree of return→parameter edges
is printed beside it, together with the parameter↔parameter degree. Tables: the default recipe, the same without
the generic-field rule, a few ablations, and the plain ToolFlow-style baseline of the issue.

Run: python benchmarks/graph_recall.py [--catalogs DIR] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from toolsynth.catalog.load import load_catalog  # noqa: E402
from toolsynth.graph.build import build_graph, make_embedder  # noqa: E402
from toolsynth.graph.config import GraphConfig  # noqa: E402
from toolsynth.graph.edges import normalize_name  # noqa: E402

NESTFUL_SPLITS = {
    "executable": ("nestful/executable/executable-spec.json", "nestful/executable/executable-data.json"),
    "glaive": (
        "nestful/non-executable/non-executable-glaive-spec.json",
        "nestful/non-executable/non-executable-glaive-data.json",
    ),
    "sgd": (
        "nestful/non-executable/non-executable-sgd-spec.json",
        "nestful/non-executable/non-executable-sgd-data.json",
    ),
}
SEAL = ("seal-tools/tool_sample.jsonl", "seal-tools/queries_sample35.jsonl")
_VAR = re.compile(r"\$(var\d+)(?:\.([^$]*))?\$")


def _strings(v: object):
    if isinstance(v, str):
        yield v
    elif isinstance(v, list):
        for x in v:
            yield from _strings(x)
    elif isinstance(v, dict):
        for x in v.values():
            yield from _strings(x)


def _co_used(groups: list[set[str]]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for g in groups for a in g for b in g if a != b}


def nestful_gold(path: Path) -> tuple[set[tuple[str, str]], set[frozenset[str]]]:
    """(producer, consumer) original tool names: a later call's argument refers to an earlier call's output;
    and the unordered pairs of tools called in one task."""
    pairs = set()
    groups = []
    for task in json.loads(path.read_text()):
        groups.append({c["name"] for c in task["output"] if c["name"] != "var_result"})
        label_of: dict[str, str] = {}
        for call in task["output"]:
            if call["name"] != "var_result":
                for s in _strings(call.get("arguments", {})):
                    for m in _VAR.finditer(s):
                        if m.group(1) in label_of:
                            pairs.add((label_of[m.group(1)], call["name"]))
            if "label" in call:
                label_of[call["label"]] = call["name"]
    return pairs, _co_used(groups)


def seal_gold(path: Path) -> tuple[set[tuple[str, str]], set[frozenset[str]]]:
    pairs = set()
    groups = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        q = json.loads(line)
        groups.append({c["api"] for c in q["calling"]})
        owner = {r: c["api"] for c in q["calling"] for r in c.get("responses", [])}
        for c in q["calling"]:
            for s in _strings(c.get("parameters", {})):
                for m in re.finditer(r"API_call_\d+", s):
                    if m.group(0) in owner:
                        pairs.add((owner[m.group(0)], c["api"]))
    return pairs, _co_used(groups)


def score(build, gold: set[tuple[str, str]]) -> dict:
    tools = build.graph.tools
    by_original = defaultdict(set)
    for name, t in tools.items():
        by_original[t.original_name].add(name)
        by_original[name].add(name)
    usable = [(a, b) for a, b in sorted(gold) if a != b and a in by_original and b in by_original]
    rp = {(e.source, e.target) for e in build.graph.edges if e.kind == "return_param"}
    pp = [e for e in build.graph.edges if e.kind == "param_param"]
    hit = sum(1 for a, b in usable if any((x, y) in rp for x in by_original[a] for y in by_original[b]))
    n = len(tools)
    return {
        "tools": n,
        "gold": len(gold),
        "usable": len(usable),
        "hit": hit,
        "recall": hit / len(usable) if usable else float("nan"),
        "out_degree": len(rp) / n,
        "pp_degree": 2 * len(pp) / n,
    }


def table(title: str, rows: dict[str, dict], micro_over: tuple[str, ...]) -> None:
    print(f"\n{title}")
    print(
        f"{'split':<12}{'tools':>6}{'gold':>6}{'usable':>8}{'hit':>6}{'recall':>8}{'out-deg':>9}{'pp-deg':>8}"
    )
    for name, r in rows.items():
        print(
            f"{name:<12}{r['tools']:>6}{r['gold']:>6}{r['usable']:>8}{r['hit']:>6}{r['recall']:>8.3f}"
            f"{r['out_degree']:>9.2f}{r['pp_degree']:>8.2f}"
        )
    sel = [rows[k] for k in micro_over if k in rows]
    hit, use = sum(r["hit"] for r in sel), sum(r["usable"] for r in sel)
    tools = sum(r["tools"] for r in sel)
    od = sum(r["out_degree"] * r["tools"] for r in sel) / tools
    pp = sum(r["pp_degree"] * r["tools"] for r in sel) / tools
    print(
        f"{'micro(' + '+'.join(s[:4] for s in micro_over) + ')':<32}{hit:>6}{hit / use:>8.3f}{od:>9.2f}{pp:>8.2f}"
        f"   (macro recall {np.mean([r['recall'] for r in sel]):.3f})"
    )


def generic_evidence(name: str, build_without, generic: dict[str, int], co_used: set[frozenset[str]]) -> str:
    """Why the generic rule: parameter↔parameter edges are meant to join tools used together (ToolFlow), so check
    how often an edge's two tools are called in one task, for edges a generic name causes and for the rest."""
    tools = build_without.graph.tools
    gen, other = [], []
    for e in build_without.graph.edges:
        if e.kind != "param_param":
            continue
        f = normalize_name(e.reason["source_field"].split(":", 1)[1].replace("[]", "").rsplit(".", 1)[-1])
        pair = frozenset((tools[e.source].original_name, tools[e.target].original_name))
        (gen if f in generic else other).append(pair in co_used)
    if not gen:
        return f"    no parameter↔parameter edge is caused by a generic name ({len(other)} edges)"
    rate = f"{np.mean(other):.2f}" if other else "n/a"
    return (
        f"    without the rule {len(gen)} of {len(gen) + len(other)} param↔param edges come from generic names; "
        f"{np.mean(gen):.2f} of those join tools used in one task, vs {rate} of the other edges"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalogs", type=Path, default=ROOT / ".." / "shared" / "catalogs")
    ap.add_argument(
        "--cache-dir", type=Path, default=None, help="embedding cache (default: a fresh temp dir)"
    )
    args = ap.parse_args()
    cats = args.catalogs.resolve()
    tmp = tempfile.TemporaryDirectory()
    cache = args.cache_dir or Path(tmp.name)

    datasets = {}
    co_used = {}
    for split, (spec, data) in NESTFUL_SPLITS.items():
        gold, co_used[split] = nestful_gold(cats / data)
        datasets[split] = (load_catalog(cats / spec).tools, gold)
    gold, co_used["seal"] = seal_gold(cats / SEAL[1])
    datasets["seal"] = (load_catalog(cats / SEAL[0]).tools, gold)

    base = GraphConfig()
    base.embedding.cache_dir = str(cache)
    embedder = make_embedder(base)

    def run(cfg: GraphConfig) -> dict[str, dict]:
        out = {}
        for split, (tools, gold) in datasets.items():
            b = build_graph(tools, cfg, embedder=embedder)
            out[split] = score(b, gold)
        return out

    t0 = time.perf_counter()
    default = run(base)
    t_default = time.perf_counter() - t0
    splits3 = ("executable", "glaive", "sgd")
    table("default recipe (with the generic-field rule)", default, splits3)

    no_generic = base.model_copy(deep=True)
    no_generic.generic.enabled = False
    table("without the generic-field rule", run(no_generic), splits3)

    print("\ngeneric fields found (tools carrying them) and what they would add:")
    for split, (tools, _) in datasets.items():
        with_rule = build_graph(tools, base, embedder=embedder)
        without = build_graph(tools, no_generic, embedder=embedder)
        generic = with_rule.report["generic_fields"]
        names = ", ".join(f"{k} ({v})" for k, v in list(generic.items())[:8])
        print(f"  {split}: {names or 'none'}")
        print(generic_evidence(split, without, generic, co_used[split]))

    # One catalog made of all four: generic names now join tools of unrelated sources, which is the flood the rule
    # is for. An edge between two sources can never be a pair used in one task.
    merged, source_of = [], {}
    for split, (tools, _) in datasets.items():
        for t in tools:
            name = t.name if t.name not in source_of else f"{t.name[:50]}_{split}"
            merged.append(t.model_copy(update={"name": name}))
            source_of[name] = split
    no_ctx = base.model_copy(deep=True)
    no_ctx.embedding.context_weight = 0.0
    no_ctx_no_generic = no_ctx.model_copy(deep=True)
    no_ctx_no_generic.generic.enabled = False
    for label, cfg in (
        ("with the rule", base),
        ("without the rule", no_generic),
        ("no tool context, with the rule", no_ctx),
        ("no tool context, without the rule", no_ctx_no_generic),
    ):
        b = build_graph(merged, cfg, embedder=embedder)
        pp = [e for e in b.graph.edges if e.kind == "param_param"]
        cross = sum(1 for e in pp if source_of[e.source] != source_of[e.target])
        print(
            f"  all four merged ({len(merged)} tools), {label}: {len(pp)} param↔param edges, {cross} join tools of "
            f"different sources; {b.report['candidates'].get('param_param', 0)} candidate field pairs"
        )
        if cfg is base:
            print(
                "    generic: "
                + ", ".join(f"{k} ({v})" for k, v in list(b.report["generic_fields"].items())[:10])
            )

    print("\nablations (micro recall over executable+glaive+sgd @ mean return→param out-degree):")
    variants = {
        "default": base,
        "no payload rule": base.model_copy(deep=True, update={}),
        "no tool context": base.model_copy(deep=True),
        "no type check": base.model_copy(deep=True),
        "max_out 5": base.model_copy(deep=True),
        "max_out 12": base.model_copy(deep=True),
    }
    variants["no payload rule"].return_param.payload_rule = False
    variants["no tool context"].embedding.context_weight = 0.0
    variants["no type check"].return_param.type_check = False
    variants["max_out 5"].return_param.max_out = 5
    variants["max_out 12"].return_param.max_out = 12
    for name, cfg in variants.items():
        rows = default if name == "default" else run(cfg)
        sel = [rows[s] for s in splits3]
        hit, use = sum(r["hit"] for r in sel), sum(r["usable"] for r in sel)
        od = sum(r["out_degree"] * r["tools"] for r in sel) / sum(r["tools"] for r in sel)
        per = " ".join(f"{s[:4]} {rows[s]['recall']:.2f}" for s in splits3)
        print(f"  {name:<18} micro {hit / use:.3f} @ {od:.2f}   ({per}; seal {rows['seal']['recall']:.2f})")

    plain = GraphConfig()
    plain.embedding.cache_dir = str(cache)
    plain.embedding.context_weight = 0.0
    plain.generic.enabled = False
    plain.param_param.enabled = False
    rpc = plain.return_param
    rpc.type_check = False
    rpc.payload_rule = False
    rpc.optional_weight = 1.0
    rpc.min_score = 0.5
    rpc.max_out = 10_000
    rpc.candidates = 512
    table("plain ToolFlow-style baseline (field text only, cosine >= 0.5, no caps)", run(plain), splits3)
    print(f"\ndefault recipe over the four catalogs built in {t_default:.2f}s (embedding cache {cache})")


if __name__ == "__main__":
    main()
