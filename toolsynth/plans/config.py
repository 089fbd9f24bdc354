"""Recipe settings of `sample-plans` (the `plans:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlansConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
