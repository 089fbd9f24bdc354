"""What loading a catalog gives: the tools, and an account of every source tool that was skipped or merged."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool


@dataclass(frozen=True)
class Skipped:
    """A source tool that could not be used."""

    file: str
    source_id: str | None
    reason: str
    where: str = ""


@dataclass(frozen=True)
class Duplicate:
    """A source tool identical to one already loaded (same name, description and parameters): merged into it."""

    file: str
    source_id: str | None
    kept: str


@dataclass
class LoadResult:
    path: str
    catalog: str
    tools: list[Tool] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # file → format it was read with
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (file, why it is not a tool catalog)
    duplicates: list[Duplicate] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        by_format = Counter(t.provenance.format for t in self.tools)
        return {
            "catalog": self.catalog,
            "path": self.path,
            "files": len(self.files),
            "formats": dict(sorted(by_format.items())),
            "tools": len(self.tools),
            "parameters": sum(len(t.properties) for t in self.tools),
            "tools_with_returns": sum(1 for t in self.tools if t.returns is not None),
            "return_fields": sum(len(t.returns.fields) for t in self.tools if t.returns is not None),
            "skipped": len(self.skipped),
            "duplicates_merged": len(self.duplicates),
            "ignored_files": len(self.ignored),
            "warnings": len(self.warnings),
        }

    def details(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "file_formats": self.files,
            "skipped_tools": [s.__dict__ for s in self.skipped],
            "ignored": [{"file": f, "reason": r} for f, r in self.ignored],
            "duplicates": [d.__dict__ for d in self.duplicates],
            "warning_messages": self.warnings,
        }
