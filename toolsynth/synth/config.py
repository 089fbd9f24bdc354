"""Recipe settings of `synthesize` (the `synth:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class SynthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
