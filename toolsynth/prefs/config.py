"""Recipe settings of `make-preferences` (the `prefs:` section of a recipe)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PrefsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
