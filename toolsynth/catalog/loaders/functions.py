"""A plain list of JSON-Schema functions: `[{name, description, parameters: {type: object, ...}}]`.

The same objects as inside OpenAI's `function` wrapper, so the OpenAI reader does the work; this module exists so
provenance says which shape the file had and `--format functions` can force it.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolsynth.catalog.loaders.base import SourceFile, ToolDraft
from toolsynth.catalog.loaders.openai import read as read_openai

FORMAT = "functions"


def read(src: SourceFile) -> Iterator[ToolDraft]:
    yield from read_openai(src)
