"""Export stage: accepted dialogs (and preference pairs) → training files, one folder per format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolsynth.export.config import ExportConfig
    from toolsynth.export.pipeline import EmbeddingChoice
    from toolsynth.export.stats import ExportStats
    from toolsynth.recipe import Recipe


@dataclass(frozen=True)
class ExportSettings:
    export: ExportConfig
    embedding: EmbeddingChoice  # for near-duplicate removal: the recipe's graph embedding


def export_settings(
    recipe: Recipe | None, overrides: dict[str, Any] | None = None, *, where: str | None = None
) -> ExportSettings:
    """The recipe's `export:` section (or the defaults) with `overrides` on top: dotted keys (`split.test`), None
    values left out. A value the section refuses is a one-line error naming the field (`where`: the recipe)."""
    from pydantic import ValidationError

    from toolsynth.errors import RecipeError
    from toolsynth.export.config import ExportConfig
    from toolsynth.export.pipeline import EmbeddingChoice
    from toolsynth.graph.config import EmbeddingConfig

    if recipe is not None:
        base, emb = recipe.export.model_dump(), recipe.graph.embedding
        cache = recipe.resolve(emb.cache_dir) if emb.cache_dir else None
    else:
        base, emb = {}, EmbeddingConfig()
        cache = Path(emb.cache_dir) if emb.cache_dir else None
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = base
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    try:
        cfg = ExportConfig.model_validate(base)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise RecipeError(f"export.{field}: {err['msg']}", where=where or "options") from exc
    return ExportSettings(cfg, EmbeddingChoice(model=emb.model, cache_dir=cache, batch_size=emb.batch_size))


@dataclass(frozen=True)
class ExportResult:
    output: Path
    stats: ExportStats  # counts per category, check, tool, split and format; what was dropped and why

    @property
    def kept(self) -> int:
        return self.stats.kept

    @property
    def formats(self) -> list[str]:
        return list(self.stats.written)

    def to_json(self) -> dict[str, Any]:
        return {"output": str(self.output), **self.stats.to_dict()}


def export(
    dialogs: Path,
    output: Path,
    settings: ExportSettings | None = None,
    *,
    preferences: Path | None = None,
) -> ExportResult:
    """Write the dialogs (and, with `preferences`, the pairs) in the configured training formats, each file
    checked after writing."""
    from toolsynth.export.pipeline import run_export

    s = settings or export_settings(None)
    stats = run_export(dialogs, output, s.export, preferences=preferences, embedding=s.embedding)
    return ExportResult(output=output, stats=stats)
