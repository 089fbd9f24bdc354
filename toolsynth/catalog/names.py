"""Tool names valid for every provider: OpenAI requires `^[a-zA-Z0-9_-]{1,64}$`, unique within the offered list."""

from __future__ import annotations

import hashlib
import re

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_BAD = re.compile(r"[^a-zA-Z0-9_-]+")


def sanitize_name(original: str) -> str:
    """Replace runs of invalid characters by `_` (BFCL does `.` → `_`); cap at 64 chars with a hash suffix so two
    long names that share a prefix stay distinct."""
    name = _BAD.sub("_", original.strip()).strip("_") or "tool"
    if len(name) > 64:
        digest = hashlib.sha1(original.encode()).hexdigest()[:8]
        name = f"{name[:55]}_{digest}"
    return name


class NameRegistry:
    """Hands out unique sanitized names within one catalog: the second `get weather` becomes `get_weather_2`."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def claim(self, original: str) -> str:
        base = sanitize_name(original)
        name = base
        n = 2
        while name in self._used:
            suffix = f"_{n}"
            name = base[: 64 - len(suffix)] + suffix
            n += 1
        self._used.add(name)
        return name
