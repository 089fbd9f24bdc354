"""Plans stage: the tool graph → ToolFlow dialog plans or MAGNET function-signature paths (`plans.jsonl`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.plans.config import PlansConfig
    from toolsynth.recipe import Recipe
    from toolsynth.shard import Shard

Strategy = Literal["toolflow", "magnet"]


@dataclass(frozen=True)
class PlanSettings:
    """What sample-plans reads from a recipe; `strategy`/`seed` are the recipe's top-level ones, which the plans
    section's own (when set) take precedence over."""

    plans: PlansConfig
    llm: LLMConfig
    base_dir: Path
    strategy: str | None = None
    seed: int = 0

    def chosen_strategy(self, override: str | None = None) -> Strategy:
        from toolsynth.errors import InputError

        chosen = override or self.plans.strategy or self.strategy or "magnet"
        if chosen not in ("toolflow", "magnet"):
            raise InputError(f"unknown strategy {chosen!r}; choose toolflow or magnet", where="--strategy")
        return chosen  # type: ignore[return-value]

    def chosen_seed(self, override: int | None = None) -> int:
        if override is not None:
            return override
        return self.plans.seed if self.plans.seed is not None else self.seed


def plan_settings(recipe: Recipe | None) -> PlanSettings:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.plans.config import PlansConfig

    if recipe is None:
        return PlanSettings(PlansConfig(), LLMConfig(), Path.cwd())
    return PlanSettings(recipe.plans, recipe.llm, recipe.base_dir, recipe.strategy, recipe.seed)


@dataclass(frozen=True)
class PlansResult:
    output: Path
    rejects_file: Path
    plans: int
    rejects: int
    summary: dict[str, Any]  # what run_sample_plans returned (also in the manifest): stats, usage, files

    def to_json(self) -> dict[str, Any]:
        return self.summary


def sample_plans(
    graph_dir: Path,
    output: Path,
    settings: PlanSettings | None = None,
    *,
    strategy: str | None = None,
    seed: int | None = None,
    shard: Shard | None = None,
    recipe_path: Path | None = None,
) -> PlansResult:
    """Sample `settings.plans.n` plans from the graph in `graph_dir` into `output`. Same graph + seed + cached
    planner answers → byte-identical output; `shard` writes only that slot range."""
    from toolsynth.errors import InputError
    from toolsynth.graph.store import load_graph
    from toolsynth.plans.run import run_sample_plans

    s = settings or plan_settings(None)
    chosen = s.chosen_strategy(strategy)
    run_seed = s.chosen_seed(seed)
    graph = load_graph(graph_dir)
    if not graph.tools:
        raise InputError("the graph has no tools", where=str(graph_dir))
    result = run_sample_plans(
        graph,
        s.plans,
        strategy=chosen,
        seed=run_seed,
        output=output,
        llm=s.llm,
        cache_base=s.base_dir,
        inputs=[graph_dir],
        options={
            "graph_dir": str(graph_dir),
            "recipe": str(recipe_path) if recipe_path else None,
            "strategy": chosen,
            "n": s.plans.n,
            "seed": run_seed,
            "model": s.llm.model if chosen == "toolflow" else None,
            "cache": s.llm.cache,
            "shard": shard.to_record() if shard else None,
        },
        shard=shard,
    )
    return PlansResult(
        output=Path(result["output"]),
        rejects_file=Path(result["rejects_file"]),
        plans=int(result["stats"]["plans"]),
        rejects=int(result["stats"]["rejects"]),
        summary=result,
    )
