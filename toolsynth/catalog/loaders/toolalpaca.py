"""ToolAlpaca API records, whose `Documentation` is an OpenAPI 3 spec serialized as a JSON string; also a bare
OpenAPI 3 / Swagger 2 document.

One tool per operation. ToolAlpaca's `Function_Projection` (function name → [path, method]) says which operations
are the API's functions and what they are called (the names its golden answers use); without it every operation
of `paths` is one, named by `operationId` or `<path>_<method>`. Parameters are the operation's (and its path's)
`parameters` plus the properties of a JSON request body; the first 2xx (or `default`) response schema is the return.
"""

from __future__ import annotations

import json
import re
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
from toolsynth.catalog.schema import resolve_refs
from toolsynth.errors import InputError

FORMAT = "toolalpaca"

_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def _components(spec: dict[str, Any]) -> dict[str, Any]:
    """`$ref` targets by last path segment (what `schema.resolve_refs` looks up)."""
    defs: dict[str, Any] = {}
    comps = spec.get("components")
    if isinstance(comps, dict):
        for section in ("parameters", "requestBodies", "responses", "schemas"):
            table = comps.get(section)
            if isinstance(table, dict):
                defs.update(table)
    if isinstance(spec.get("definitions"), dict):  # Swagger 2
        defs.update(spec["definitions"])
    return defs


def _deref(obj: Any, defs: dict[str, Any], where: str) -> Any:
    return resolve_refs(obj, defs, where=where) if isinstance(obj, dict) else obj


def _pick_content(content: Any) -> dict[str, Any] | None:
    if not isinstance(content, dict) or not content:
        return None
    for ctype in _BODY_TYPES:
        if isinstance(content.get(ctype), dict):
            return content[ctype]
    first = next(iter(content.values()))
    return first if isinstance(first, dict) else None


