"""`toolsynth export`."""

from __future__ import annotations

from toolsynth.commands.common import not_built


def command() -> None:
    """Not implemented yet: exits with code 3."""
    not_built("export")
