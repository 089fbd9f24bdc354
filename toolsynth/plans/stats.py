"""What a plans file holds: category mix against the recipe's targets, tools and turns per plan, catalog coverage."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolsynth.plans.config import CATEGORIES
from toolsynth.plans.walk import gini


def _dist(xs: list[int]) -> dict[str, float]:
    if not xs:
        return {"mean": 0.0, "min": 0, "max": 0}
    return {"mean": round(sum(xs) / len(xs), 3), "min": min(xs), "max": max(xs)}


@dataclass
class PlanStats:
    """Accumulates over a stream of plans (a run can hold many more than fit comfortably in memory)."""

    catalog: list[str]
    targets: dict[str, float]
    rate_targets: dict[str, float] = field(default_factory=dict)  # parallel / nested, MAGNET only
    categories: Counter = field(default_factory=Counter)
    flags: Counter = field(default_factory=Counter)
    operations: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)
    uses: Counter = field(default_factory=Counter)
    tools_per_plan: list[int] = field(default_factory=list)
    calls_per_plan: list[int] = field(default_factory=list)
    turns_per_plan: list[int] = field(default_factory=list)
    offered_per_turn: list[int] = field(default_factory=list)
    plans: int = 0
    rejects: int = 0
    reject_reasons: Counter = field(default_factory=Counter)

    def add(self, plan: dict[str, Any]) -> None:
        """Count one plan record (`Plan.to_record()` shape)."""
        self.plans += 1
        self.categories[plan["category"]] += 1
        self.flags["parallel"] += bool(plan["parallel"])
        self.flags["nested"] += bool(plan["nested"])
        self.operations.update(op["op"] for op in plan["operations"])
        self.uses.update(plan["tools"])
        self.tools_per_plan.append(len(plan["tools"]))
        self.turns_per_plan.append(len(plan["turns"]))
        calls = 0
        for t in plan["turns"]:
            self.actions[t["expected"]["kind"]] += 1
            calls += len(t["expected"]["calls"])
            self.offered_per_turn.append(len(t["offered_tools"]))
        self.calls_per_plan.append(calls)

    def add_reject(self, reason: str) -> None:
        self.rejects += 1
        # Reasons carry turn numbers and tool names; the part before the first colon groups them.
        self.reject_reasons[reason.split(":", 1)[0][:80]] += 1

    def summary(self) -> dict[str, Any]:
        n = self.plans
        cat = {
            c: {
                "count": self.categories[c],
                "share": round(self.categories[c] / n, 4) if n else 0.0,
                "target": round(self.targets.get(c, 0.0), 4),
            }
            for c in CATEGORIES
        }
        counts = [self.uses.get(t, 0) for t in self.catalog]
        covered = sum(1 for c in counts if c)
        flags = {
            k: {"share": round(self.flags[k] / n, 4) if n else 0.0, "target": self.rate_targets.get(k)}
            for k in ("parallel", "nested")
        }
        return {
            "plans": n,
            "rejects": self.rejects,
            "reject_reasons": dict(self.reject_reasons.most_common()),
            "categories": cat,
            "max_category_gap_points": round(
                max((abs(v["share"] - v["target"]) * 100 for v in cat.values()), default=0.0), 2
            ),
            "flags": flags,
            "operations": dict(sorted(self.operations.items())),
            "expected_actions": dict(sorted(self.actions.items())),
            "tools_per_plan": _dist(self.tools_per_plan),
            "calls_per_plan": _dist(self.calls_per_plan),
            "turns_per_plan": _dist(self.turns_per_plan),
            "offered_per_turn": _dist(self.offered_per_turn),
            "coverage": {
                "catalog_tools": len(self.catalog),
                "used_tools": covered,
                "share": round(covered / len(self.catalog), 4) if self.catalog else 0.0,
                "gini": round(gini(counts), 4),
            },
        }


def render(summary: dict[str, Any]) -> Any:
    """A rich renderable of `summary` for `--stats`."""
    from rich.console import Group
    from rich.table import Table

    mix = Table(title=f"category mix ({summary['plans']} plans, {summary['rejects']} rejects)")
    for col in ("category", "plans", "share", "target", "gap (points)"):
        mix.add_column(col, justify="right" if col != "category" else "left")
    for c, v in summary["categories"].items():
        gap = (v["share"] - v["target"]) * 100
        mix.add_row(c, str(v["count"]), f"{v['share']:.1%}", f"{v['target']:.1%}", f"{gap:+.1f}")
    for k, v in summary["flags"].items():
        target = "-" if v["target"] is None else f"{v['target']:.1%}"
        gap = "-" if v["target"] is None else f"{(v['share'] - v['target']) * 100:+.1f}"
        mix.add_row(f"[dim]{k}[/dim]", "", f"{v['share']:.1%}", target, gap)

    shape = Table(title="shape")
    for col in ("per plan", "mean", "min", "max"):
        shape.add_column(col, justify="right" if col != "per plan" else "left")
    for key in ("tools_per_plan", "calls_per_plan", "turns_per_plan", "offered_per_turn"):
        d = summary[key]
        shape.add_row(
            key.replace("_per_", " per ").replace("_", " "), f"{d['mean']:.2f}", str(d["min"]), str(d["max"])
        )
    cov = summary["coverage"]
    shape.add_row(
        "coverage",
        f"{cov['share']:.1%}",
        f"{cov['used_tools']}/{cov['catalog_tools']} tools",
        f"gini {cov['gini']:.3f}",
    )
    return Group(mix, shape)
