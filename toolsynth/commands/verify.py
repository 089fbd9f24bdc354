"""`toolsynth verify`: audit any dialogs file (ours, OpenAI fine-tuning JSONL, ShareGPT) before training on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout


def command(
    dialogs: Path = typer.Argument(
        ...,
        help="Dialogs JSONL (or a make-preferences preferences.jsonl: both sides of every pair are checked): toolsynth dialogs.jsonl, OpenAI fine-tuning (`messages` + `tools`), or "
        "ShareGPT/LLaMA-Factory (`conversations` + `tools`); detected per record.",
    ),
    tools: Path | None = typer.Option(
        None,
        "--tools",
        "-t",
        help="The tools the data was made for: a catalog in any format `toolsynth catalog` reads, or tools.jsonl. "
        "Their definitions take precedence over those embedded in records. Default: each record's own `tools`.",
    ),
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        help="Execute calls on: `bfcl` (the BFCL multi-turn classes), `python:<module>[:Class]` (your code), or "
        "`none`. Default: the backend a dialog recorded when a data file may name it (bfcl, simulated; a recorded "
        "`python:` module is never imported); otherwise results are checked against return schemas.",
    ),
    checks: str = typer.Option(
        "format,execution,adherence",
        "--checks",
        "-c",
        help="Comma-separated layers: format, execution, semantic (LLM judge), adherence; or `all`.",
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="Force the input format: canonical, openai or sharegpt (default: detect)."
    ),
    plans: Path | None = typer.Option(
        None, "--plans", help="plans.jsonl: check adherence against each dialog's plan (planned tools)."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", help="Write the failing records here, each with its failing check and turn."
    ),
    annotated: Path | None = typer.Option(
        None, "--annotated", help="Write every record here in canonical form with its per-turn check results."
    ),
    fail_under: float = typer.Option(
        1.0,
        "--fail-under",
        min=0.0,
        max=1.0,
        help="Exit with code 1 when the share of passing records is below this. 1.0 (default): any failing "
        "record fails the run; 0: never fail on data.",
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model of the semantic judge (default: the recipe's, else local/smollm2)."
    ),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML whose `llm` settings apply."
    ),
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=1024, help="Records judged at once."),
    show: int = typer.Option(10, "--show", min=0, help="How many failing records to list."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout (for CI)."),
) -> None:
    """Run the verification layers on a dialogs file: per-check counts and the failing records.

    Exits 1 when fewer records pass than --fail-under asks, 2 on unreadable input.
    """
    from toolsynth.console import progress
    from toolsynth.pipeline import verify
    from toolsynth.synth.verify import parse_layers

    llm, cache_base = None, None
    if "semantic" in parse_layers(checks):  # the recipe is only read when the judge needs its model settings
        llm, cache_base = _judge_llm(model, recipe)
    with progress("verify", total=None) as bar:
        failed = 0

        def tick(passed: bool) -> None:
            nonlocal failed
            failed += not passed
            bar.advance(1, status=f"{failed} failing")

        result = verify(
            dialogs,
            checks=checks,
            tools=tools,
            backend=backend,
            fmt=fmt,
            plans=plans,
            rejects=rejects,
            annotated=annotated,
            fail_under=fail_under,
            llm=llm,
            cache_base=cache_base,
            concurrency=concurrency,
            max_listed=show,
            on_record=tick,
        )
    if as_json:
        emit_json(result.to_json())
    elif result.kind == "preferences":
        _print_preferences(dialogs, result.report, show)
    else:
        _print(result.report, show, rejects)
    if not result.ok:
        raise typer.Exit(1)


def _judge_llm(model: str | None, recipe: Path | None) -> tuple[Any, Path]:
    """The semantic judge's model settings (the recipe's `llm`, `--model` on top) and where its cache is."""
    from toolsynth.llm.config import LLMConfig

    llm, cache_base = LLMConfig(), Path.cwd()
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        r = load_recipe(recipe)
        llm, cache_base = r.llm, r.base_dir
    if model:
        llm = llm.model_copy(update={"model": model})
    return llm, cache_base


def _print(result: dict[str, Any], show: int, rejects: Path | None) -> None:
    from rich.table import Table

    fmts = ", ".join(f"{n} {k}" for k, n in result["formats"].items()) or "no records"
    stdout.print(f"verify {result['path']}: {result['records']} records ({fmts})")
    table = Table(show_edge=False, header_style="bold")
    for col in ("check", "turns passed", "failed", "n/a", "pass rate", "records failed"):
        table.add_column(col, justify="left" if col == "check" else "right")
    for layer, c in result["layers"].items():
        rate = c["turn_pass_rate"]
        table.add_row(
            layer,
            str(c["turns_passed"]),
            str(c["turns_failed"]),
            str(c["turns_not_applicable"]),
            "-" if rate is None else f"{rate:.1%}",
            str(c["records_failed"]),
        )
    stdout.print(table)
    verdict = "ok" if result["ok"] else f"FAIL (--fail-under {result['fail_under']:g})"
    stdout.print(
        f"{result['records_passed']} of {result['records']} records pass "
        f"({result['accept_rate']:.1%}); {result['records_failed']} fail: {verdict}"
    )
    for rec in result["failing"][:show]:
        first = rec["failures"][0] if rec["failures"] else {"layer": "?", "turn": "?", "reason": ""}
        more = f" (+{len(rec['failures']) - 1} more)" if len(rec["failures"]) > 1 else ""
        stdout.print(
            f"  line {rec['line']} {rec['id']}: {first['layer']} turn {first['turn']}: {first['reason']}{more}",
            markup=False,
            highlight=False,
        )
    if result["records_failed"] > show:
        stdout.print(f"  … {result['records_failed'] - show} more" + (f" in {rejects}" if rejects else ""))


def _print_preferences(path: Path, result: dict[str, Any], show: int) -> None:
    fail_under = result["fail_under"]
    stdout.print(
        f"verify {path}: {result['pairs']} preference pairs ({', '.join(f'{n} {k}' for k, n in result['by_kind'].items()) or 'none'})"
    )
    stdout.print(f"  chosen accepted:  {result['chosen_accepted']} of {result['pairs']}")
    stdout.print(
        f"  rejected failing: {result['rejected_failing']} of {result['pairs']}"
        + (
            f" ({result['rejected_failing_by_recorded_judge']} by the recorded judge verdict)"
            if result["rejected_failing_by_recorded_judge"]
            else ""
        )
    )
    if result["replay_errors"]:
        stdout.print(f"  replay errors:    {result['replay_errors']}")
    verdict = "ok" if result["ok"] else f"FAIL (--fail-under {fail_under:g})"
    stdout.print(f"{result['pairs_ok']} of {result['pairs']} pairs ok ({result['ok_rate']:.1%}): {verdict}")
    for rec in result["failing"][:show]:
        stdout.print(f"  line {rec['line']} {rec['id']}: {rec['reason']}", markup=False, highlight=False)
