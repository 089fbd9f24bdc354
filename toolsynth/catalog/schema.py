"""Normalize the many dialects of "JSON Schema" found in real catalogs into plain JSON Schema.

BFCL writes `dict`/`float`/`tuple`/`any`, Seal-Tools and xLAM write Python names (`str`, `int`, `List[str]`),
tau2 emits pydantic schemas with `$ref`/`$defs`. Everything downstream (validation, embedding, export) sees only
standard JSON Schema types: object, array, string, integer, number, boolean, null.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from toolsynth.console import log
from toolsynth.errors import InputError

JSON_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}

_TYPE_ALIASES: dict[str, str | None] = {
    "dict": "object",
    "object": "object",
    "map": "object",
    "mapping": "object",
    "json": "object",
    "list": "array",
    "array": "array",
    "tuple": "array",
    "set": "array",
    "sequence": "array",
    "str": "string",
    "string": "string",
    "text": "string",
    "date": "string",
    "datetime": "string",
    "time": "string",
    "enum": "string",
    "url": "string",
    "uri": "string",
    "email": "string",
    "binary": "string",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "int32": "integer",
    "int64": "integer",
    "float": "number",
    "number": "number",
    "double": "number",
    "decimal": "number",
    "bool": "boolean",
    "boolean": "boolean",
    "null": "null",
    "none": "null",
    "nonetype": "null",
    # "any" means no constraint: JSON Schema says that by omitting `type`.
    "any": None,
    "object?": "object",
}

_GENERIC = re.compile(r"^\s*(?:typing\.)?(?P<outer>[A-Za-z_]+)\s*\[(?P<inner>.*)\]\s*$")
# ToolBench/NESTFUL write `DATE (YYYY-MM-DD)`, xLAM writes `str, optional`: the type is the part before these.
_QUALIFIERS = re.compile(r"\s*(?:\([^()]*\)|,\s*optional)\s*$", re.IGNORECASE)


def map_type_name(name: str) -> tuple[str | None, dict[str, Any]]:
    """Map a source type name to (JSON type or None, extra keywords such as `items`).

    Unknown names map to no type (unconstrained) rather than failing: a catalog's odd type should not lose the tool.
    """
    raw = _QUALIFIERS.sub("", name.strip())
    m = _GENERIC.match(raw)
    if m:
        outer = m.group("outer").lower()
        inner = m.group("inner").strip()
        if outer in {"list", "set", "tuple", "sequence", "array"}:
            first = inner.split(",")[0].strip() if inner else ""
            t, extra = map_type_name(first) if first else (None, {})
            items = {"type": t, **extra} if t else {}
            return "array", ({"items": items} if items else {})
        if outer in {"dict", "mapping"}:
            return "object", {}
        if outer == "optional":
            return map_type_name(inner)
        if outer == "union":
            return map_type_name(inner.split(",")[0])
    key = raw.lower()
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key], {}
    return None, {}


def resolve_refs(
    schema: Any, defs: dict[str, Any] | None = None, *, where: str = "", _stack: tuple[str, ...] = ()
) -> Any:
    """Inline local `$ref`s (`#/$defs/X`, `#/definitions/X`); drop the `$defs` tables afterwards.

    A recursive reference is cut at the second visit and replaced by a plain object so the schema stays finite.
    """
    if isinstance(schema, list):
        return [resolve_refs(s, defs, where=where, _stack=_stack) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if defs is None:
        defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if not ref.startswith("#/"):
            raise InputError(f"only local $ref is supported, got {ref!r}", where=where)
        if name not in defs:
            raise InputError(f"$ref {ref!r} points to a missing definition", where=where)
        if name in _stack:
            return {"type": "object", "description": schema.get("description", f"(recursive {name})")}
        target = resolve_refs(copy.deepcopy(defs[name]), defs, where=where, _stack=(*_stack, name))
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return {**target, **resolve_refs(siblings, defs, where=where, _stack=_stack)}
    return {
        k: resolve_refs(v, defs, where=where, _stack=_stack)
        for k, v in schema.items()
        if k not in ("$defs", "definitions")
    }


def normalize_schema(schema: Any, *, where: str) -> dict[str, Any]:
    """Return a plain JSON Schema for one value. `where` names the place for error messages."""
    if not isinstance(schema, dict):
        if isinstance(schema, str):
            t, extra = map_type_name(schema)
            return {"type": t, **extra} if t else {}
        raise InputError(f"schema must be an object, got {type(schema).__name__}", where=where)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type":
            if isinstance(value, list):
                types = []
                for v in value:
                    t, _ = map_type_name(str(v))
                    if t and t not in types:
                        types.append(t)
                if types:
                    out["type"] = types[0] if len(types) == 1 else types
            elif isinstance(value, str):
                t, extra = map_type_name(value)
                if t:
                    out["type"] = t
                for k, v in extra.items():
                    out.setdefault(k, v)
        elif key == "properties":
            if not isinstance(value, dict):
                raise InputError("`properties` must be an object", where=f"{where}.properties")
            out["properties"] = {
                str(name): normalize_schema(sub, where=f"{where}.properties.{name}")
                for name, sub in value.items()
            }
        elif key == "items":
            if isinstance(value, list):  # tuple-style items: keep the first as the element schema
                out["items"] = normalize_schema(value[0], where=f"{where}.items[0]") if value else {}
            else:
                out["items"] = normalize_schema(value, where=f"{where}.items")
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            out[key] = [normalize_schema(v, where=f"{where}.{key}[{i}]") for i, v in enumerate(value)]
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = normalize_schema(value, where=f"{where}.additionalProperties")
        elif key == "required":
            if isinstance(value, list):
                out["required"] = [str(v) for v in value]
            elif isinstance(value, str) and value.strip():
                # `"required": "a"`: one name where a list belongs. Read it as `["a"]`, and say so.
                out["required"] = [value.strip()]
                log.warning("%s.required: a string, not a list; read as [%r]", where, value.strip())
            elif not isinstance(value, bool):
                log.warning(
                    "%s.required: expected a list of parameter names, got %s; ignored",
                    where,
                    type(value).__name__,
                )
            # BFCL/OpenAPI sometimes put `required: true` on a property; the parent handles that.
        else:
            out[key] = value
    if "properties" in out and "type" not in out:
        out["type"] = "object"
    if out.get("type") == "object" and "required" in out and "properties" in out:
        unknown = [r for r in out["required"] if r not in out["properties"]]
        if unknown:
            log.warning("%s.required: names no property: %s; dropped", where, ", ".join(map(repr, unknown)))
        out["required"] = [r for r in out["required"] if r in out["properties"]]
    return out


def normalize_parameters(schema: Any, *, where: str) -> dict[str, Any]:
    """The parameters of a tool: always an object schema with `properties` (possibly empty)."""
    if schema is None:
        return {"type": "object", "properties": {}}
    if not isinstance(schema, dict):
        raise InputError(f"parameters must be an object, got {type(schema).__name__}", where=where)
    resolved = resolve_refs(schema, where=where)
    norm = normalize_schema(resolved, where=where)
    t = norm.get("type")
    if t not in (None, "object"):
        raise InputError(f"parameters must have type object, got {t!r}", where=where)
    norm["type"] = "object"
    norm.setdefault("properties", {})
    return norm


def schema_type_label(schema: dict[str, Any]) -> str:
    """A short human type label: `string`, `array[string]`, `string|null`, `any`."""
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(t)
    if t == "array":
        items = schema.get("items") or {}
        inner = schema_type_label(items) if items else "any"
        return f"array[{inner}]"
    if t is None and isinstance(schema.get("anyOf"), list):
        # pydantic's Optional[X] is anyOf[X, null]: label it by X, the part a caller actually supplies
        labels = [schema_type_label(s) for s in schema["anyOf"] if isinstance(s, dict)]
        non_null = [x for x in labels if x != "null"]
        return "|".join(non_null or labels)
    return t or "any"
