"""A plain list of JSON-Schema functions: `[{name, description, parameters: {type: object, ...}}]`.

The same objects as inside OpenAI's `function` wrapper, so the OpenAI reader does the work; this module exists so
provenance says which shape the file had and `--format functions` can force it.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolsynth.catalog.loaders import openai
from toolsynth.catalog.loaders.base import SourceFile, ToolDraft

FORMAT = "functions"


def read(src: SourceFile) -> Iterator[ToolDraft]:
    yield from openai.read(src)
