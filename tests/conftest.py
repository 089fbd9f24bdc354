"""Shared test fixtures. The real catalogs live beside the clone in `../shared/catalogs` (CI has them too)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_CATALOGS = Path(__file__).resolve().parents[1] / ".." / "shared" / "catalogs"


@pytest.fixture(scope="session")
def shared_catalogs() -> Path:
    """Path of `../shared/catalogs`; a missing folder is a broken checkout, so it fails rather than skips."""
    assert SHARED_CATALOGS.is_dir(), f"real catalogs not found at {SHARED_CATALOGS}"
    return SHARED_CATALOGS
