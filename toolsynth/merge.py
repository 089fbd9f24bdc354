"""`toolsynth merge`: the outputs of N shard jobs → the one artifact the unsharded run would have written.

- dialogs (`synthesize`) and preference pairs (`make-preferences`) are sorted by id in every output, so merging is a
  bounded-memory sort by id (`artifacts.ExternalSorter`); a record in two inputs is written once, and the same id
  with different content is an error (the inputs were not made with the same settings).
- plans (`sample-plans`) are in slot order and each shard holds one contiguous slot range, so merging concatenates
  the shards in shard order.
The companion rejects file of each input (`X.rejects.jsonl`) is merged the same way into the output's.

Honest manifests: when the inputs' manifests say which shard they are, they must be shards 0..N-1 of one N, each
once, made with the same options (everything but the shard); the merged manifest lists every input with its shard,
hash, counts and model usage, and sums the usage. Inputs without a shard in their manifest (e.g. dialogs made from
the plan shards of a fanned-out run) are merged as a plain union.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsynth.artifacts import (
    ArtifactWriter,
    ExternalSorter,
    dumps,
    file_sha256,
    iter_jsonl,
    read_artifact,
    read_manifest,
    write_manifest,
)
from toolsynth.errors import InputError
from toolsynth.shard import Shard

# kind → (companion kind, how records are ordered)
STAGES: dict[str, tuple[str | None, str]] = {
    "plan": ("plan_reject", "slots"),
    "dialog": ("dialog_reject", "id"),
    "preference": (None, "id"),
}
# Options that differ between shards of one run by design.
_PER_SHARD = {"shard"}


def rejects_of(path: Path) -> Path:
    """`plans.jsonl` → `plans.rejects.jsonl` (the naming of both sample-plans and synthesize)."""
    stem = path.name[: -len(".jsonl")] if path.name.endswith(".jsonl") else path.name
    return path.with_name(f"{stem}.rejects.jsonl")


@dataclass
class Piece:
    path: Path
    kind: str
    manifest: dict[str, Any] | None
    shard: Shard | None


def _kind_of(path: Path, manifest: dict[str, Any] | None) -> str:
    tag = (manifest or {}).get("schema")
    if not isinstance(tag, str):
        first = next(iter_jsonl(path), None)
        tag = first[1].get("schema") if first else None
    kind = (
        tag.split(".", 1)[-1].split("/", 1)[0]
        if isinstance(tag, str) and tag.startswith("toolsynth.")
        else None
    )
    if kind not in STAGES:
        known = ", ".join(sorted(STAGES))
        raise InputError(f"cannot merge records of schema {tag!r} (mergeable: {known})", where=str(path))
    return kind


def _piece(path: Path) -> Piece:
    if not path.is_file():
        raise InputError("file not found" if not path.exists() else "not a file", where=str(path))
    manifest = read_manifest(path)
    kind = _kind_of(path, manifest)
    raw = ((manifest or {}).get("options") or {}).get("shard")
    shard = Shard.from_record(raw, where=f"{path}.manifest.json: options.shard") if raw else None
    return Piece(path, kind, manifest, shard)


def _comparable(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in _PER_SHARD}


def check_pieces(pieces: list[Piece]) -> list[Piece]:
    """Same kind; shards complete, each once, same settings. Returns the pieces in merge order."""
    kinds = {p.kind for p in pieces}
    if len(kinds) > 1:
        raise InputError(f"inputs hold different record kinds: {sorted(kinds)}", where=str(pieces[0].path))
    sharded = [p for p in pieces if p.shard is not None]
    if sharded and len(sharded) != len(pieces):
        plain = next(p for p in pieces if p.shard is None)
        raise InputError("mixes shard outputs with a file that is no shard", where=str(plain.path))
    if sharded:
        counts = {p.shard.count for p in sharded if p.shard}
        if len(counts) > 1:
            raise InputError(f"shards of different splits: N = {sorted(counts)}", where=str(pieces[0].path))
        n = counts.pop()
        by_index: dict[int, Piece] = {}
        for p in sharded:
            assert p.shard is not None
            if p.shard.index in by_index:
                raise InputError(
                    f"shard {p.shard} given twice (also {by_index[p.shard.index].path})", where=str(p.path)
                )
            by_index[p.shard.index] = p
        missing = [f"{i}/{n}" for i in range(n) if i not in by_index]
        if missing:
            raise InputError(f"shards missing: {', '.join(missing)}", where=str(pieces[0].path))
        ref = _comparable((pieces[0].manifest or {}).get("options") or {})
        for p in pieces[1:]:
            opts = _comparable((p.manifest or {}).get("options") or {})
            if opts != ref:
                diff = sorted(k for k in set(opts) | set(ref) if opts.get(k) != ref.get(k))
                raise InputError(
                    f"made with other settings than {pieces[0].path.name} ({', '.join(diff)} differ)",
                    where=str(p.path),
                )
        pieces = [by_index[i] for i in range(n)]
    return pieces


def _validator(kind: str) -> Any:
    """The record model of a kind, so a stranger's broken file stops the merge at its line (not at the counts)."""
    if kind in ("dialog", "dialog_reject"):
        from toolsynth.synth.record import Dialog

        return lambda r: Dialog.from_record({k: v for k, v in r.items() if k != "failure"})
    if kind == "plan":
        from toolsynth.plans.record import Plan

        return Plan.from_record
    if kind == "preference":
        from toolsynth.prefs.record import PreferencePair

        return PreferencePair.from_record
    return None