def _operation_parameters(
    path_item: dict[str, Any], op: dict[str, Any], defs: dict[str, Any], where: str
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    params = [*(path_item.get("parameters") or []), *(op.get("parameters") or [])]
    for i, raw in enumerate(params):
        p = _deref(raw, defs, f"{where}.parameters[{i}]")
        if not isinstance(p, dict) or not as_text(p.get("name")):
            continue
        name = as_text(p["name"])
        if p.get("in") == "body":  # Swagger 2 body parameter: its schema's properties are the arguments
            body = p.get("schema") if isinstance(p.get("schema"), dict) else {}
            _merge_body(props, required, body)
            continue
        schema = p.get("schema") if isinstance(p.get("schema"), dict) else {}
        prop = dict(schema)
        if not prop and p.get("type"):  # Swagger 2 puts type/enum on the parameter itself
            prop = {k: p[k] for k in ("type", "enum", "items", "default", "format") if k in p}
        if as_text(p.get("description")) and "description" not in prop:
            prop["description"] = as_text(p["description"])
        props[name] = prop
        if (p.get("required") is True or p.get("in") == "path") and name not in required:
            required.append(name)
    body = _deref(op.get("requestBody"), defs, f"{where}.requestBody")
    if isinstance(body, dict):
        media = _pick_content(body.get("content"))
        if media and isinstance(media.get("schema"), dict):
            _merge_body(props, required, media["schema"])
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = required
    return schema


def _merge_body(props: dict[str, Any], required: list[str], body: dict[str, Any]) -> None:
    if isinstance(body.get("properties"), dict):
        for name, sub in body["properties"].items():
            props.setdefault(str(name), sub)
        for name in body.get("required") or []:
            if name not in required:
                required.append(str(name))
    elif body:
        props.setdefault("body", body)
        required.append("body")


def _returns(op: dict[str, Any], defs: dict[str, Any], where: str) -> ReturnsDraft | None:
    responses = op.get("responses")
    if not isinstance(responses, dict) or not responses:
        return None
    codes = sorted(c for c in responses if str(c).startswith("2"))
    key = codes[0] if codes else ("default" if "default" in responses else None)
    if key is None:
        return None
    resp = responses[key]
    resp = _deref(resp, defs, f"{where}.responses.{key}")
    if not isinstance(resp, dict):
        return None
    media = _pick_content(resp.get("content"))
    schema = media.get("schema") if media else resp.get("schema")  # OpenAPI 3 / Swagger 2
    return ReturnsDraft(
        description=as_text(resp.get("description")),
        schema=schema if isinstance(schema, dict) else None,
        defs=defs,
    )


def _operations(spec: dict[str, Any], projection: Any) -> list[tuple[str, str, str]]:
    if isinstance(projection, dict) and projection:
        out = []
        for fname, target in projection.items():
            if isinstance(target, list | tuple) and len(target) == 2:
                out.append((str(fname), str(target[0]), str(target[1]).lower()))
            else:
                out.append((str(fname), "", ""))
        return out
    ops = []
    paths = spec.get("paths") if isinstance(spec.get("paths"), dict) else {}
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method.lower() in _METHODS and isinstance(op, dict):
                fallback = re.sub(r"[^A-Za-z0-9]+", "_", f"{path}_{method}").strip("_")
                ops.append((as_text(op.get("operationId")) or fallback, path, method.lower()))
    return ops


def _spec_drafts(
    spec: dict[str, Any],
    loc: str,
    spec_path: str,
    *,
    api_name: str,
    category: str | None,
    projection: Any = None,
    descriptions: Any = None,
) -> list[ToolDraft]:
    defs = _components(spec)
    paths = spec.get("paths") if isinstance(spec.get("paths"), dict) else {}
    drafts = []
    for fname, path, method in _operations(spec, projection):
        where = f'{loc}{spec_path}.paths["{path}"].{method}'
        draft = ToolDraft(
            original_name=fname,
            where=where,
            category=category,
            source_id=f"{api_name}.{fname}" if api_name else fname,
            parameters_path="",
            returns_path=".responses",
            defs=defs,
        )
        draft.attributes.update({"api": api_name, "method": method.upper(), "path": path})
        item = paths.get(path)
        op = item.get(method) if isinstance(item, dict) else None
        if not isinstance(op, dict):
            draft.problem = f"operation {method.upper()} {path} is not in the OpenAPI spec's paths"
            drafts.append(draft)
            continue
        fallback_desc = ""
        if isinstance(descriptions, dict) and isinstance(descriptions.get(fname), str):
            fallback_desc = descriptions[fname].split("\n", 1)[0]
        draft.description = (
            as_text(op.get("description")) or as_text(op.get("summary")) or fallback_desc.strip()
        )
        try:
            draft.parameters = _operation_parameters(item, op, defs, where)
            draft.returns = _returns(op, defs, where)
        except InputError as exc:
            draft.problem = f"broken $ref: {exc.message}"
        drafts.append(draft)
    return drafts


def read(src: SourceFile) -> Iterator[ToolDraft]:
    doc = src.doc
    if isinstance(doc, dict) and isinstance(doc.get("paths"), dict):
        info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
        yield from _spec_drafts(doc, "$", "", api_name=as_text(info.get("title")) or src.stem, category=None)
        return
    if not isinstance(doc, list) or not any(isinstance(e, dict) and "Documentation" in e for e in doc):
        raise ShapeError(
            "expected a list of ToolAlpaca API records with `Documentation` or an OpenAPI document with `paths`",
            where=src.display,
        )
    drafts: list[ToolDraft] = []
    for loc, record in src.entries(doc):
        if not isinstance(record, dict):
            drafts.append(not_an_object(loc, record))
            continue
        api_name = as_text(record.get("Name"))
        category = as_text(record.get("Category")) or None
        spec = record.get("Documentation")
        problem = None
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except json.JSONDecodeError as exc:
                problem = (
                    f"`Documentation` is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                )
        if problem is None and not isinstance(spec, dict):
            problem = "`Documentation` is not an OpenAPI object"
        if problem is not None or not isinstance(spec, dict):
            drafts.append(ToolDraft(original_name=api_name, where=f"{loc}.Documentation", problem=problem))
            continue
        drafts.extend(
            _spec_drafts(
                spec,
                loc,
                ".Documentation",
                api_name=api_name,
                category=category,
                projection=record.get("Function_Projection"),
                descriptions=record.get("Function_Description"),
            )
        )
    yield from drafts
