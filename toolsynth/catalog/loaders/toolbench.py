"""ToolBench / StableToolBench RapidAPI entries.

Shapes read:
- tools grouped by us or by ToolBench: `[{category_name, tool_name, api_list: [API entry, ...]}]` (also one such
  object, which is ToolBench's raw `toolenv/tools/<Category>/<tool>.json`, whose entries use `name`/`description`);
- flat API entries `[{category_name, tool_name, api_name, api_description, required_parameters, ...}]`;
- query records `[{query, api_list, ...}]` (a task file: loaded only when given explicitly).

Each API becomes one tool named as ToolBench names its functions, `<api>_for_<tool>`: API names alone (`search`,
`get_info`) repeat across thousands of RapidAPI tools. `template_response`, the abstracted response skeleton,
becomes the return schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolsynth.catalog.loaders.base import (
    ReturnsDraft,
    ShapeError,
    SourceFile,
    ToolDraft,
    as_text,
    not_an_object,
)

FORMAT = "toolbench"


def _param_schema(spec: dict[str, Any]) -> dict[str, Any]:
    raw_type = as_text(spec.get("type"))
    prop: dict[str, Any] = {"type": raw_type.lower() or "string"}
    desc = as_text(spec.get("description"))
    if "(" in raw_type:
        # `DATE (YYYY-MM-DD)`: the format hint is worth keeping where a model will read it.
        hint = raw_type[raw_type.index("(") :].strip()
        desc = f"{desc} {hint}".strip()
    if desc:
        prop["description"] = desc
    default = spec.get("default")
    if default not in (None, ""):
        # RapidAPI's `default` is the playground's pre-filled value, i.e. an example, not what the API assumes.
        prop["examples"] = [default]
    return prop


def _api_parameters(api: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for key, is_required in (("required_parameters", True), ("optional_parameters", False)):
        for spec in api.get(key) or []:
            if not isinstance(spec, dict) or not as_text(spec.get("name")):
                continue
            name = as_text(spec["name"])
            if name in props:
                continue
            props[name] = _param_schema(spec)
            if is_required:
                required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def template_to_schema(template: Any) -> dict[str, Any]:
    """`{"id": "int", "data": [{"name": "str", "_list_length": 6}]}` → JSON Schema."""
    if isinstance(template, dict):
        props = {
            str(k): template_to_schema(v)
            for k, v in template.items()
            if not str(k).startswith("_list_length")
        }
        return {"type": "object", "properties": props}
    if isinstance(template, list):
        items = template_to_schema(template[0]) if template else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if isinstance(template, str):
        name = template.strip().lower()
        if name == "empty list":
            return {"type": "array"}
        return {"type": name} if name else {}
    return {}


def _returns(template: Any) -> ReturnsDraft | None:
    if template is None or template == {} or template == "":
        return None
    if isinstance(template, str):
        try:
            template = json.loads(template)
        except json.JSONDecodeError:
            return ReturnsDraft(description=template.strip())
    return ReturnsDraft(schema=template_to_schema(template))


def _api_draft(api: dict[str, Any], loc: str, tool_name: str, category: str | None) -> ToolDraft:
    api_name = api.get("api_name", api.get("name"))
    tool = as_text(api.get("tool_name")) or tool_name
    draft = ToolDraft(
        original_name=api_name,
        where=loc,
        name_hint=f"{api_name}_for_{tool}" if isinstance(api_name, str) and tool else None,
        description=as_text(api.get("api_description", api.get("description"))),
        parameters=_api_parameters(api),
        parameters_path=".required_parameters",
        category=as_text(api.get("category_name")) or category,
        source_id=f"{tool}/{api_name}",
    )
    draft.returns = _returns(api.get("template_response"))
    draft.returns_path = ".template_response"
    draft.attributes["tool"] = tool
    for key in ("method", "url"):
        if api.get(key):
            draft.attributes[key] = api[key]
    return draft


def read(src: SourceFile) -> Iterator[ToolDraft]:
    doc = src.doc
    entries: list[tuple[str, Any]]
    if isinstance(doc, dict) and isinstance(doc.get("api_list"), list):
        entries = [("$", doc)]
    elif isinstance(doc, list):
        entries = list(src.entries(doc))
    else:
        raise ShapeError(
            "expected a list of RapidAPI tools/APIs or one tool with `api_list`", where=src.display
        )
    if entries and not any(isinstance(e, dict) and ("api_list" in e or "api_name" in e) for _, e in entries):
        raise ShapeError("no entry has `api_list` or `api_name`: not a ToolBench file", where=src.display)
    drafts: list[ToolDraft] = []
    for loc, entry in entries:
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
        elif isinstance(entry.get("api_list"), list):
            tool_name = as_text(entry.get("tool_name") or entry.get("standardized_name"))
            category = as_text(entry.get("category_name")) or None
            for j, api in enumerate(entry["api_list"]):
                aloc = f"{loc}.api_list[{j}]"
                drafts.append(
                    _api_draft(api, aloc, tool_name, category)
                    if isinstance(api, dict)
                    else not_an_object(aloc, api)
                )
        else:
            drafts.append(_api_draft(entry, loc, "", None))
    yield from drafts
