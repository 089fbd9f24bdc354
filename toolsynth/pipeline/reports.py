"""Report stage: a run's output directory → report.html (self-contained) and report.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ReportResult:
    html: Path
    markdown: Path
    run_dir: Path

    def to_json(self) -> dict[str, Any]:
        """The paths and the headline figures (read back from the run)."""
        from toolsynth.report.collect import acceptance, load_run

        data = load_run(self.run_dir)
        return {
            "html": str(self.html),
            "markdown": str(self.markdown),
            "accepted": len(data.dialogs),
            "rejected": len(data.rejects),
            "acceptance_rate": acceptance(data),
            "preference_pairs": None if data.preferences is None else len(data.preferences),
            "export_formats": sorted(data.exports),
        }


def report(run_dir: Path, output: Path | None = None) -> ReportResult:
    """Write the one-page report of the run in `run_dir` into `output` (default: `run_dir`)."""
    from toolsynth.errors import InputError
    from toolsynth.report import write_report

    if not run_dir.is_dir():
        raise InputError("not a directory (give the run's output_dir)", where=str(run_dir))
    html_path, md_path = write_report(run_dir, output)
    return ReportResult(html=html_path, markdown=md_path, run_dir=run_dir)
