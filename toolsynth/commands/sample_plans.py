"""`toolsynth sample-plans`: walks over the tool graph → ToolFlow dialog plans or MAGNET function-signature paths."""

from __future__ import annotations

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
    from toolsynth.errors import InputError
    from toolsynth.graph.store import load_graph
    from toolsynth.llm.config import LLMConfig
    from toolsynth.plans.config import PlansConfig

    cfg = PlansConfig()
    llm = LLMConfig()
    base_dir = Path.cwd()
    recipe_strategy: str | None = None
    recipe_seed = 0
    if recipe is not None:
        from toolsynth.recipe import load_recipe

        r = load_recipe(recipe)
        cfg, llm, base_dir = r.plans, r.llm, r.base_dir
        recipe_strategy, recipe_seed = r.strategy, r.seed
    chosen = strategy or cfg.strategy or recipe_strategy or "magnet"
    if chosen not in ("toolflow", "magnet"):
        raise InputError(f"unknown strategy {chosen!r}; choose toolflow or magnet", where="--strategy")
    run_seed = seed if seed is not None else (cfg.seed if cfg.seed is not None else recipe_seed)
    if n is not None:
        cfg = cfg.model_copy(update={"n": n})
    updates: dict[str, Any] = {}
    if model:
        updates["model"] = model
    if concurrency:
        updates["concurrency"] = concurrency
    if no_cache:
        updates["cache"] = False
    llm = llm.model_copy(update=updates)

    from toolsynth.shard import parse_shard

    part = parse_shard(shard)
    graph = load_graph(graph_dir)
    if not graph.tools:
        raise InputError("the graph has no tools", where=str(graph_dir))

    from toolsynth.plans.run import run_sample_plans

    result = run_sample_plans(
        graph,
        cfg,
        strategy=chosen,  # type: ignore[arg-type]
        seed=run_seed,
        output=output,
        llm=llm,
        cache_base=base_dir,
        inputs=[graph_dir],
        options={
            "graph_dir": str(graph_dir),
            "recipe": str(recipe) if recipe else None,
            "strategy": chosen,
            "n": cfg.n,
            "seed": run_seed,
            "model": llm.model if chosen == "toolflow" else None,
            "cache": llm.cache,
            "shard": part.to_record() if part else None,
        },
        shard=part,
    )
    if as_json:
        emit_json(result)
        return
    s = result["stats"]
    stdout.print(
        f"wrote {s['plans']} plans to {result['output']}"
        + (f" ({s['rejects']} rejected → {result['rejects_file']})" if s["rejects"] else "")
        + f"; coverage {s['coverage']['share']:.1%} of {s['coverage']['catalog_tools']} tools"
    )
    if result.get("usage"):
        from toolsynth.console import stderr
        from toolsynth.llm.accounting import format_summary

        stderr.print(f"  {format_summary(result['usage'])}", highlight=False)
    if stats:
        from toolsynth.plans.stats import render

        stdout.print(render(s))
