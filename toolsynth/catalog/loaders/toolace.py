"""ToolACE tool lists: BFCL-style function docs (`type: dict`, names with spaces such as "Market Trends API").

Shapes read:
- `[{record_index, tools: [funcdoc, ...]}]`: the tool list of each dialog record (our extraction);
- ShareGPT records `[{conversations, system, tools}]`: the list is the JSON embedded in ToolACE's system prompt
  (a task file: loaded only when given explicitly);
- a plain list of function docs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from toolsynth.catalog.loaders.base import ShapeError, SourceFile, ToolDraft, not_an_object, top_list
from toolsynth.catalog.loaders.openai import function_draft

FORMAT = "toolace"


def tools_from_prompt(system: str) -> list[Any] | None:
    """The first JSON list of objects embedded in a system prompt."""
    decoder = json.JSONDecoder()
    start = system.find("[{")
    while start != -1:
        try:
            value, _ = decoder.raw_decode(system, start)
        except json.JSONDecodeError:
            start = system.find("[{", start + 1)
            continue
        if isinstance(value, list):
            return value
        start = system.find("[{", start + 1)
    return None


def _record_tools(record: dict[str, Any], loc: str) -> tuple[list[Any], str] | None:
    tools = record.get("tools")
    if isinstance(tools, str):
        try:
            tools = json.loads(tools)
        except json.JSONDecodeError:
            tools = None
    if isinstance(tools, list) and tools:
        return tools, f"{loc}.tools"
    if isinstance(record.get("system"), str):
        found = tools_from_prompt(record["system"])
        if found:
            return found, f"{loc}.system"
    return ([], f"{loc}.tools") if isinstance(tools, list) else None


def read(src: SourceFile) -> Iterator[ToolDraft]:
    seq, base = top_list(src, "tools")
    drafts: list[ToolDraft] = []
    for loc, entry in src.entries(seq, base):
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
            continue
        if "name" in entry and "tools" not in entry:
            d = function_draft(entry, loc)
            d.source_id = str(entry.get("name"))
            drafts.append(d)
            continue
        found = _record_tools(entry, loc)
        if found is None:
            continue
        tools, tloc = found
        record_id = entry.get("record_index", entry.get("id", loc))
        for j, fn in enumerate(tools):
            floc = f"{tloc}[{j}]"
            if not isinstance(fn, dict):
                drafts.append(not_an_object(floc, fn))
                continue
            d = function_draft(fn, floc)
            d.source_id = f"record {record_id}.tools[{j}]"
            drafts.append(d)
    if seq and not drafts:
        raise ShapeError("no tool list found in any record", where=src.display)
    yield from drafts
