"""The one normalized tool model. Every loader produces `Tool`s; every stage consumes them (via `tools.jsonl`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from toolsynth.catalog.names import NAME_PATTERN
from toolsynth.catalog.schema import schema_type_label


class Provenance(BaseModel):
    """Where a tool came from, so any record can be traced to its source line."""

    model_config = ConfigDict(extra="forbid")

    catalog: str = Field(
        description="catalog name, e.g. `bfcl` or the directory/file stem it was loaded from"
    )
    source_file: str = Field(description="path of the file the tool was read from")
    format: str = Field(description="loader that read it, e.g. `bfcl`, `openai`, `mcp`")
    category: str | None = Field(default=None, description="domain/category/class the source assigns")
    source_id: str | None = Field(
        default=None, description="id or JSON path of the tool inside the source file"
    )
    attributes: dict[str, Any] | None = Field(
        default=None,
        description="source facts worth keeping that have no field of their own: tau2 tool type, MCP "
        "annotations, HTTP method and endpoint, the RapidAPI tool an API belongs to",
    )


class ReturnField(BaseModel):
    """A named output field, dotted for nested ones (`location.name`, `items[].id`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    type: str = "any"


class Returns(BaseModel):
    """What a tool gives back: a JSON Schema when the source has one, and/or the flattened named fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    description: str = ""
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    fields: list[ReturnField] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.description or self.schema_ or self.fields)


class FieldView(BaseModel):
    """One parameter or return field of a tool, flattened for embedding and display."""

    tool: str
    kind: Literal["param", "return"]
    path: str
    description: str = ""
    type: str = "any"
    required: bool = False

    @property
    def leaf(self) -> str:
        return self.path.replace("[]", "").rsplit(".", 1)[-1]

    def text(self) -> str:
        desc = f": {self.description}" if self.description else ""
        return f"{self.path}{desc} ({self.type})"


class Tool(BaseModel):
    """A callable function as every stage sees it.

    `parameters` is plain JSON Schema (type object; `$ref` inlined; source type dialects mapped), ready for an
    OpenAI-style `tools` list and for `jsonschema` validation.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="sanitized, unique within the catalog, valid as an OpenAI function name")
    original_name: str = Field(description="the name exactly as the source wrote it")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: Returns | None = None
    provenance: Provenance

    @field_validator("name")
    @classmethod
    def _valid_name(cls, v: str) -> str:
        if not NAME_PATTERN.match(v):
            raise ValueError(f"tool name {v!r} is not a valid function name (^[a-zA-Z0-9_-]{{1,64}}$)")
        return v

    @field_validator("parameters")
    @classmethod
    def _object_schema(cls, v: dict[str, Any]) -> dict[str, Any]:
        if v.get("type") != "object":
            raise ValueError("parameters must be a JSON Schema of type object")
        return v

    # ---- views -------------------------------------------------------------------------------------------------

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self.parameters.get("properties", {}))

    def param_fields(self, max_depth: int = 2) -> list[FieldView]:
        out: list[FieldView] = []
        required = set(self.required)
        for pname, pschema in self.properties.items():
            out.extend(_flatten(self.name, "param", pname, pschema, pname in required, max_depth))
        return out

    def return_fields(self, max_depth: int = 3) -> list[FieldView]:
        if self.returns is None:
            return []
        if self.returns.fields:
            return [
                FieldView(tool=self.name, kind="return", path=f.name, description=f.description, type=f.type)
                for f in self.returns.fields
            ]
        if self.returns.schema_:
            return flatten_return_schema(self.name, self.returns.schema_, max_depth)
        return []

    def field_texts(self) -> list[str]:
        """ "name: description (type)" for every parameter and return field: what the embedding stage embeds."""
        return [f.text() for f in (*self.param_fields(), *self.return_fields())]

    def to_openai(self) -> dict[str, Any]:
        """The `tools` entry for OpenAI-compatible chat APIs (and litellm)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def to_record(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Tool:
        return cls.model_validate({k: v for k, v in record.items() if k != "schema"})


def _flatten(
    tool: str, kind: Literal["param", "return"], path: str, schema: Any, required: bool, depth: int
) -> list[FieldView]:
    if not isinstance(schema, dict):
        schema = {}
    view = FieldView(
        tool=tool,
        kind=kind,
        path=path,
        description=str(schema.get("description", "") or ""),
        type=schema_type_label(schema),
        required=required,
    )
    out = [view]
    if depth <= 1:
        return out
    props = schema.get("properties")
    if isinstance(props, dict):
        req = set(schema.get("required", []) or [])
        for name, sub in props.items():
            out.extend(_flatten(tool, kind, f"{path}.{name}", sub, name in req, depth - 1))
    items = schema.get("items")
    if isinstance(items, dict) and isinstance(items.get("properties"), dict):
        req = set(items.get("required", []) or [])
        for name, sub in items["properties"].items():
            out.extend(_flatten(tool, kind, f"{path}[].{name}", sub, name in req, depth - 1))
    return out


def flatten_return_schema(tool: str, schema: dict[str, Any], max_depth: int = 3) -> list[FieldView]:
    """Return fields from a return schema: an object's properties (nested dotted), or the whole value if scalar."""
    props = schema.get("properties")
    if isinstance(props, dict) and props:
        out: list[FieldView] = []
        for name, sub in props.items():
            out.extend(_flatten(tool, "return", name, sub, False, max_depth))
        return out
    items = schema.get("items")
    if (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and isinstance(items.get("properties"), dict)
    ):
        out = []
        for name, sub in items["properties"].items():
            out.extend(_flatten(tool, "return", f"[].{name}", sub, False, max_depth))
        return out
    return [
        FieldView(
            tool=tool,
            kind="return",
            path="result",
            description=str(schema.get("description", "") or ""),
            type=schema_type_label(schema),
        )
    ]
