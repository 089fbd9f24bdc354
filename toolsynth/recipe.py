"""YAML recipes: one file that chooses the strategy (ToolFlow or MAGNET) and every stage's settings.

A recipe is validated whole before any work starts, and every error names the file and the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from toolsynth.errors import RecipeError
from toolsynth.export.config import ExportConfig
from toolsynth.graph.config import GraphConfig
from toolsynth.llm.config import LLMConfig
from toolsynth.plans.config import PlansConfig
from toolsynth.prefs.config import PrefsConfig
from toolsynth.synth.config import SynthConfig
from toolsynth.train.config import TrainConfig


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "recipe"
    strategy: Literal["toolflow", "magnet"]
    seed: int = 0
    catalog: str = Field(
        description="a catalog file or directory (mixed formats allowed), relative to the recipe file"
    )
    output_dir: str = "out"
    llm: LLMConfig = Field(default_factory=LLMConfig)
    graph: GraphConfig = Field(default_factory=GraphConfig)
    plans: PlansConfig = Field(default_factory=PlansConfig)
    synth: SynthConfig = Field(default_factory=SynthConfig)
    prefs: PrefsConfig = Field(default_factory=PrefsConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    # Where the recipe file lives: relative paths in it are resolved against this.
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _one_user_backend(self) -> Recipe:
        # A plan may only name bfcl or simulated (data never chooses code), so plans sampled over the recipe's own
        # module (`plans.backend`) run in synthesize on that module unless `synth.backend` says otherwise.
        if self.synth.backend is None and self.plans.backend is not None:
            self.synth = self.synth.model_copy(update={"backend": self.plans.backend})
        return self

    def resolve(self, path: str) -> Path:
        # normpath: messages and manifests show `out/x`, not `recipes/../out/x` (recipes sit beside their outputs).
        p = Path(path)
        return p if p.is_absolute() else Path(os.path.normpath(self.base_dir / p))


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_recipe(data: Any, *, source: str, base_dir: Path | None = None) -> Recipe:
    if not isinstance(data, dict):
        raise RecipeError(f"a recipe must be a YAML mapping, got {type(data).__name__}", where=source)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RecipeError(f"{_field_path(err['loc'])}: {err['msg']}{more}", where=source) from exc
    if base_dir is not None:
        recipe.base_dir = base_dir
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise RecipeError("recipe file not found", where=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise RecipeError(f"invalid YAML: {problem}", where=where) from exc
    return parse_recipe(data, source=str(path), base_dir=path.parent)
