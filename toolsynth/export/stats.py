"""What an export kept, dropped and wrote: counts per category, check, tool, split and format, for `--stats`."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExportStats:
    dialogs_in: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason → dialogs
    splits: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)  # over kept dialogs
    tools: Counter[str] = field(default_factory=Counter)  # calls per tool, over kept dialogs
    checks: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    reoffered: int = 0  # kept dialogs whose tool list changes mid-dialog
    not_trained_turns: int = 0  # turns of kept dialogs that failed a check
    contamination: dict[str, Any] = field(default_factory=dict)
    duplicates: dict[str, Any] = field(default_factory=dict)
    pairs_in: int = 0
    pairs_kept: int = 0
    pairs_dropped: Counter[str] = field(default_factory=Counter)
    written: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )  # format → file → n
    skipped: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )  # format → reason → n
    formats_not_written: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dialogs": {
                "input": self.dialogs_in,
                "kept": self.kept,
                "dropped": dict(sorted(self.dropped.items())),
                "splits": dict(sorted(self.splits.items())),
                "reoffered_tools": self.reoffered,
                "not_trained_turns": self.not_trained_turns,
            },
            "categories": dict(sorted(self.categories.items())),
            "checks": {k: dict(sorted(v.items())) for k, v in sorted(self.checks.items())},
            "tools": dict(self.tools.most_common()),
            "duplicates": self.duplicates,
            "contamination": self.contamination,
            "preferences": {
                "input": self.pairs_in,
                "kept": self.pairs_kept,
                "dropped": dict(sorted(self.pairs_dropped.items())),
            },
            "formats": {
                name: {
                    "files": dict(sorted(files.items())),
                    "skipped": dict(sorted(self.skipped[name].items())),
                }
                for name, files in sorted(self.written.items())
            },
            "formats_not_written": self.formats_not_written,
        }


def render(stats: ExportStats, console: Any) -> None:
    from rich.table import Table

    d = stats.to_dict()
    t = Table(title="export", show_header=True)
    t.add_column("what")
    t.add_column("count", justify="right")
    t.add_row("dialogs read", str(stats.dialogs_in))
    for reason, n in d["dialogs"]["dropped"].items():
        t.add_row(f"  dropped: {reason}", str(n))
    t.add_row("dialogs kept", str(stats.kept))
    for split, n in d["dialogs"]["splits"].items():
        t.add_row(f"  {split}", str(n))
    t.add_row("tool list re-offered mid-dialog", str(stats.reoffered))
    t.add_row("turns not trained (failed a check)", str(stats.not_trained_turns))
    t.add_row("near-duplicates removed", str(stats.dropped.get("duplicate", 0)))
    t.add_row("contaminated (BFCL overlap ≥ threshold)", str(stats.contamination.get("over_threshold", 0)))
    t.add_row("contaminated and removed", str(stats.dropped.get("contaminated", 0)))
    if stats.pairs_in:
        t.add_row("preference pairs read / kept", f"{stats.pairs_in} / {stats.pairs_kept}")
        for reason, n in d["preferences"]["dropped"].items():
            t.add_row(f"  dropped: {reason}", str(n))
    console.print(t)
    for title, counts in (("category", d["categories"]), ("tool (calls)", dict(stats.tools.most_common(20)))):
        tt = Table(show_header=True)
        tt.add_column(title)
        tt.add_column("count", justify="right")
        for k, n in counts.items():
            tt.add_row(k, str(n))
        console.print(tt)
    ct = Table(show_header=True)
    ct.add_column("check")
    for col in ("passed", "failed", "n/a"):
        ct.add_column(col, justify="right")
    for layer, c in d["checks"].items():
        ct.add_row(layer, str(c.get("passed", 0)), str(c.get("failed", 0)), str(c.get("n/a", 0)))
    console.print(ct)
    ft = Table(show_header=True)
    ft.add_column("format")
    ft.add_column("file")
    ft.add_column("records", justify="right")
    ft.add_column("left out (rule)")
    for name, info in d["formats"].items():
        skipped = ", ".join(f"{k} {v}" for k, v in info["skipped"].items())
        for i, (f, n) in enumerate(info["files"].items()):
            ft.add_row(name if i == 0 else "", f, str(n), skipped if i == 0 else "")
    for name, why in d["formats_not_written"].items():
        ft.add_row(name, "—", "0", why)
    console.print(ft)
