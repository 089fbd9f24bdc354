"""`toolsynth catalog`: inspect, validate and convert tool catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout

app = typer.Typer(help="Inspect, validate and convert tool catalogs.", no_args_is_help=True)

_FORMAT_HELP = (
    "Force a loader instead of detecting it: openai, functions, bfcl, mcp, toolbench (rapidapi), "
    "toolalpaca (openapi), seal, nestful, toolace, xlam, toolsynth."
)

_COLUMNS = [
    ("catalog", "catalog", "left"),
    ("formats", "formats", "left"),
    ("files", "files", "right"),
    ("tools", "tools", "right"),
    ("parameters", "params", "right"),
    ("tools_with_returns", "w/ returns", "right"),
    ("return_fields", "return fields", "right"),
    ("skipped", "skipped", "right"),
    ("duplicates_merged", "merged", "right"),
    ("ignored_files", "ignored", "right"),
]
_TOTALS = [k for k, _, j in _COLUMNS if j == "right"]


def _load_all(paths: list[Path], fmt: str | None, strict: bool) -> list[Any]:
    from toolsynth.catalog.layout import catalog_units
    from toolsynth.catalog.load import load_catalog

    results = []
    for path in paths:
        for unit in catalog_units(path) if path.exists() else [path]:
            results.append(load_catalog(unit, fmt=fmt, strict=strict))
    return results


def _short(file: str, root: str) -> str:
    prefix = root.rstrip("/") + "/"
    return file[len(prefix) :] if file.startswith(prefix) else file


def _print_table(table: Any) -> None:
    # Off a terminal rich assumes 80 columns and would truncate the counts; logs and pipes can take wide lines.
    if stdout.is_terminal:
        stdout.print(table)
    else:
        from rich.console import Console

        Console(file=stdout.file, width=160, color_system=None).print(table)


def _totals(summaries: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(s[k] for s in summaries) for k in _TOTALS}


@app.command("inspect")
def inspect(
    paths: list[Path] = typer.Argument(
        ..., help="Catalog files or directories. A folder of catalog folders gives one row each."
    ),
    fmt: str | None = typer.Option(None, "--format", "-f", help=_FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output on stdout."),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2) on the first unusable tool."),
    files: bool = typer.Option(
        False, "--files", help="Also list every file: the format it was read with, or why it was ignored."
    ),
) -> None:
    """Summarise catalogs: tools, parameters, tools with return values, skipped tools, ignored files."""
    results = _load_all(paths, fmt, strict)
    summaries = [r.summary() for r in results]
    if as_json:
        emit_json({"catalogs": [r.details() for r in results], "totals": _totals(summaries)})
        return

    from rich.table import Table

    table = Table(title="tool catalogs", title_justify="left")
    for key, header, justify in _COLUMNS:
        # Counts never wrap; the formats list may, so the table fits an 80-column log.
        table.add_column(header, justify=justify, no_wrap=key != "formats", overflow="fold")  # type: ignore[arg-type]
    for s in summaries:
        formats = ", ".join(s["formats"]) or "-"
        table.add_row(*[formats if k == "formats" else str(s[k]) for k, _, _ in _COLUMNS])
    if len(summaries) > 1:
        totals = _totals(summaries)
        table.add_section()
        table.add_row("total", "", *[str(totals[k]) for k in _TOTALS])
    _print_table(table)

    for r in results:
        for s in r.skipped:
            stdout.print(
                f"[yellow]skipped[/] {r.catalog}: {s.where}: {s.reason}", markup=True, highlight=False
            )
    if files:
        ftable = Table(title="files", title_justify="left")
        for col in ("catalog", "file", "read as / ignored because"):
            ftable.add_column(col)
        for r in results:
            for f, loader in r.files.items():
                ftable.add_row(r.catalog, _short(f, r.path), loader)
            for f, why in r.ignored:
                ftable.add_row(r.catalog, _short(f, r.path), f"[dim]ignored: {why}[/]")
        _print_table(ftable)


@app.command("validate")
def validate(
    paths: list[Path] = typer.Argument(..., help="Catalog files or directories."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=_FORMAT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output on stdout."),
) -> None:
    """Load strictly: exit 2 with one line at the first problem; otherwise print a one-line summary."""
    results = _load_all(paths, fmt, strict=True)
    if as_json:
        emit_json({"ok": True, "catalogs": [r.summary() for r in results]})
        return
    for r in results:
        s = r.summary()
        formats = ", ".join(s["formats"]) or "none"
        stdout.print(
            f"ok: {r.path}: {s['tools']} tools from {s['files']} files ({formats}), "
            f"{s['tools_with_returns']} with returns, {s['duplicates_merged']} repeats merged, "
            f"{s['ignored_files']} non-catalog files ignored",
            highlight=False,
        )


@app.command("convert")
def convert(
    path: Path = typer.Argument(
        ..., help="Catalog file or directory (a folder of catalogs becomes one file)."
    ),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the normalized tools (JSONL)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help=_FORMAT_HELP),
    strict: bool = typer.Option(False, "--strict", help="Fail (exit 2) on the first unusable tool."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output on stdout."),
) -> None:
    """Write the normalized catalog as `tools.jsonl` (one `toolsynth.tool/1` record per tool) plus a manifest."""
    from toolsynth.pipeline import convert as convert_catalog

    result = convert_catalog(path, output, fmt=fmt, strict=strict)
    print_converted(result, as_json)


def print_converted(result: Any, as_json: bool = False) -> None:
    """convert's summary: one JSON document, or one line."""
    summary, output = result.summary, result.output
    if as_json:
        emit_json(result.to_json())
        return
    stdout.print(
        f"wrote {result.tools} tools to {output} ({summary['skipped']} skipped, "
        f"{summary['duplicates_merged']} repeats merged, {summary['ignored_files']} files ignored)",
        highlight=False,
    )
