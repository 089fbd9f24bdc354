"""BFCL prefixes every func-doc description with its class blurb ("This tool belongs to the ... Tool description:
..."); what a tool does starts after the marker."""

from __future__ import annotations

import re

_BLURB = re.compile(r"^.*?Tool description:\s*", re.S)


def strip_class_blurb(description: str) -> str:
    """The description after BFCL's class blurb; other catalogs' descriptions come back unchanged."""
    return _BLURB.sub("", description, count=1)
