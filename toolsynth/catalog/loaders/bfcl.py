"""BFCL function docs: JSONL (despite `.json`) of `{name, description, parameters{type: dict}, response}`.

Also the single-turn entries (`multiple`, `parallel_multiple`): `{id, question, function: [funcdoc, ...]}`. Those are
task files; a directory scan ignores them (the catalog's tools are the func docs), but given explicitly their inline
function docs load, one tool per distinct doc.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolsynth.catalog.loaders.base import ShapeError, SourceFile, ToolDraft, not_an_object, top_list
from toolsynth.catalog.loaders.openai import function_draft
from toolsynth.integrations.bfcl.classes import FUNC_DOC_CLASSES

FORMAT = "bfcl"


def read(src: SourceFile) -> Iterator[ToolDraft]:
    seq, base = top_list(src, "functions", "tools")
    if seq and not any(
        isinstance(e, dict) and ("name" in e or isinstance(e.get("function"), list)) for e in seq
    ):
        raise ShapeError("no entry is a BFCL function doc or a question with `function`", where=src.display)
    category = FUNC_DOC_CLASSES.get(src.stem, src.stem)
    drafts: list[ToolDraft] = []
    for loc, entry in src.entries(seq, base):
        if not isinstance(entry, dict):
            drafts.append(not_an_object(loc, entry))
        elif isinstance(entry.get("function"), list):
            # Single-turn question entry: its offered function docs are inline.
            entry_id = str(entry.get("id", loc))
            for j, fn in enumerate(entry["function"]):
                floc = f"{loc}.function[{j}]"
                if not isinstance(fn, dict):
                    drafts.append(not_an_object(floc, fn))
                    continue
                d = function_draft(fn, floc)
                d.source_id = f"{entry_id}.function[{j}]"
                d.category = entry_id.rsplit("_", 1)[0]
                drafts.append(d)
        elif "name" in entry or "parameters" in entry:
            d = function_draft(entry, loc)
            d.category = category
            d.source_id = f"{src.stem}.{entry.get('name')}"
            drafts.append(d)
        else:
            drafts.append(ToolDraft(original_name=None, where=loc, problem="not a BFCL function doc"))
    yield from drafts
