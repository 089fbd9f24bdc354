"""One module per source catalog format; each turns a parsed file into `ToolDraft`s (see `base.py`).

A loader module has `FORMAT` (its name) and `read(src: SourceFile) -> Iterator[ToolDraft]`, and raises
`ShapeError` when the file's top-level shape is not its format.
"""

from __future__ import annotations

from types import ModuleType

from toolsynth.catalog.loaders import (
    bfcl,
    functions,
    mcp,
    nestful,
    openai,
    seal,
    toolace,
    toolalpaca,
    toolbench,
    toolsynth_tools,
    xlam,
)
from toolsynth.errors import InputError

LOADERS: dict[str, ModuleType] = {
    m.FORMAT: m
    for m in (
        openai,
        functions,
        bfcl,
        mcp,
        toolbench,
        toolalpaca,
        seal,
        nestful,
        toolace,
        xlam,
        toolsynth_tools,
    )
}

# Other names people use for the same formats.
ALIASES = {
    "tau": "openai",
    "tau-bench": "openai",
    "tau2": "openai",
    "tau2-bench": "openai",
    "jsonschema": "functions",
    "json-schema": "functions",
    "rapidapi": "toolbench",
    "stabletoolbench": "toolbench",
    "openapi": "toolalpaca",
    "seal-tools": "seal",
    "apigen": "xlam",
}

FORMAT_NAMES = sorted(LOADERS)


def get_loader(name: str) -> ModuleType:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in LOADERS:
        known = ", ".join([*FORMAT_NAMES, *sorted(ALIASES)])
        raise InputError(f"unknown catalog format {name!r} (known: {known})", where="--format")
    return LOADERS[key]