def _records(path: Path, kind: str) -> Iterator[tuple[str, bytes]]:
    from pydantic import ValidationError

    check = _validator(kind)
    for n, rec in enumerate(read_artifact(path, kind), 1):
        if check is not None:
            try:
                check(rec)
            except ValidationError as exc:
                err = exc.errors()[0]
                loc = ".".join(str(p) for p in err["loc"])
                raise InputError(f"invalid {kind} record: {loc}: {err['msg']}", where=f"{path}:{n}") from exc
        yield sort_key(kind, rec), dumps(rec)


def sort_key(kind: str, rec: dict[str, Any]) -> str:
    """The order a stage writes its records in: by id, except preference pairs, which make-preferences writes by
    dialog, then by pair id (a pair's id is a hash, so sorting by it alone would interleave dialogs)."""
    if kind == "preference":
        return f"{rec.get('dialog_id')}\0{rec.get('id')}"
    return str(rec.get("id"))


def merge_by_id(sources: list[Path], out: Path, kind: str) -> int:
    with ExternalSorter(out.parent) as sorter:
        for src in sources:
            for key, line in _records(src, kind):
                sorter.add(key, line)
        with ArtifactWriter(out, kind) as w:
            last: tuple[str, bytes] | None = None
            for key, line in sorter:
                if last is not None and key == last[0]:
                    if line != last[1]:
                        raise InputError(
                            f"two different records with id {key.split(chr(0))[-1]!r} among the inputs (not made "
                            "with the same settings?)",
                            where=str(out),
                        )
                    continue
                last = (key, line)
                w.write_line(line)
    return w.count


def concatenate(sources: list[Path], out: Path, kind: str) -> int:
    with ArtifactWriter(out, kind) as w:
        for src in sources:
            for _, line in _records(src, kind):
                w.write_line(line)
    return w.count


def _counts(kind: str, out: Path, written: int, rejects: int | None, pieces: list[Piece]) -> dict[str, Any]:
    if kind == "dialog":
        from toolsynth.synth.runner import summarize_files

        counts = summarize_files(out).to_record()
        counts["plans"] = sum(int(((p.manifest or {}).get("counts") or {}).get("plans") or 0) for p in pieces)
        counts["dialogs_written"], counts["rejects_written"] = written, rejects or 0
        counts.pop("resumed_from_journal", None)
        return counts
    if kind == "plan":
        return {"plans": written, "rejects": rejects or 0}
    if kind == "preference":
        return _prefs_counts(pieces, written)
    return {"records": written}


def _prefs_counts(pieces: list[Piece], written: int) -> dict[str, Any]:
    """make-preferences' counts of the whole from its shards' (each dialog is in exactly one shard)."""
    from toolsynth.prefs.run import PrefsSummary

    total = PrefsSummary()
    for p in pieces:
        c = ((p.manifest or {}).get("counts")) or {}
        total.dialogs += int(c.get("dialogs") or 0)
        total.failed_dialogs += int(c.get("failed_dialogs") or 0)
        total.errors = (total.errors + list(c.get("errors") or []))[:20]
        for kind, counts in (c.get("by_kind") or {}).items():
            mine = total.stats["by_kind"].setdefault(kind, dict.fromkeys(counts, 0))
            for key, n in counts.items():
                mine[key] = mine.get(key, 0) + int(n)
        for section in ("by_error", "skipped"):
            for key, n in (c.get(section) or {}).items():
                total.stats[section][key] = total.stats[section].get(key, 0) + int(n)
    total.pairs = written
    out = total.to_record()
    out.pop("resumed_from_journal", None)
    return out


def merge(inputs: list[Path], output: Path) -> dict[str, Any]:
    if not inputs:
        raise InputError("nothing to merge", where="merge")
    resolved = {p.resolve() for p in inputs}
    if output.resolve() in resolved:
        raise InputError("the output is also an input", where=str(output))
    pieces = check_pieces([_piece(Path(p)) for p in inputs])
    kind = pieces[0].kind
    companion, order = STAGES[kind]
    join = merge_by_id if order == "id" else concatenate
    written = join([p.path for p in pieces], output, kind)
    rejects: int | None = None
    if companion is not None:
        sources = [rejects_of(p.path) for p in pieces if rejects_of(p.path).is_file()]
        if sources:
            rejects = join(sources, rejects_of(output), companion)
    usages = [p.manifest["usage"] for p in pieces if p.manifest and isinstance(p.manifest.get("usage"), dict)]
    usages = [u for u in usages if u.get("roles") is not None]
    extra: dict[str, Any] = {
        "merged_from": [
            {
                "path": str(p.path),
                "sha256": file_sha256(p.path),
                "shard": p.shard.to_record() if p.shard else None,
                "counts": (p.manifest or {}).get("counts"),
                "usage": (p.manifest or {}).get("usage"),
                "created_at": (p.manifest or {}).get("created_at"),
            }
            for p in pieces
        ]
    }
    if usages:
        from toolsynth.llm.accounting import merge_summaries

        extra["usage"] = merge_summaries(usages)
    options = _comparable((pieces[0].manifest or {}).get("options") or {})
    counts = _counts(kind, output, written, rejects, pieces)
    write_manifest(
        output, kind=kind, counts=counts, options=options, inputs=[p.path for p in pieces], extra=extra
    )
    return {
        "output": str(output),
        "kind": kind,
        "inputs": len(pieces),
        "shards": pieces[0].shard.count if pieces[0].shard else None,
        "records": written,
        "rejects": rejects,
        "rejects_file": str(rejects_of(output)) if rejects is not None else None,
    }
