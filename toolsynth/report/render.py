"""The run report as one self-contained HTML page and a Markdown summary.

Dialog text is untrusted (a model or a stranger's data wrote it): every value goes through `html.escape` (and
Markdown cells through `_md`), so a `<script>` in a user turn renders as text. The page has no scripts, no external
resources and a CSP that forbids them; charts are inline SVG.
"""

from __future__ import annotations

from html import escape
from typing import Any

import orjson

from toolsynth.report.charts import PALETTE, hbars, stacked, target_bars
from toolsynth.report.collect import (
    RunData,
    acceptance,
    category_mix,
    layer_table,
    preference_mix,
    reject_reasons,
    shape,
    text_sources,
    tool_coverage,
    usage_by_role,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f6f8;color:#222}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:28px 0 10px;border-bottom:2px solid #dde;padding-bottom:4px}
.sub{color:#555;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002;min-width:130px}
.card b{display:block;font-size:26px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.panel{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002;overflow-x:auto}
table{border-collapse:collapse;font-size:13px}td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left}
th{background:#fafafa}td.n{text-align:right;font-variant-numeric:tabular-nums}
.chat{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 3px #0002;margin-bottom:16px}
.msg{margin:6px 0;padding:8px 12px;border-radius:10px;max-width:85%;white-space:pre-wrap;word-break:break-word}
.user{background:#e3f2fd;margin-left:auto}.assistant{background:#f1f8e9}.tool{background:#fff8e1;font-family:monospace;
font-size:12px}.system{background:#eceff1;font-size:12px;color:#555}
.call{font-family:monospace;font-size:12px;background:#e8f5e9;border-left:3px solid #2e7d32;padding:4px 8px;margin:4px 0}
.role{font-size:11px;color:#666;text-transform:uppercase;letter-spacing:.05em}
.turn{font-size:12px;color:#3949ab;margin-top:10px;border-top:1px dashed #ccd;padding-top:4px}
.ok{color:#2e7d32}.bad{color:#c62828}.na{color:#777}
"""


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _table(head: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    h = "".join(f"<th>{escape(str(c))}</th>" for c in head)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(c))}</td>' if i in numeric else f"<td>{escape(str(c))}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{h}</tr>{body}</table>"


def _args(arguments: Any) -> str:
    return orjson.dumps(arguments, default=str).decode() if not isinstance(arguments, str) else arguments


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def render_dialog(d: dict[str, Any], *, title: str) -> str:
    starts = {t.get("start"): t for t in d.get("turns") or []}
    checks: dict[int, list[dict[str, Any]]] = {}
    for c in d.get("checks") or []:
        checks.setdefault(int(c.get("turn", -1)), []).append(c)
    out = [f'<div class="chat"><h3>{escape(title)}</h3>']
    for i, m in enumerate(d.get("messages") or []):
        if i in starts:
            t = starts[i]
            marks = " ".join(
                f'<span class="{"ok" if c.get("passed") else "bad" if c.get("passed") is False else "na"}" '
                f'title="{escape(str(c.get("reason") or ""))}">{escape(str(c.get("layer")))}'
                f"{'✓' if c.get('passed') else '✗' if c.get('passed') is False else '–'}</span>"
                for c in checks.get(int(t.get("index", -1)), [])
            )
            out.append(
                f'<div class="turn">turn {escape(str(t.get("index")))} · expected {escape(str(t.get("expected")))}'
                f" · {marks}</div>"
            )
        role = str(m.get("role"))
        if role == "system":
            out.append(
                f'<div class="msg system"><span class="role">system</span><br>{escape(_clip(m.get("content") or "", 300))}</div>'
            )
            continue
        body = escape(m.get("content") or "")
        calls = "".join(
            f'<div class="call">{escape(str(c.get("name")))}({escape(_args(c.get("arguments")))})</div>'
            for c in m.get("tool_calls") or []
        )
        label = role if role != "tool" else f"tool result · {m.get('name') or ''}"
        out.append(
            f'<div class="msg {escape(role)}"><span class="role">{escape(label)}</span><br>'
            f"{escape(_clip(m.get('content') or '', 600)) if role == 'tool' else body}{calls}</div>"
        )
    out.append("</div>")
    return "".join(out)


def render_html(data: RunData, *, title: str = "toolsynth run report", samples: int = 3) -> str:
    acc = acceptance(data)
    layers = layer_table(data)
    mix = category_mix(data)
    cov = tool_coverage(data)
    shp = shape(data)
    usage = usage_by_role(data)
    src = text_sources(data)
    s: list[str] = []
    s.append(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
    )
    s.append(f'<h1>{escape(title)}</h1><div class="sub">{escape(str(data.out))}</div>')
    cards = [
        ("tools", data.tools),
        ("plans", len(data.plans)),
        ("accepted dialogs", len(data.dialogs)),
        ("rejected", len(data.rejects)),
        ("acceptance", _pct(acc)),
        ("preference pairs", "—" if data.preferences is None else len(data.preferences)),
        ("export formats", len(data.exports) or "—"),
    ]
    s.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{escape(str(v if v is not None else "—"))}</b>{escape(k)}</div>'
            for k, v in cards
        )
        + "</div>"
    )

    s.append('<h2>Stages</h2><div class="panel">')
    s.append(
        _table(
            ["stage", "artifact", "records", "rejected"],
            [[x["stage"], x["artifact"], x["records"], x.get("rejected", "")] for x in data.stages],
            {2, 3},
        )
    )
    s.append("</div>")

    s.append('<h2>Quality</h2><div class="grid"><div class="panel"><h3>Check layers (turns)</h3>')
    s.append(
        stacked(
            [
                (
                    f"{r['layer']}{' (required)' if r['required'] else ''}",
                    {"passed": r["passed"], "failed": r["failed"], "not run": r["not_run"]},
                )
                for r in layers
            ],
            ["passed", "failed", "not run"],
        )
    )
    s.append(
        _table(
            ["layer", "required", "passed", "failed", "not run", "why not run"],
            [
                [
                    r["layer"],
                    "yes" if r["required"] else "no",
                    r["passed"],
                    r["failed"],
                    r["not_run"],
                    r["not_run_reason"],
                ]
                for r in layers
            ],
            {2, 3, 4},
        )
    )
    s.append('</div><div class="panel"><h3>Rejected dialogs by reason</h3>')
    rr = reject_reasons(data)
    s.append(
        hbars(
            [(f"{layer}: {reason}", n) for layer, reason, n in rr],
            color=PALETTE["failed"],
            label_w=300,
        )
        if rr
        else "<p>No rejects.</p>"
    )
    if rr:
        s.append(_table(["layer", "reason", "dialogs"], [list(x) for x in rr], {2}))
    s.append("</div></div>")

    s.append(
        '<h2>Category mix</h2><div class="grid"><div class="panel"><h3>Plans per category vs the recipe\'s target (tick)</h3>'
    )
    s.append(target_bars([(m["category"], m["share"], m["target"]) for m in mix]))
    s.append('</div><div class="panel">')
    s.append(
        _table(
            ["category", "target", "plans", "share", "accepted"],
            [[m["category"], _pct(m["target"]), m["plans"], _pct(m["share"]), m["accepted"]] for m in mix],
            {2, 4},
        )
    )
    s.append("</div></div>")

    s.append(
        '<h2>Dialog shape and tool coverage</h2><div class="grid"><div class="panel"><h3>Turns per accepted dialog</h3>'
    )
    s.append(hbars([(f"{k} turns", v) for k, v in shp["turns"]]) or "<p>No dialogs.</p>")
    s.append("<h3>Tool calls per accepted dialog</h3>")
    s.append(hbars([(f"{k} calls", v) for k, v in shp["calls"]]) or "<p>No dialogs.</p>")
    s.append(f"<p>parallel: {shp['parallel']} · nested: {shp['nested']} dialogs</p></div>")
    s.append(
        f'<div class="panel"><h3>Tool coverage</h3><p>{cov["planned"]} of {cov["tools"]} tools in a plan, '
        f"{cov['in_accepted']} called in an accepted dialog.</p>"
    )
    top = sorted(cov["per_tool"], key=lambda t: -t[2])[:15]
    s.append(hbars([(t, c) for t, _, c in top if c]) or "")
    s.append("</div></div>")

    s.append('<h2>Models: tokens and cost per role</h2><div class="grid"><div class="panel">')
    s.append(
        _table(
            ["role", "model", "calls", "cached", "tokens in", "tokens out", "cost (USD)"],
            [
                [
                    u["role"],
                    u["model"],
                    u["calls"],
                    u["cached"],
                    u["prompt_tokens"],
                    u["completion_tokens"],
                    _cost(u["cost_usd"]),
                ]
                for u in usage
            ],
            {2, 3, 4, 5},
        )
    )
    s.append('</div><div class="panel"><h3>Who wrote the text of the accepted dialogs</h3>')
    rows = [
        (
            "user messages",
            {"model": src.get("user_total", 0) - src.get("user_rule", 0), "rule": src.get("user_rule", 0)},
        )
    ]
    if "reply_model" in src or "reply_rule" in src:
        rows.append(
            ("assistant replies", {"model": src.get("reply_model", 0), "rule": src.get("reply_rule", 0)})
        )
    s.append(stacked(rows, ["model", "rule"]))
    s.append("</div></div>")

    s.append('<h2>Preference pairs</h2><div class="grid">')
    if data.preferences is None:
        s.append('<div class="panel"><p>No preferences.jsonl in this run.</p></div></div>')
    else:
        pm = preference_mix(data)
        s.append('<div class="panel"><h3>By kind</h3>' + (hbars(pm["kind"]) or "<p>none</p>") + "</div>")
        s.append(
            '<div class="panel"><h3>By error class</h3>'
            + (hbars(pm["error"]) or "<p>none</p>")
            + "</div></div>"
        )

    s.append('<h2>Exports</h2><div class="panel">')
    s.append(
        _table(
            ["format", "file", "records"],
            [
                [f, n, "—" if c < 0 else c]
                for f, files in data.exports.items()
                for n, c in (files or {"(no data files)": 0}).items()
            ],
            {2},
        )
        if data.exports
        else "<p>No exports in this run.</p>"
    )
    s.append("</div>")

    s.append("<h2>Sample dialogs</h2>")
    for d in data.dialogs[:samples]:
        s.append(render_dialog(d, title=f"accepted · {d.get('category')} · {d.get('id')}"))
    for r in data.rejects[:1]:
        f = r.get("failure") or {}
        s.append(
            render_dialog(
                r,
                title=f"rejected at turn {f.get('turn')} ({f.get('layer')}: {_clip(str(f.get('reason')), 120)}) · {r.get('id')}",
            )
        )
    if not data.dialogs and not data.rejects:
        s.append("<p>No dialogs in this run.</p>")
    s.append("</main></body></html>\n")
    return "".join(s)


def _cost(v: float | None) -> str:
    return "unknown" if v is None else f"{v:.4f}"


def _md(v: Any) -> str:
    """A Markdown table cell: no pipes, no newlines, no raw HTML."""
    return escape(" ".join(str(v).split()), quote=False).replace("|", "\\|")


def render_markdown(data: RunData, *, title: str = "toolsynth run report") -> str:
    acc = acceptance(data)
    lines = [f"# {_md(title)}", "", f"Output directory: `{_md(data.out)}`", ""]
    lines += ["| stage | artifact | records | rejected |", "|---|---|---:|---:|"]
    lines += [
        f"| {_md(x['stage'])} | {_md(x['artifact'])} | {x['records']} | {x.get('rejected', '')} |"
        for x in data.stages
    ]
    lines += [
        "",
        f"**Acceptance: {_pct(acc)}** ({len(data.dialogs)} accepted, {len(data.rejects)} rejected)",
        "",
    ]
    lines += ["| layer | required | passed | failed | not run |", "|---|---|---:|---:|---:|"]
    for r in layer_table(data):
        lines.append(
            f"| {r['layer']} | {'yes' if r['required'] else 'no'} | {r['passed']} | {r['failed']} | {r['not_run']} |"
        )
    rr = reject_reasons(data)
    if rr:
        lines += ["", "Rejects by reason:", "", "| layer | reason | dialogs |", "|---|---|---:|"]
        lines += [f"| {_md(layer)} | {_md(reason)} | {n} |" for layer, reason, n in rr]
    lines += ["", "| category | target | plans | accepted |", "|---|---:|---:|---:|"]
    lines += [
        f"| {_md(m['category'])} | {_pct(m['target'])} | {m['plans']} | {m['accepted']} |"
        for m in category_mix(data)
    ]
    cov, shp = tool_coverage(data), shape(data)
    mt = "—" if shp["mean_turns"] is None else f"{shp['mean_turns']:.2f}"
    mc = "—" if shp["mean_calls"] is None else f"{shp['mean_calls']:.2f}"
    lines += [
        "",
        f"Tools: {cov['planned']} of {cov['tools']} in a plan, {cov['in_accepted']} called in an accepted "
        f"dialog. Per accepted dialog: {mt} turns, {mc} calls; {shp['parallel']} parallel, {shp['nested']} nested.",
    ]
    usage = usage_by_role(data)
    if usage:
        lines += [
            "",
            "| role | model | calls | cached | tokens in | tokens out | cost (USD) |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {_md(u['role'])} | {_md(u['model'])} | {u['calls']} | {u['cached']} | {u['prompt_tokens']} | "
            f"{u['completion_tokens']} | {_cost(u['cost_usd'])} |"
            for u in usage
        ]
    src = text_sources(data)
    if src:
        lines += [
            "",
            f"Text of the accepted dialogs: {src.get('user_total', 0) - src.get('user_rule', 0)} of "
            f"{src.get('user_total', 0)} user messages model-written"
            + (
                f", {src.get('reply_model', 0)} of {src.get('reply_model', 0) + src.get('reply_rule', 0)} "
                "assistant replies model-written (the rest by rule)"
                if "reply_model" in src
                else ""
            )
            + ".",
        ]
    if data.preferences is not None:
        pm = preference_mix(data)
        lines += [
            "",
            f"Preference pairs: {len(data.preferences)}; by kind "
            + ", ".join(f"{_md(k)} {n}" for k, n in pm["kind"])
            + "; by error "
            + ", ".join(f"{_md(k)} {n}" for k, n in pm["error"])
            + ".",
        ]
    if data.exports:
        lines += [
            "",
            "Exports: "
            + ", ".join(
                f"{_md(f)} ({', '.join(_md(n) + (f' {c}' if c >= 0 else '') for n, c in files.items()) or 'no data files'})"
                for f, files in data.exports.items()
            )
            + ".",
        ]
    return "\n".join(lines) + "\n"
