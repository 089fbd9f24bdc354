"""`toolsynth sample-plans`: walks over the tool graph → ToolFlow dialog plans or MAGNET function-signature paths."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from toolsynth.commands.common import emit_json
from toolsynth.console import stdout


def command(
    graph_dir: Path = typer.Argument(..., help="Graph directory written by `toolsynth build-graph`."),
    output: Path = typer.Option(
        ..., "--output", "-o", help="plans.jsonl to write (rejects go to <name>.rejects.jsonl beside it)."
    ),
    recipe: Path | None = typer.Option(
        None, "--recipe", "-r", help="Recipe YAML: its `plans` and `llm` settings, strategy and seed apply."
    ),
    strategy: str | None = typer.Option(
        None,
        "--strategy",
        "-s",
        help="toolflow (an LLM writes each plan) or magnet (no LLM). Default: recipe's, else magnet.",
    ),
    n: int | None = typer.Option(
        None, "-n", "--n", min=1, help="Number of plans (default: recipe's plans.n)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Sampling seed (default: recipe's)."),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Planner model (ToolFlow), any litellm string."
    ),
    concurrency: int | None = typer.Option(
        None,
        "--concurrency",
        min=1,
        max=1024,
        help="Planner requests in flight (default: recipe's llm.concurrency).",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Ask the planner again instead of using cached answers."
    ),
    stats: bool = typer.Option(
        False, "--stats", help="Print the category mix against the targets, shape and coverage."
    ),
    shard: str | None = typer.Option(
        None,
        "--shard",
        help="I/N: write only slot range I of N (0-based; `toolsynth merge` concatenates the shards).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON on stdout."),
) -> None:
    """Sample dialog plans from a tool graph: tool subsets by coverage-aware weighted walks, then ToolFlow plans
    (planner model) or MAGNET paths with the node operations (nested, parallel, missing parameter, missing function,
    long context). Same graph + seed + cached answers → byte-identical output."""
    from toolsynth.pipeline import plan_settings, sample_plans
    from toolsynth.shard import parse_shard

    settings = plan_settings(None)
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        settings = plan_settings(load_recipe(recipe))
    chosen = settings.chosen_strategy(strategy)  # a bad name fails before anything is read
    cfg, llm = settings.plans, settings.llm
    if n is not None:
        cfg = cfg.model_copy(update={"n": n})
    updates: dict[str, Any] = {}
    if model:
        updates["model"] = model
    if concurrency:
        updates["concurrency"] = concurrency
    if no_cache:
        updates["cache"] = False
    settings = replace(settings, plans=cfg, llm=llm.model_copy(update=updates))
    result = sample_plans(
        graph_dir, output, settings, strategy=chosen, seed=seed, shard=parse_shard(shard), recipe_path=recipe
    )
    print_plans(result, stats=stats, as_json=as_json)


def print_plans(result: Any, *, stats: bool = False, as_json: bool = False) -> None:
    """sample-plans' summary: one JSON document, or one line (and the plan statistics with `stats`)."""
    summary = result.to_json()
    if as_json:
        emit_json(summary)
        return
    s = summary["stats"]
    stdout.print(
        f"wrote {s['plans']} plans to {summary['output']}"
        + (f" ({s['rejects']} rejected → {summary['rejects_file']})" if s["rejects"] else "")
        + f"; coverage {s['coverage']['share']:.1%} of {s['coverage']['catalog_tools']} tools"
    )
    if summary.get("usage"):
        from toolsynth.console import stderr
        from toolsynth.llm.accounting import format_summary

        stderr.print(f"  {format_summary(summary['usage'])}", highlight=False)
    if stats:
        from toolsynth.plans.stats import render

        stdout.print(render(s))
