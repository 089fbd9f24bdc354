"""Inline SVG charts for the run report: no scripts, no fonts or images from anywhere, every label escaped."""

from __future__ import annotations

from html import escape

PALETTE = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not run": "#9e9e9e",
    "target": "#1565c0",
    "bar": "#5c6bc0",
    "model": "#00897b",
    "rule": "#f9a825",
}


def _fmt(v: float) -> str:
    return f"{v:g}" if isinstance(v, int) or float(v).is_integer() else f"{v:.2f}"


def hbars(
    rows: list[tuple[str, float]],
    *,
    width: int = 560,
    unit: str = "",
    color: str = PALETTE["bar"],
    label_w: int = 170,
) -> str:
    """One horizontal bar per (label, value); a label longer than its column is cut (the tables hold the full text)."""
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1
    bar_h, gap = 18, 6
    fit = max(4, label_w // 7)
    rows = [(lb if len(lb) <= fit else lb[: fit - 1] + "…", v) for lb, v in rows]
    h = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img">']
    for i, (label, v) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = (width - label_w - 70) * (v / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"><title>'
            f"{escape(label)}: {escape(_fmt(v))}{escape(unit)}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12">{escape(_fmt(v))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked(rows: list[tuple[str, dict[str, int]]], keys: list[str], *, width: int = 560) -> str:
    """One 100 % bar per label, split by `keys` (colours from PALETTE), with a legend."""
    if not rows:
        return ""
    label_w, bar_h, gap = 170, 18, 6
    h = len(rows) * (bar_h + gap) + gap + 22
    span = width - label_w - 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img">']
    for i, (label, counts) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        total = sum(counts.get(k, 0) for k in keys)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">{escape(label)}</text>'
        )
        x = float(label_w)
        for k in keys:
            n = counts.get(k, 0)
            if not n or not total:
                continue
            w = span * n / total
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE.get(k, "#777")}">'
                f"<title>{escape(label)}: {escape(k)} {n} of {total}</title></rect>"
            )
            if w > 28:
                parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11" fill="#fff">{n}</text>')
            x += w
        if not total:
            parts.append(f'<text x="{label_w + 4}" y="{y + 13}" font-size="11" fill="#777">none</text>')
    ly = h - 8
    x = label_w
    for k in keys:
        parts.append(
            f'<rect x="{x}" y="{ly - 10}" width="10" height="10" fill="{PALETTE.get(k, "#777")}"/>'
            f'<text x="{x + 14}" y="{ly}" font-size="11">{escape(k)}</text>'
        )
        x += 14 + 8 * len(k) + 16
    parts.append("</svg>")
    return "".join(parts)


def target_bars(rows: list[tuple[str, float, float | None]], *, width: int = 560) -> str:
    """Share per label as a bar, the recipe's target as a tick on it (both 0..1)."""
    if not rows:
        return ""
    label_w, bar_h, gap = 170, 18, 6
    span = width - label_w - 60
    h = len(rows) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" role="img">']
    for i, (label, share, target) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{span * share:.1f}" height="{bar_h}" fill="{PALETTE["bar"]}">'
            f"<title>{escape(label)}: {share:.0%}</title></rect>"
            f'<text x="{label_w + span * share + 4:.1f}" y="{y + 13}" font-size="12">{share:.0%}</text>'
        )
        if target is not None:
            tx = label_w + span * target
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" stroke="{PALETTE["target"]}" '
                f'stroke-width="3"><title>target {target:.0%}</title></line>'
            )
    parts.append("</svg>")
    return "".join(parts)
