"""MCP `tools/list` results: `{"tools": [{name, title?, description, inputSchema, outputSchema?, annotations?}]}`.

Also accepts the whole JSON-RPC response (`{"jsonrpc", "id", "result": {"tools": [...]}}`) and a bare list of tools.
`outputSchema` describes `structuredContent`, i.e. the return value.
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
    not_an_object,
    top_list,
)

FORMAT = "mcp"

_SUFFIXES = (".tools_list", ".tools-list", ".tools", "_tools", "-tools")


def server_name(stem: str) -> str:
    for suffix in _SUFFIXES:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def read(src: SourceFile) -> Iterator[ToolDraft]:
    base_doc: Any = src.doc
    prefix = "$"
    if isinstance(base_doc, dict) and isinstance(base_doc.get("result"), dict):
        base_doc, prefix = base_doc["result"], "$.result"
    seq, base = top_list(SourceFile(src.path, src.display, base_doc, src.linenos), "tools")
    base = base.replace("$", prefix, 1)
    if seq and not any(isinstance(e, dict) and ("inputSchema" in e or "name" in e) for e in seq):
        raise ShapeError("no entry has `name` or `inputSchema`: not an MCP tools list", where=src.display)
    server = server_name(src.stem)
    drafts: list[ToolDraft] = []
    for loc, entry in src.entries(seq, base):
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        draft = ToolDraft(
            original_name=entry.get("name"),
            where=loc,
            description=as_text(entry.get("description")) or as_text(entry.get("title")),
            parameters=entry.get("inputSchema"),
            parameters_path=".inputSchema",
            category=server,
            source_id=f"{server}.{entry.get('name')}",
        )
        out = entry.get("outputSchema")
        if out is not None:
            draft.returns = ReturnsDraft(
                schema=out, description=as_text(out.get("description")) if isinstance(out, dict) else ""
            )
            draft.returns_path = ".outputSchema"
        for key in ("title", "annotations", "execution"):
            if entry.get(key) is not None:
                draft.attributes[key] = entry[key]
        drafts.append(draft)
    yield from drafts
