"""Recipe settings of `export` (the `export:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ExportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
