"""A self-contained HTML page (inline SVG, no scripts, no network) showing the sub-graph around one tool."""

from __future__ import annotations

import html
import math
from difflib import get_close_matches

from toolsynth.errors import InputError
from toolsynth.graph.stats import describe_edge
from toolsynth.graph.store import Edge, ToolGraph

KIND_COLOURS = {"return_param": "#1f77b4", "param_param": "#7f7f7f", "magnet": "#ff7f0e"}
_W, _H = 980, 760


def resolve_tool(graph: ToolGraph, name: str) -> str:
    if name in graph.tools:
        return name
    by_original = [n for n, t in graph.tools.items() if t.original_name == name]
    if by_original:
        return by_original[0]
    close = get_close_matches(name, list(graph.tools), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(f"no tool named {name!r} in the graph{hint}", where="--show")


def _neighbourhood(graph: ToolGraph, centre: str, max_nodes: int) -> tuple[list[str], list[Edge]]:
    best: dict[str, float] = {}
    for e in graph.edges:
        if centre in (e.source, e.target):
            other = e.target if e.source == centre else e.source
            if other != centre:
                best[other] = max(best.get(other, -1.0), e.score)
    ring = sorted(best, key=lambda n: (-best[n], n))[: max_nodes - 1]
    shown = {centre, *ring}
    edges = [e for e in graph.edges if e.source in shown and e.target in shown]
    return ring, edges


def subgraph_html(graph: ToolGraph, tool: str, max_nodes: int = 30) -> str:
    centre = resolve_tool(graph, tool)
    ring, edges = _neighbourhood(graph, centre, max_nodes)
    cx, cy = _W / 2, _H / 2 - 20
    radius = min(_W, _H) / 2 - 120
    pos = {centre: (cx, cy)}
    for i, n in enumerate(ring):
        a = 2 * math.pi * i / max(1, len(ring)) - math.pi / 2
        pos[n] = (cx + radius * math.cos(a), cy + radius * math.sin(a))

    svg: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}">',
        "<defs>",
    ]
    for kind, colour in KIND_COLOURS.items():
        svg.append(
            f'<marker id="arrow-{kind}" viewBox="0 0 10 10" refX="22" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    svg.append("</defs>")
    # Edges not touching the centre are drawn faint: they show how the neighbours relate among themselves.
    for e in sorted(edges, key=lambda e: centre in (e.source, e.target)):
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        colour = KIND_COLOURS.get(e.kind, "#2ca02c")
        touches = centre in (e.source, e.target)
        opacity = 0.85 if touches else 0.18
        width = 1 + 3 * max(0.0, min(1.0, e.score)) if touches else 1
        marker = f' marker-end="url(#arrow-{e.kind})"' if e.directed and e.kind in KIND_COLOURS else ""
        dash = ' stroke-dasharray="6 4"' if not e.directed else ""
        svg.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="{width:.1f}" stroke-opacity="{opacity}"{dash}{marker}>'
            f"<title>{html.escape(describe_edge(e))}</title></line>"
        )
    for n, (x, y) in pos.items():
        is_c = n == centre
        t = graph.tools[n]
        tip = html.escape(f"{n}: {t.description}"[:400])
        fill = "#d62728" if is_c else "#ffffff"
        label = html.escape(n if len(n) <= 32 else n[:30] + "…")
        anchor = "middle" if is_c or abs(x - cx) < 40 else ("start" if x > cx else "end")
        dx = 0 if anchor == "middle" else (14 if anchor == "start" else -14)
        dy = -16 if anchor == "middle" else 4
        weight = ' font-weight="bold"' if is_c else ""
        svg.append(
            f'<g><circle cx="{x:.1f}" cy="{y:.1f}" r="{11 if is_c else 8}" fill="{fill}" stroke="#333">'
            f"<title>{tip}</title></circle>"
            f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" font-size="{13 if is_c else 11}" text-anchor="{anchor}" '
            f'font-family="sans-serif"{weight}>{label}</text></g>'
        )
    legend_y = _H - 24
    for i, (kind, colour) in enumerate(KIND_COLOURS.items()):
        x = 20 + i * 170
        svg.append(
            f'<line x1="{x}" y1="{legend_y}" x2="{x + 30}" y2="{legend_y}" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{x + 36}" y="{legend_y + 4}" font-size="12" font-family="sans-serif">{kind}</text>'
        )
    svg.append("</svg>")

    rows = []
    for e in sorted(
        (e for e in edges if centre in (e.source, e.target)),
        key=lambda e: (e.kind, -e.score, e.source, e.target),
    ):
        r = e.reason
        why = (
            f"{r.get('source_field', '')} → {r.get('target_field', '')}"
            if "source_field" in r
            else f"label {r.get('label')}; {r.get('order', '')} {r.get('judge', '')}"
        )
        extra = ", ".join(
            f"{k}={v}"
            for k, v in r.items()
            if k not in ("source_field", "target_field", "judge", "label", "order")
        )
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(c))}</td>"
                for c in (
                    e.kind,
                    e.source,
                    "→" if e.directed else "↔",
                    e.target,
                    f"{e.score:.3f}",
                    why,
                    extra,
                )
            )
            + "</tr>"
        )
    t = graph.tools[centre]
    params = ", ".join(t.properties) or "(none)"
    rets = ", ".join(f.path for f in t.return_fields()) or "(not described)"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>toolsynth graph: {html.escape(centre)}</title>"
        "<style>body{font-family:sans-serif;margin:20px}table{border-collapse:collapse;font-size:13px}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}th{background:#f3f3f3}</style></head><body>"
        f"<h2>{html.escape(centre)}</h2><p>{html.escape(t.description)}</p>"
        f"<p><b>parameters:</b> {html.escape(params)}<br><b>returns:</b> {html.escape(rets)}</p>"
        f"<p>{len(ring)} neighbours shown (strongest first, at most {max_nodes - 1}); hover an edge for why it "
        "exists. Solid arrows: directed edges; dashed: parameter↔parameter.</p>"
        + "".join(svg)
        + "<h3>Edges of this tool</h3><table><tr><th>kind</th><th>source</th><th></th><th>target</th>"
        "<th>score</th><th>fields</th><th>details</th></tr>" + "".join(rows) + "</table></body></html>"
    )
