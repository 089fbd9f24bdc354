"""Recipe settings of `build-graph` (the `graph:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class GraphConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
