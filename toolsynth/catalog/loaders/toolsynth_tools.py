"""toolsynth's own normalized catalog (`tools.jsonl` from `toolsynth catalog convert`), so a converted catalog can
be inspected, validated or merged like any source. Records go through the same normalization and naming again."""

from __future__ import annotations

from collections.abc import Iterator

from toolsynth.catalog.loaders.base import (
    ReturnsDraft,
    ShapeError,
    SourceFile,
    ToolDraft,
    as_text,
    not_an_object,
)

FORMAT = "toolsynth"
TAG_PREFIX = "toolsynth.tool/"


def read(src: SourceFile) -> Iterator[ToolDraft]:
    seq = src.doc if isinstance(src.doc, list) else [src.doc]
    if not any(isinstance(r, dict) and str(r.get("schema", "")).startswith(TAG_PREFIX) for r in seq):
        raise ShapeError(f"no record has a `{TAG_PREFIX}N` schema tag", where=src.display)
    drafts: list[ToolDraft] = []
    for loc, rec in src.entries(seq):
        if not isinstance(rec, dict):
            drafts.append(not_an_object(loc, rec))
            continue
        prov = rec.get("provenance") if isinstance(rec.get("provenance"), dict) else {}
        draft = ToolDraft(
            original_name=rec.get("original_name", rec.get("name")),
            name_hint=rec.get("name") if isinstance(rec.get("name"), str) else None,
            where=loc,
            description=as_text(rec.get("description")),
            parameters=rec.get("parameters"),
            category=prov.get("category"),
            source_id=prov.get("source_id"),
            attributes=dict(prov.get("attributes") or {}),
        )
        # Keep where the tool really came from; the file being read now is only a converted copy.
        if "origin" not in draft.attributes and prov:
            draft.attributes["origin"] = {
                k: prov[k] for k in ("catalog", "source_file", "format") if k in prov
            }
        ret = rec.get("returns")
        if isinstance(ret, dict):
            draft.returns = ReturnsDraft(
                description=as_text(ret.get("description")),
                schema=ret.get("schema"),
                fields=[
                    (as_text(f.get("name")), as_text(f.get("description")), as_text(f.get("type")) or "any")
                    for f in ret.get("fields") or []
                    if isinstance(f, dict)
                ],
            )
        drafts.append(draft)
    yield from drafts
