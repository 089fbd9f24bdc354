"""Seal-Tools: JSONL of `{api_name, api_description, field, parameters: {p: {type, description}}, required,
responses: {name: {type, description}}}` with Python type names (`str`, `int`, `float`, `bool`)."""

from __future__ import annotations

from collections.abc import Iterator

from toolsynth.catalog.loaders.base import (
    ReturnsDraft,
    ShapeError,
    SourceFile,
    ToolDraft,
    as_text,
    field_map_to_fields,
    not_an_object,
    param_map_to_schema,
    top_list,
)

FORMAT = "seal"


def read(src: SourceFile) -> Iterator[ToolDraft]:
    seq, base = top_list(src, "tools")
    if seq and not any(isinstance(e, dict) and "api_name" in e for e in seq):
        raise ShapeError("no entry has `api_name`: not a Seal-Tools file", where=src.display)
    drafts: list[ToolDraft] = []
    for loc, entry in src.entries(seq, base):
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        params = entry.get("parameters")
        draft = ToolDraft(
            original_name=entry.get("api_name"),
            where=loc,
            description=as_text(entry.get("api_description")),
            # A non-object `parameters` is passed through so normalization reports it with its path.
            parameters=param_map_to_schema(params, entry.get("required"))
            if isinstance(params, dict)
            else params,
            category=as_text(entry.get("field")) or None,
            source_id=as_text(entry.get("api_name")) or None,
            returns_path=".responses",
        )
        responses = entry.get("responses")
        if isinstance(responses, dict) and responses:
            draft.returns = ReturnsDraft(fields=field_map_to_fields(responses))
        drafts.append(draft)
    yield from drafts
