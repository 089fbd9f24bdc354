"""`toolsynth report OUTDIR`: a run's figures as one self-contained HTML page and a Markdown summary."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

REPORT_HTML = "report.html"
REPORT_MD = "report.md"


def _write_atomic(path: Path, text: str) -> None:
    # Same directory, then rename: a killed run leaves the previous report, never half a page.
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(out: Path, dest: Path | None = None, *, title: str | None = None) -> tuple[Path, Path]:
    """Read the run in `out`, write `report.html` and `report.md` into `dest` (default: `out`)."""
    from toolsynth.report.collect import load_run
    from toolsynth.report.render import render_html, render_markdown

    dest = dest or out
    dest.mkdir(parents=True, exist_ok=True)
    data = load_run(out)
    name = title or f"toolsynth run report: {out.name}"
    html_path, md_path = dest / REPORT_HTML, dest / REPORT_MD
    _write_atomic(html_path, render_html(data, title=name))
    _write_atomic(md_path, render_markdown(data, title=name))
    return html_path, md_path
