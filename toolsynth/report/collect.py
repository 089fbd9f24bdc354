"""What a run produced, read back from its output directory into plain numbers (no rendering here).

Reads whatever exists: `tools.jsonl`, `plans.jsonl`, `dialogs.jsonl` (+ rejects), `preferences.jsonl` and the
export directory, through `toolsynth.artifacts` (schema-checked, old dialog versions upgraded). A stage that did
not run is simply absent from the summary; a broken artifact is an InputError naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.artifacts import read_artifact, read_manifest

LAYERS = ("format", "execution", "semantic", "adherence")
CATEGORIES = ("base", "miss_param", "miss_func", "long_context")
EXPORT_DIR = "export"


@dataclass
class RunData:
    out: Path
    stages: list[dict[str, Any]] = field(default_factory=list)  # {stage, artifact, records}
    tools: int | None = None
    plans: list[dict[str, Any]] = field(default_factory=list)
    targets: dict[str, float] = field(default_factory=dict)
    dialogs: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    dialog_manifest: dict[str, Any] | None = None
    preferences: list[dict[str, Any]] | None = None
    exports: dict[str, dict[str, int]] = field(
        default_factory=dict
    )  # format → {file: records, -1 = not JSONL}
    tool_names: list[str] = field(default_factory=list)


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


def load_run(out: Path) -> RunData:
    data = RunData(out=out)
    tools = out / "tools.jsonl"
    if tools.exists():
        data.tool_names = [t["name"] for t in read_artifact(tools, "tool")]
        data.tools = len(data.tool_names)
        data.stages.append({"stage": "catalog", "artifact": "tools.jsonl", "records": data.tools})
    nodes = out / "graph" / "nodes.jsonl"
    if nodes.exists():
        edges = out / "graph" / "edges.jsonl"
        n_edges = sum(1 for _ in read_artifact(edges, "graph_edge")) if edges.exists() else 0
        data.stages.append({"stage": "build-graph", "artifact": "graph/edges.jsonl", "records": n_edges})
    plans = out / "plans.jsonl"
    if plans.exists():
        data.plans = list(read_artifact(plans, "plan"))
        data.stages.append({"stage": "sample-plans", "artifact": "plans.jsonl", "records": len(data.plans)})
        stats = (read_manifest(plans) or {}).get("stats") or {}
        data.targets = {
            c: float(v.get("target") or 0.0)
            for c, v in (stats.get("categories") or {}).items()
            if isinstance(v, dict)
        }
    dialogs = out / "dialogs.jsonl"
    if dialogs.exists():
        data.dialogs = list(read_artifact(dialogs, "dialog"))
        rejects = out / "dialogs.rejects.jsonl"
        data.rejects = list(read_artifact(rejects, "dialog_reject")) if rejects.exists() else []
        data.dialog_manifest = read_manifest(dialogs)
        data.stages.append(
            {
                "stage": "synthesize",
                "artifact": "dialogs.jsonl",
                "records": len(data.dialogs),
                "rejected": len(data.rejects),
            }
        )
    prefs = out / "preferences.jsonl"
    if prefs.exists():
        data.preferences = list(read_artifact(prefs, "preference"))
        data.stages.append(
            {"stage": "make-preferences", "artifact": "preferences.jsonl", "records": len(data.preferences)}
        )
    export = out / EXPORT_DIR
    if export.is_dir():
        for fmt in sorted(p for p in export.iterdir() if p.is_dir()):
            # JSONL files count records; Arrow/Parquet and other files are listed with -1 (not counted here).
            files = {
                str(f.relative_to(fmt)): (_count_lines(f) if f.suffix == ".jsonl" else -1)
                for f in sorted(fmt.rglob("*"))
                if f.is_file() and f.name != "README.md"
            }
            data.exports[fmt.name] = files
        if data.exports:
            total = sum(n for f in data.exports.values() for n in f.values() if n > 0)
            data.stages.append({"stage": "export", "artifact": f"{EXPORT_DIR}/", "records": total})
    return data


# ---- figures ------------------------------------------------------------------------------------------------------


def category_mix(data: RunData) -> list[dict[str, Any]]:
    plans = Counter(p.get("category", "base") for p in data.plans)
    accepted = Counter(d.get("category", "base") for d in data.dialogs)
    n_plans = sum(plans.values()) or 1
    names = [c for c in CATEGORIES if c in plans or c in data.targets] + sorted(set(plans) - set(CATEGORIES))
    return [
        {
            "category": c,
            "target": data.targets.get(c),
            "plans": plans.get(c, 0),
            "share": plans.get(c, 0) / n_plans,
            "accepted": accepted.get(c, 0),
        }
        for c in names
    ]


def layer_table(data: RunData) -> list[dict[str, Any]]:
    """Per layer: turns passed / failed / not run, over every recorded check of accepted and rejected dialogs."""
    counts = {layer: Counter() for layer in LAYERS}
    reasons: dict[str, Counter] = {layer: Counter() for layer in LAYERS}
    for d in data.dialogs + data.rejects:
        for c in d.get("checks") or []:
            layer = c.get("layer")
            if layer not in counts:
                continue
            state = {True: "passed", False: "failed"}.get(c.get("passed"), "not run")
            counts[layer][state] += 1
            if state == "not run" and c.get("reason"):
                reasons[layer][_reason_head(c["reason"])] += 1
    required = set(
        ((data.dialog_manifest or {}).get("options") or {}).get("synth", {}).get("required_checks", [])
    )
    return [
        {
            "layer": layer,
            "required": layer in required,
            "passed": counts[layer]["passed"],
            "failed": counts[layer]["failed"],
            "not_run": counts[layer]["not run"],
            "not_run_reason": reasons[layer].most_common(1)[0][0] if reasons[layer] else "",
        }
        for layer in LAYERS
    ]


def _reason_head(reason: str, n: int = 90) -> str:
    head = " ".join(reason.split())
    return head if len(head) <= n else head[: n - 1] + "…"


def reject_reasons(data: RunData, top: int = 10) -> list[tuple[str, str, int]]:
    """(layer, reason, dialogs) of the rejects, most common first."""
    c: Counter = Counter()
    for r in data.rejects:
        f = r.get("failure") or {}
        c[(str(f.get("layer") or "error"), _reason_head(str(f.get("reason") or "unknown"), 120))] += 1
    return [(layer, reason, n) for (layer, reason), n in c.most_common(top)]


def calls_of(dialog: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for m in dialog.get("messages") or []
        if m.get("role") == "assistant"
        for c in m.get("tool_calls") or []
    ]


def tool_coverage(data: RunData) -> dict[str, Any]:
    planned = Counter(
        c["tool"]
        for p in data.plans
        for t in p.get("turns") or []
        for c in (t.get("expected") or {}).get("calls") or []
    )
    called = Counter(c.get("name") for d in data.dialogs for c in calls_of(d))
    universe = data.tool_names or sorted(set(planned) | set(called))
    return {
        "tools": len(universe),
        "planned": sum(1 for t in universe if planned.get(t)),
        "in_accepted": sum(1 for t in universe if called.get(t)),
        "per_tool": [(t, planned.get(t, 0), called.get(t, 0)) for t in universe],
    }


def histogram(values: list[int]) -> list[tuple[int, int]]:
    c = Counter(values)
    return sorted(c.items())


def shape(data: RunData) -> dict[str, Any]:
    turns = [len(d.get("turns") or []) for d in data.dialogs]
    calls = [len(calls_of(d)) for d in data.dialogs]
    return {
        "turns": histogram(turns),
        "calls": histogram(calls),
        "mean_turns": sum(turns) / len(turns) if turns else None,
        "mean_calls": sum(calls) / len(calls) if calls else None,
        "parallel": sum(1 for d in data.dialogs if d.get("parallel")),
        "nested": sum(1 for d in data.dialogs if d.get("nested")),
    }


def usage_by_role(data: RunData) -> list[dict[str, Any]]:
    usage = (data.dialog_manifest or {}).get("usage") or {}
    rows = []
    for role, u in sorted((usage.get("roles") or {}).items()):
        rows.append(
            {
                "role": role,
                "model": u.get("model", ""),
                "calls": int(u.get("calls") or 0),
                "cached": int(u.get("cached") or 0),
                "prompt_tokens": int(u.get("prompt_tokens") or 0),
                "completion_tokens": int(u.get("completion_tokens") or 0),
                "cost_usd": u.get("cost_usd"),
            }
        )
    return rows


def text_sources(data: RunData) -> dict[str, int]:
    """Who wrote the text of the accepted dialogs: user messages and (plan-grounded mode) assistant replies."""
    out: Counter = Counter()
    for d in data.dialogs:
        u = d.get("usage") or {}
        users = sum(1 for m in d.get("messages") or [] if m.get("role") == "user")
        out["user_rule"] += min(int(u.get("rule_user_messages") or 0), users)
        out["user_total"] += users
        if "rule_replies" in u:
            out["reply_rule"] += int(u.get("rule_replies") or 0)
            out["reply_model"] += int(u.get("model_replies") or 0)
    return dict(out)


def preference_mix(data: RunData) -> dict[str, list[tuple[str, int]]]:
    prefs = data.preferences or []
    return {
        "kind": Counter(str(p.get("kind")) for p in prefs).most_common(),
        "error": Counter(str(p.get("error")) for p in prefs).most_common(),
    }


def acceptance(data: RunData) -> float | None:
    n = len(data.dialogs) + len(data.rejects)
    return len(data.dialogs) / n if n else None
