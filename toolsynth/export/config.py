"""Recipe settings of `export` (the `export:` section of a recipe)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: every format `export` writes, in the order `all` expands to
FORMATS = ("openai", "sharegpt", "trl-sft", "trl-dpo", "mdpo", "hermes", "hf")
FormatName = Literal["openai", "sharegpt", "trl-sft", "trl-dpo", "mdpo", "hermes", "hf", "all"]
CheckName = Literal["format", "execution", "semantic", "adherence"]


class SplitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    validation: float = Field(default=0.05, ge=0, lt=1, description="share of plans in validation.jsonl")
    test: float = Field(default=0.0, ge=0, lt=1, description="share of plans in test.jsonl")

    @model_validator(mode="after")
    def _leaves_train(self) -> SplitConfig:
        if self.validation + self.test >= 1:
            raise ValueError("validation + test must leave a share for train (sum < 1)")
        return self


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="drop a dialog whose user turns embed within this cosine of an earlier kept dialog's "
        "(FAISS over the build-graph embedding model; null = off, e.g. 0.95)",
    )


class DecontaminationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop: bool = Field(
        default=False, description="drop dialogs whose overlap with BFCL's multi-turn test questions is high"
    )
    threshold: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="overlap (share of a user turn's word n-grams found in a BFCL test question) at which a "
        "dialog counts as contaminated",
    )
    ngram: int = Field(default=8, ge=3, le=32, description="n of the word n-grams compared")


class ExportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[FormatName] = Field(default_factory=lambda: ["all"], description="formats to write")
    split: SplitConfig = Field(default_factory=SplitConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    decontamination: DecontaminationConfig = Field(default_factory=DecontaminationConfig)
    categories: list[str] | None = Field(
        default=None, description="keep only dialogs of these categories (null = all)"
    )
    require_checks: list[CheckName] = Field(
        default_factory=list,
        description="keep only dialogs that pass these checks on every turn; turns that fail any other check "
        "are kept but not trained (see README: export rules)",
    )
    max_per_tool: int | None = Field(
        default=None, ge=1, description="most dialogs that call any one tool, so hub tools do not dominate"
    )

    def format_names(self) -> list[str]:
        return list(FORMATS) if "all" in self.formats else list(dict.fromkeys(self.formats))
