"""xLAM / APIGen (Salesforce xlam-function-calling-60k).

Tools are `{name, description, parameters: {p: {type: "str" | "List[int]" | "str, optional", description,
default?}}}`: no `properties`, no `required` list. A parameter is required unless its type says `optional` or it
has a `default`. Records are `{id, query, tools: <JSON string>, answers: <JSON string>}` (task files: loaded only
when given explicitly); a plain list of such tools is a catalog.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolsynth.catalog.loaders.base import (
    ShapeError,
    SourceFile,
    ToolDraft,
    as_text,
    not_an_object,
    param_map_to_schema,
    top_list,
)

FORMAT = "xlam"


def is_xlam_params(params: Any) -> bool:
    """A flat `{p: {type, ...}}` map rather than a JSON Schema object."""
    return (
        isinstance(params, dict)
        and bool(params)
        and "properties" not in params
        and not isinstance(params.get("type"), str)
        and all(isinstance(v, dict) for v in params.values())
    )


def parameters_schema(params: Any) -> Any:
    if not is_xlam_params(params):
        return params  # already JSON Schema (or broken: normalization reports it)
    required = [
        str(p)
        for p, spec in params.items()
        if "optional" not in as_text(spec.get("type")).lower() and "default" not in spec
    ]
    return param_map_to_schema(params, required)


def _tool_draft(fn: dict[str, Any], loc: str, source_id: str) -> ToolDraft:
    return ToolDraft(
        original_name=fn.get("name"),
        where=loc,
        description=as_text(fn.get("description")),
        parameters=parameters_schema(fn.get("parameters")),
        source_id=source_id,
    )


def read(src: SourceFile) -> Iterator[ToolDraft]:
    entries: list[tuple[str, Any]]
    if isinstance(src.doc, dict) and "tools" in src.doc:
        entries = [("$", src.doc)]
    else:
        seq, base = top_list(src)
        entries = list(src.entries(seq, base))
    drafts: list[ToolDraft] = []
    for loc, entry in entries:
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        if "tools" in entry:
            tools = entry["tools"]
            if isinstance(tools, str):
                try:
                    tools = json.loads(tools)
                except json.JSONDecodeError as exc:
                    drafts.append(
                        ToolDraft(
                            original_name=None,
                            where=f"{loc}.tools",
                            problem=f"`tools` is not valid JSON ({exc.msg} at column {exc.colno})",
                        )
                    )
                    continue
            if not isinstance(tools, list):
                drafts.append(
                    ToolDraft(original_name=None, where=f"{loc}.tools", problem="`tools` is not a list")
                )
                continue
            record_id = entry.get("id", loc)
            for j, fn in enumerate(tools):
                floc = f"{loc}.tools[{j}]"
                drafts.append(
                    _tool_draft(fn, floc, f"{record_id}.tools[{j}]")
                    if isinstance(fn, dict)
                    else not_an_object(floc, fn)
                )
        elif "name" in entry:
            drafts.append(_tool_draft(entry, loc, as_text(entry.get("name"))))
    if entries and not drafts:
        raise ShapeError("no xLAM tool or record with `tools` found", where=src.display)
    yield from drafts
