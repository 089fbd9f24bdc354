"""NESTFUL spec lists (`*-spec.json`).

- executable (RapidAPI): `{name, description, method, endpoint, host, url, query_parameters | path_parameters:
  {p: {type, description, required}}, output_parameters: {field: {type, description}}, output_parser}`;
- Glaive: `{name, description, query_parameters | parameters, output_parameters}`;
- SGD intents: `{name: "Service.Intent", description, arguments: {a: {description, required, default_value?,
  allowed_values}}, output_parameters: {field: {description, possible_values}}}` (untyped: SGD slot values are
  strings).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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

FORMAT = "nestful"

PARAM_KEYS = ("query_parameters", "path_parameters", "parameters", "arguments")


def _group(stem: str) -> str:
    """`non-executable-glaive-spec` → `glaive`, `executable-spec` → `executable`."""
    group = stem.removesuffix("-spec").removesuffix("_spec")
    return group.removeprefix("non-executable-") or group


def read(src: SourceFile) -> Iterator[ToolDraft]:
    seq, base = top_list(src, "tools", "spec")
    if seq and not any(
        isinstance(e, dict) and any(k in e for k in (*PARAM_KEYS, "output_parameters")) for e in seq
    ):
        raise ShapeError("no entry has NESTFUL parameter or output lists", where=src.display)
    group = _group(src.stem)
    drafts: list[ToolDraft] = []
    for loc, entry in src.entries(seq, base):
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        name = entry.get("name")
        untyped = "arguments" in entry  # SGD
        merged: dict[str, Any] = {}
        params_path = ".parameters"
        bad: Any = None
        for key in PARAM_KEYS:
            value = entry.get(key)
            if value is None:
                continue
            if not isinstance(value, dict):
                bad, params_path = value, f".{key}"
                break
            if not merged:
                params_path = f".{key}"
            merged.update(value)
        parameters = (
            bad
            if bad is not None
            else param_map_to_schema(merged, default_type="string" if untyped else None)
        )
        sgd_service = name.split(".", 1)[0] if isinstance(name, str) and "." in name else None
        draft = ToolDraft(
            original_name=name,
            where=loc,
            description=as_text(entry.get("description")),
            parameters=parameters,
            parameters_path=params_path,
            category=sgd_service or group,
            source_id=as_text(name) or None,
            returns_path=".output_parameters",
        )
        outputs = entry.get("output_parameters")
        if isinstance(outputs, dict) and outputs:
            draft.returns = ReturnsDraft(fields=field_map_to_fields(outputs, "string" if untyped else "any"))
        for key in ("method", "endpoint", "host", "url", "output_parser"):
            if entry.get(key):
                draft.attributes[key] = entry[key]
        drafts.append(draft)
    yield from drafts
