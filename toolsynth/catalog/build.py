"""Drafts → `Tool`s, the same for every format: JSON-Schema normalization and `$ref` inlining, return fields, unique
sanitized names, merging of tools listed twice, and the account of what was skipped and why (`result.py`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toolsynth.catalog.loaders import get_loader
from toolsynth.catalog.loaders.base import ReturnsDraft, SourceFile, ToolDraft
from toolsynth.catalog.model import Provenance, ReturnField, Returns, Tool, flatten_return_schema
from toolsynth.catalog.names import NameRegistry
from toolsynth.catalog.result import Duplicate, LoadResult, Skipped
from toolsynth.catalog.schema import (
    map_type_name,
    normalize_parameters,
    normalize_schema,
    resolve_refs,
    schema_type_label,
)
from toolsynth.console import log
from toolsynth.errors import InputError


@dataclass
class _Entry:
    """A normalized tool waiting for the merge of repeats (see `ToolBuilder.finish`)."""

    key: bytes
    name_hint: str
    original_name: str
    description: str
    parameters: dict[str, Any]
    returns: Returns | None
    file: str
    where: str
    provenance: Provenance


# Keys that hold return values, examples or metadata, never the inputs: an object under them is no parameter list.
_NOT_INPUT_WORDS = ("return", "response", "output", "result", "example", "metadata", "annotation", "error")


def _resolve_path(src: SourceFile, path: str) -> Any:
    """The value at a loader's JSON path (`3:$`, `$[0]`, `$.tools[2].function`); None when it cannot be followed."""
    doc: Any = src.doc
    if ":" in path.split("$", 1)[0]:
        line, _, path = path.partition(":")
        if src.linenos is None or not line.isdigit() or int(line) not in src.linenos:
            return None
        doc = doc[src.linenos.index(int(line))]
    if not path.startswith("$"):
        return None
    for m in re.finditer(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|(.)", path[1:]):
        key, index, other = m.groups()
        if other is not None:
            return None
        if key is not None:
            if not isinstance(doc, dict) or key not in doc:
                return None
            doc = doc[key]
        else:
            if not isinstance(doc, list) or int(index) >= len(doc):
                return None
            doc = doc[int(index)]
    return doc


def _looks_like_parameters(value: Any) -> bool:
    """A JSON Schema object with properties, `{p: {type|description...}}`, or `[{name, type|description}]`."""
    if isinstance(value, dict) and value:
        if isinstance(value.get("properties"), dict) and value["properties"]:
            return True
        return all(isinstance(v, dict) and ("type" in v or "description" in v) for v in value.values())
    if isinstance(value, list) and value:
        return all(
            isinstance(v, dict) and "name" in v and ("type" in v or "description" in v or "required" in v)
            for v in value
        )
    return False


def unread_parameter_keys(src: SourceFile, draft: ToolDraft) -> list[str]:
    """Keys beside the place a loader reads parameters from whose value looks like a parameter list."""
    container_path, _, read_key = (draft.where + draft.parameters_path).rpartition(".")
    container = _resolve_path(src, container_path)
    if not isinstance(container, dict):
        return []
    return [
        str(k)
        for k, v in container.items()
        if k != read_key
        and not any(w in str(k).lower() for w in _NOT_INPUT_WORDS)
        and _looks_like_parameters(v)
    ]


class ToolBuilder:
    def __init__(self, root: Path, catalog: str, strict: bool, collection: bool) -> None:
        self.root = root
        self.catalog = catalog
        self.strict = strict
        self.collection = collection
        self.names = NameRegistry()
        self.result = LoadResult(path=str(root), catalog=catalog)
        self._entries: list[_Entry] = []

    # provenance ------------------------------------------------------------------------------------------------

    def _rel(self, path: Path) -> Path:
        root = self.root.resolve()
        base = root if root.is_dir() else root.parent
        try:
            return path.resolve().relative_to(base)
        except ValueError:
            return Path(path.name)

    def _catalog_of(self, path: Path) -> str:
        if self.collection:
            return self._rel(path).parts[0]
        return self.catalog

    def _source_file(self, path: Path) -> str:
        # Relative to the folder above the catalog, so records read the same on every machine: `bfcl/x/y.json`.
        try:
            return path.resolve().relative_to(self.root.resolve().parent).as_posix()
        except ValueError:
            return path.name

    @staticmethod
    def _default_category(path: Path) -> str | None:
        # The folder a file sits in is how collections mark domains (`tau-bench/retail/tools.openai.json`).
        return path.resolve().parent.name or None

    # problems -------------------------------------------------------------------------------------------------

    def skip(self, src: SourceFile, draft: ToolDraft, reason: str, where: str) -> None:
        if self.strict:
            raise InputError(reason, where=where)
        name = draft.original_name if isinstance(draft.original_name, str) else None
        self.result.skipped.append(Skipped(src.display, draft.source_id or name, reason, where))
        log.warning("skipped tool %s: %s: %s", name or "(unnamed)", where, reason)

    def warn(self, message: str, where: str) -> None:
        if self.strict:
            raise InputError(message, where=where)
        self.result.warnings.append(f"{where}: {message}")
        log.warning("%s: %s", where, message)

    # one file -------------------------------------------------------------------------------------------------

    def add_file(self, src: SourceFile, fmt: str) -> None:
        drafts = list(get_loader(fmt).read(src))  # a ShapeError leaves nothing half-added
        self.result.files[src.display] = fmt
        for draft in drafts:
            self.add_draft(src, fmt, draft)

    def add_draft(self, src: SourceFile, fmt: str, draft: ToolDraft) -> None:
        where = src.where(draft.where)
        name = draft.original_name
        if draft.problem:
            self.skip(src, draft, draft.problem, where)
            return
        if not isinstance(name, str) or not name.strip():
            self.skip(
                src, draft, "tool has no name" if name in (None, "") else "tool name is not a string", where
            )
            return
        params_where = where + draft.parameters_path
        try:
            raw = draft.parameters
            if draft.defs and isinstance(raw, dict):
                raw = resolve_refs(raw, draft.defs, where=params_where)
            parameters = normalize_parameters(raw, where=params_where)
        except InputError as exc:
            self.skip(src, draft, exc.message, exc.where or params_where)
            return
        description = draft.description if isinstance(draft.description, str) else str(draft.description)
        returns = self._returns(draft, where + draft.returns_path)
        if not parameters.get("properties"):
            for key in unread_parameter_keys(src, draft):
                # A tool whose inputs sit under a key no loader reads would silently take no arguments.
                msg = (
                    f"tool {name!r} has no parameters, but its `{key}` looks like a parameter list that this "
                    f"loader does not read; the tool is loaded without parameters"
                )
                self.result.warnings.append(f"{where}: {msg}")
                log.warning("%s: %s", where, msg)

        self._entries.append(
            _Entry(
                key=orjson.dumps(
                    [draft.name_hint or name, description, parameters], option=orjson.OPT_SORT_KEYS
                ),
                name_hint=draft.name_hint or name,
                original_name=name,
                description=description,
                parameters=parameters,
                returns=returns,
                file=src.display,
                where=where,
                provenance=Provenance(
                    catalog=self._catalog_of(src.path),
                    source_file=self._source_file(src.path),
                    format=fmt,
                    category=draft.category or self._default_category(src.path),
                    source_id=draft.source_id or draft.where,
                    attributes={k: v for k, v in draft.attributes.items() if v is not None} or None,
                ),
            )
        )

    def finish(self) -> LoadResult:
        """Turn the entries into tools, merging repeats.

        Entries with the same name, description and parameters are one tool. If they describe different return
        values they stay separate tools (BFCL v3 vs v4 `ticket_get_login_status`); an entry without returns joins
        the variant from its own category, else the first (τ-bench lists every tool twice, once without returns;
        `calculate` is in both domains with different return texts). Decided over the whole catalog, so the result
        does not depend on the order files are read in.
        """
        groups: dict[bytes, list[_Entry]] = {}
        for e in self._entries:
            groups.setdefault(e.key, []).append(e)
        for entries in groups.values():
            variants: list[_Entry] = []
            for e in entries:
                if e.returns is not None and not any(v.returns == e.returns for v in variants):
                    variants.append(e)
            if not variants:
                variants = [entries[0]]
            merged: dict[int, list[_Entry]] = {i: [] for i in range(len(variants))}
            for e in entries:
                if any(e is v for v in variants):
                    continue
                if e.returns is not None:
                    idx = next(i for i, v in enumerate(variants) if v.returns == e.returns)
                else:
                    same = [
                        i for i, v in enumerate(variants) if v.provenance.category == e.provenance.category
                    ]
                    idx = same[0] if same else 0
                merged[idx].append(e)
            for i, v in enumerate(variants):
                self._make_tool(v, merged[i])
        self._entries = []
        return self.result

    def _make_tool(self, entry: _Entry, repeats: list[_Entry]) -> None:
        prov = entry.provenance
        also = [
            c
            for c in dict.fromkeys(r.provenance.category for r in repeats)
            if c is not None and c != prov.category
        ]
        if also:
            prov = prov.model_copy(update={"attributes": {**(prov.attributes or {}), "also_in": also}})
        try:
            tool = Tool(
                name=self.names.claim(entry.name_hint),
                original_name=entry.original_name,
                description=entry.description,
                parameters=entry.parameters,
                returns=entry.returns,
                provenance=prov,
            )
        except ValueError as exc:  # pydantic: something a loader let through that the model refuses
            if self.strict:
                raise InputError(str(exc).splitlines()[0], where=entry.where) from exc
            self.result.skipped.append(
                Skipped(entry.file, prov.source_id, str(exc).splitlines()[0], entry.where)
            )
            return
        self.result.tools.append(tool)
        for r in repeats:
            self.result.duplicates.append(Duplicate(r.file, r.provenance.source_id, tool.name))

    def _returns(self, draft: ToolDraft, where: str) -> Returns | None:
        rd: ReturnsDraft | None = draft.returns
        if rd is None:
            return None
        schema: dict[str, Any] | None = None
        if rd.schema is not None:
            try:
                raw = rd.schema
                defs = rd.defs or draft.defs
                if isinstance(raw, dict):
                    raw = resolve_refs(raw, defs, where=where) if defs else resolve_refs(raw, where=where)
                schema = normalize_schema(raw, where=where) or None
            except InputError as exc:
                # The tool itself is usable; only what it returns is unknown.
                self.warn(f"return schema dropped: {exc.message}", exc.where or where)
                schema = None
        fields = [ReturnField(name=n, description=d, type=_type_label(t)) for n, d, t in rd.fields if n]
        if not fields and schema:
            fields = [
                ReturnField(name=f.path, description=f.description, type=f.type)
                for f in flatten_return_schema("", schema)
            ]
        description = rd.description or (str(schema.get("description", "")) if schema else "")
        returns = Returns(description=description, schema=schema, fields=fields)
        return None if returns.is_empty() else returns


def _type_label(raw: str) -> str:
    t, extra = map_type_name(raw) if raw else (None, {})
    return schema_type_label({"type": t, **extra}) if t else "any"
