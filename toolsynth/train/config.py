"""Recipe settings of `toolsynth train` (the `train:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoraSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    r: int = Field(default=16, ge=1)
    alpha: int = Field(default=32, ge=1)
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: list[str] | str = Field(
        default="all-linear", description="peft target modules; the LM head is never adapted"
    )


class MDPOSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eta: float = Field(default=0.1, gt=0.0, description="η: scale of the trajectory log-ratio margin")
    mdpo_weight: float = Field(default=1.0, ge=0.0, description="λ in L = L_SFT(τw) + λ·L_mDPO")
    sft_weight: float = Field(default=1.0, ge=0.0, description="weight of L_SFT(τw); 1 in MAGNET's loss")


class TrainConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="local/smollm2",
        description="a local model directory (config.json + weights) or local/smollm2 (the offline default)",
    )
    lora: LoraSettings = Field(default_factory=LoraSettings)
    learning_rate: float = Field(default=2e-4, gt=0.0)
    epochs: float = Field(default=1.0, gt=0.0)
    max_steps: int = Field(default=-1, description="> 0 overrides epochs")
    batch_size: int = Field(default=1, ge=1)
    gradient_accumulation: int = Field(default=1, ge=1)
    max_length: int = Field(
        default=4096, ge=16, description="longer examples are left out (and counted), never cut mid-dialog"
    )
    gradient_checkpointing: bool = Field(
        default=False,
        description="trade compute for memory (TRL defaults it on; small CPU runs are faster off)",
    )
    seed: int = 0
    mdpo: MDPOSettings = Field(default_factory=MDPOSettings)
