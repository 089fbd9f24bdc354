"""Recipe settings of `sample-plans` (the `plans:` section of a recipe)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CATEGORIES = ("base", "miss_param", "miss_func", "long_context")


def _check_range(v: tuple[int, int]) -> tuple[int, int]:
    lo, hi = v
    if lo < 1 or hi < lo:
        raise ValueError(f"expected [min, max] with 1 <= min <= max, got [{lo}, {hi}]")
    return v


def _check_targets(v: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(v) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"unknown categories {unknown}; use {list(CATEGORIES)}")
    if any(x < 0 for x in v.values()):
        raise ValueError("category targets must be >= 0")
    total = sum(v.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"category targets must sum to 1, got {total:g}")
    return v


class WalkConfig(BaseModel):
    """How the tool subset of one plan is drawn from the graph."""

    model_config = ConfigDict(extra="forbid")

    kind_weights: dict[Literal["param_param", "return_param", "magnet"], float] = Field(
        default_factory=lambda: {"return_param": 3.0, "magnet": 2.0, "param_param": 1.0},
        description="multiplier per edge kind: return→param edges are preferred for sequential steps",
    )
    min_score: float = Field(default=0.0, ge=0, description="edges scoring below this are not walked")
    coverage_alpha: float = Field(
        default=1.0,
        ge=0,
        description="next-step weight × (1 + times the tool was already sampled)^-alpha; 0 = plain walk",
    )
    start_beta: float = Field(
        default=2.0, ge=0, description="start tool chosen ∝ (1 + uses)^-beta, so rare tools start walks"
    )
    max_restarts: int = Field(
        default=8, ge=0, description="dead ends tolerated per walk (backtrack to an earlier tool, then jump)"
    )
    teleport: Literal["none", "category", "any"] = Field(
        default="category",
        description="where a walk with no unvisited neighbour left may jump: nowhere, a tool of the same "
        "category/label, or any tool",
    )


class MagnetConfig(BaseModel):
    """MAGNET function-signature paths and their node operations."""

    model_config = ConfigDict(extra="forbid")

    category_targets: dict[str, float] = Field(
        default_factory=lambda: {"base": 0.4, "miss_param": 0.2, "miss_func": 0.2, "long_context": 0.2},
        description="share of plans per BFCL category (sums to 1)",
    )
    insert_rate: float = Field(
        default=0.3, ge=0, le=1, description="share of plans with a nested (insert) turn"
    )
    merge_rate: float = Field(
        default=0.3, ge=0, le=1, description="share of plans with a parallel (merge) turn"
    )
    reoffer_rate: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="miss_func: share of withheld tools offered again in the next turn (as BFCL does)",
    )
    near_miss: bool = Field(
        default=True,
        description="miss_func: offer the withheld tool's closest graph neighbour, so refusing is a real choice",
    )

    @field_validator("category_targets")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_targets(v)


class ToolflowConfig(BaseModel):
    """ToolFlow dialog plans written by the planner model."""

    model_config = ConfigDict(extra="forbid")

    category_targets: dict[str, float] = Field(
        default_factory=lambda: {"base": 0.55, "miss_param": 0.15, "miss_func": 0.15, "long_context": 0.15},
        description="share of plans per BFCL category (sums to 1)",
    )
    chat_turns: tuple[int, int] = Field(
        default=(0, 2), description="[min, max] chit-chat turns the planner is asked to include"
    )
    temperature: float | None = Field(
        default=None, ge=0, le=2, description="planner temperature (default: the role's setting)"
    )

    @field_validator("category_targets")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_targets(v)

    @field_validator("chat_turns")
    @classmethod
    def _chat(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 0 or v[1] < v[0]:
            raise ValueError(f"expected [min, max] with 0 <= min <= max, got [{v[0]}, {v[1]}]")
        return v


class PlansConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int = Field(default=100, ge=1, description="number of plans to sample")
    seed: int | None = Field(default=None, description="sampling seed (default: the recipe's seed)")
    strategy: Literal["toolflow", "magnet"] | None = Field(
        default=None, description="default: the recipe's strategy"
    )
    subset_size: tuple[int, int] = Field(
        default=(2, 4), description="[min, max] distinct tools the walk samples per plan"
    )
    path_length: tuple[int, int] = Field(
        default=(2, 6),
        description="[min, max] turns per plan: ToolFlow asks the planner for this many; MAGNET caps its "
        "paths at max (operations that would exceed it are skipped)",
    )
    offer_scope: Literal["subset", "category"] = Field(
        default="subset",
        description="what the assistant is offered: the plan's tools, or every tool of their categories "
        "(as BFCL offers whole classes)",
    )
    distractors: tuple[int, int] = Field(
        default=(3, 6), description="long_context: [min, max] look-alike graph neighbours added to the offer"
    )
    optional_arg_rate: float = Field(
        default=0.3, ge=0, le=1, description="chance that an optional argument gets a value"
    )
    dependency_min_score: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="a nested call needs a return→param edge scoring at least this (the output field and the "
        "argument must mean the same thing)",
    )
    max_attempts: int = Field(
        default=20, ge=1, description="fresh walks tried when a plan's category cannot be built on a walk"
    )
    dry_run: bool = Field(
        default=True,
        description="run every planned call on the plan's real backend while building it (values that fail are "
        "drawn again; a plan that still fails is rejected with the call and the error)",
    )
    dry_run_attempts: int = Field(
        default=8, ge=1, le=64, description="draws per planned call before the dry run gives the plan up"
    )
    state_draws: int = Field(
        default=6,
        ge=1,
        le=16,
        description="BFCL initial states tried for one skeleton before another walk (a state may hold no booking "
        "to cancel, no file to read)",
    )
    hub_cap: float = Field(
        default=1.6,
        gt=1,
        description="MAGNET: a walk through a tool already in more than this many times its fair share of plans "
        "(the mean plans per tool so far) is drawn again, so hubs (`contact_customer_support`, `echo`) do not "
        "take over",
    )
    planner_role: str = Field(default="planner", description="LLM role that writes ToolFlow plans")
    walk: WalkConfig = Field(default_factory=WalkConfig)
    magnet: MagnetConfig = Field(default_factory=MagnetConfig)
    toolflow: ToolflowConfig = Field(default_factory=ToolflowConfig)

    @field_validator("subset_size", "path_length")
    @classmethod
    def _ranges(cls, v: tuple[int, int]) -> tuple[int, int]:
        return _check_range(v)

    @field_validator("distractors")
    @classmethod
    def _distractors(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] < 0 or v[1] < v[0]:
            raise ValueError(f"expected [min, max] with 0 <= min <= max, got [{v[0]}, {v[1]}]")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> PlansConfig:
        # A MAGNET path has at least one turn per distinct tool before merges; the cap must leave room for that.
        if self.path_length[1] < self.subset_size[0] - 1:
            raise ValueError(
                f"path_length max ({self.path_length[1]}) is too small for subset_size min ({self.subset_size[0]})"
            )
        return self

    def targets(self, strategy: str) -> dict[str, float]:
        cfg = self.magnet if strategy == "magnet" else self.toolflow
        return {c: float(cfg.category_targets.get(c, 0.0)) for c in CATEGORIES}
