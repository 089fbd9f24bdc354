"""What every loader yields, and the helpers that several formats share.

A loader turns one parsed source file into `ToolDraft`s: the tool as the source wrote it (names unsanitized, schemas
in the source's type dialect) plus the JSON path it came from. `toolsynth.catalog.load` does the rest (schema
normalization, `$ref` resolution, naming, de-duplication, skip accounting), so a loader stays a pure reshaping of
one format and never decides whether a tool is usable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolsynth.errors import InputError


class ShapeError(InputError):
    """The file's top-level shape does not fit the loader (raised before any draft is yielded)."""


@dataclass
class ReturnsDraft:
    """A return value as the source describes it: a schema (any dialect) and/or named fields."""

    description: str = ""
    schema: Any = None
    # (dotted name, description, source type name) for sources that list output fields instead of a schema.
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    # Extra `$ref` targets (tau2's `x-returns` carries its own `$defs`; OpenAPI uses `components`).
    defs: dict[str, Any] | None = None


@dataclass
class ToolDraft:
    """One tool as read from the source, before normalization."""

    original_name: Any
    where: str
    description: Any = ""
    parameters: Any = None
    parameters_path: str = ".parameters"
    name_hint: str | None = None
    returns: ReturnsDraft | None = None
    returns_path: str = ".returns"
    category: str | None = None
    source_id: str | None = None
    defs: dict[str, Any] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    # A reason the loader already knows this entry is unusable (e.g. an embedded spec that is not valid JSON).
    problem: str | None = None


@dataclass
class SourceFile:
    """A parsed catalog file. `linenos` is set for JSONL: the line number of each record of `doc` (a list)."""

    path: Path
    display: str
    doc: Any
    linenos: list[int] | None = None

    @property
    def stem(self) -> str:
        name = self.path.name
        for ext in (".jsonl", ".ndjson", ".json"):
            if name.lower().endswith(ext):
                return name[: -len(ext)]
        return self.path.stem

    def loc(self, index: int, base: str = "$") -> str:
        """JSON path of item `index` of the list at `base`; for a JSONL file the top list is lines."""
        if base == "$" and self.linenos is not None:
            return f"{self.linenos[index]}:$"
        return f"{base}[{index}]"

    def entries(self, seq: Sequence[Any], base: str = "$") -> Iterator[tuple[str, Any]]:
        for i, entry in enumerate(seq):
            yield self.loc(i, base), entry

    def where(self, loc: str) -> str:
        return f"{self.display}:{loc}"


def not_an_object(loc: str, entry: Any) -> ToolDraft:
    return ToolDraft(
        original_name=None,
        where=loc,
        problem=f"tool entry must be a JSON object, got {type(entry).__name__}",
    )


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return str(value)


def top_list(src: SourceFile, *keys: str) -> tuple[list[Any], str]:
    """The list of entries: the document itself, or the first of `keys` in a top-level object."""
    doc = src.doc
    if isinstance(doc, list):
        return doc, "$"
    if isinstance(doc, dict):
        for key in keys:
            if isinstance(doc.get(key), list):
                return doc[key], f"$.{key}"
    want = " or ".join([f"an object with a `{k}` list" for k in keys] + ["a JSON list"])
    raise ShapeError(f"expected {want}, got {type(doc).__name__}", where=src.display)


def param_map_to_schema(
    params: dict[str, Any], required: Any = None, *, default_type: str | None = None
) -> dict[str, Any]:
    """`{p: {type, description, required?, default?, ...}}` (Seal, NESTFUL, xLAM) → an object schema.

    Per-property `required: true` flags and an explicit `required` list are both honoured; source spellings of the
    standard keywords (`example`, `default_value`, `allowed_values`) become `examples`, `default`, `enum`.
    """
    props: dict[str, Any] = {}
    req: list[str] = [str(r) for r in required] if isinstance(required, list) else []
    for pname, spec in params.items():
        if not isinstance(spec, dict):
            # `{p: "str"}`: the value is only a type name.
            props[str(pname)] = spec if isinstance(spec, str) else {}
            continue
        prop: dict[str, Any] = {}
        for key, value in spec.items():
            if key == "required":
                if value is True and pname not in req:
                    req.append(str(pname))
            elif key == "example":
                prop["examples"] = [value]
            elif key == "default_value":
                prop["default"] = value
            elif key in ("allowed_values", "possible_values"):
                if isinstance(value, list) and value:
                    prop["enum"] = value
            else:
                prop[key] = value
        if "type" not in prop and default_type:
            prop["type"] = default_type
        props[str(pname)] = prop
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if req:
        schema["required"] = req
    return schema


def field_map_to_fields(fields: dict[str, Any], default_type: str = "any") -> list[tuple[str, str, str]]:
    """`{field: {type, description}}` output lists (Seal `responses`, NESTFUL `output_parameters`)."""
    out: list[tuple[str, str, str]] = []
    for fname, spec in fields.items():
        if isinstance(spec, dict):
            out.append(
                (str(fname), as_text(spec.get("description")), as_text(spec.get("type")) or default_type)
            )
        else:
            out.append((str(fname), "", as_text(spec) or default_type))
    return out
