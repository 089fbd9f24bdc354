"""OpenAI `tools` lists: `[{"type": "function", "function": {name, description, parameters}}]`.

Covers τ-bench (`get_info()` output, our `x-returns`) and τ²-bench (pydantic schemas with `$defs`, plus `x-returns`,
`x-raises`, `x-tool-type`). Also reads `{"tools": [...]}` wrappers and bare function objects in the list.
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

FORMAT = "openai"

# Keys that different producers use for the return value of a function object.
_RETURN_KEYS = ("x-returns", "returns", "response", "output_schema", "outputSchema")


def function_draft(fn: dict[str, Any], loc: str) -> ToolDraft:
    """A draft from a function object `{name, description, parameters, ...returns}` (OpenAI, BFCL, plain lists)."""
    params_key = next((k for k in ("parameters", "input_schema", "inputSchema") if k in fn), "parameters")
    draft = ToolDraft(
        original_name=fn.get("name"),
        where=loc,
        description=as_text(fn.get("description")),
        parameters=fn.get(params_key),
        parameters_path=f".{params_key}",
    )
    ret_key = next((k for k in _RETURN_KEYS if fn.get(k) is not None), None)
    raises = fn.get("x-raises")
    if ret_key is not None or raises:
        rd = ReturnsDraft()
        if ret_key is not None:
            value = fn[ret_key]
            draft.returns_path = f".{ret_key}"
            if isinstance(value, dict | str):
                rd.schema = value
                if isinstance(value, dict):
                    rd.description = as_text(value.get("description"))
            else:
                rd.description = as_text(value)
        if isinstance(raises, list) and raises:
            # τ² tools raise instead of returning an error; the simulator turns that into "Error: ...".
            lines = [
                f"Raises {as_text(r.get('type'))}: {as_text(r.get('desc') or r.get('description'))}"
                for r in raises
                if isinstance(r, dict)
            ]
            rd.description = " ".join(filter(None, [rd.description, *lines]))
            draft.attributes["raises"] = raises
        draft.returns = rd
    if fn.get("x-tool-type") is not None:
        draft.attributes["tool_type"] = fn["x-tool-type"]
    if fn.get("strict") is not None:
        draft.attributes["strict"] = fn["strict"]
    return draft


def read(src: SourceFile) -> Iterator[ToolDraft]:
    entries: list[tuple[str, Any]]
    if isinstance(src.doc, dict) and ("function" in src.doc or "name" in src.doc):
        entries = [("$", src.doc)]
    else:
        seq, base = top_list(src, "tools", "functions")
        entries = list(src.entries(seq, base))
    if entries and not any(isinstance(e, dict) and ("function" in e or "name" in e) for _, e in entries):
        raise ShapeError("no entry has a `function` object or a `name`: not a tools list", where=src.display)
    # τ² keeps the tools the simulated *user* calls on their device in `user_tools*.json`.
    user_side = src.stem.startswith("user_tools")
    drafts: list[ToolDraft] = []
    for loc, entry in entries:
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        fn = entry.get("function")
        if isinstance(fn, dict):
            draft = function_draft(fn, f"{loc}.function")
        elif "name" in entry or "parameters" in entry:
            draft = function_draft(entry, loc)
        else:
            draft = ToolDraft(
                original_name=None, where=loc, problem="entry has neither `function` nor `name`/`parameters`"
            )
        if user_side:
            draft.attributes["user_tool"] = True
        drafts.append(draft)
    yield from drafts
