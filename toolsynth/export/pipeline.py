"""`export`: dialogs (and preference pairs) → training files in every requested format, in two streaming passes.

Pass 1 reads every dialog once and keeps only what selection needs (ids, plan ids, called tools, user text when
dedup is on): filters by category and check, the BFCL overlap, near-duplicates, the per-tool cap, the split.
Pass 2 reads the dialogs (then the pairs) again and streams each kept record into every format's files. Everything
is written into a staging directory beside the output, read back and checked record by record, and only then moved
to `OUTDIR/<format>/`: a failed or killed export leaves earlier output as it was.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO

import orjson
import yaml

from toolsynth.artifacts import dumps, file_sha256, iter_jsonl
from toolsynth.console import log
from toolsynth.errors import InputError, ToolsynthError
from toolsynth.export import formats as registry
from toolsynth.export.config import ExportConfig
from toolsynth.export.formats.base import FileKind, Skip
from toolsynth.export.source import iter_dialogs, iter_pairs
from toolsynth.export.split import SPLITS, split_of
from toolsynth.export.stats import ExportStats
from toolsynth.export.view import ExportDialog, with_dialog_rules

PAIR_FORMATS = ("trl-dpo", "mdpo")  # formats that hold nothing but pairs


@dataclass
class EmbeddingChoice:
    model: str = "all-MiniLM-L6-v2"
    cache_dir: Path | None = None
    batch_size: int = 64


@dataclass(slots=True)
class _Meta:
    """What selection and pass 2 keep per dialog (one per input dialog, so kept small: slots, shared tool names)."""

    id: str
    plan_id: str
    tools: tuple[str, ...]
    text: str = ""
    overlap: float = 0.0
    bfcl_id: str | None = None
    dropped: str | None = None
    duplicate_of: str | None = None


@dataclass
class _Files:
    """Open JSONL files of one format in the staging directory, by (kind, split)."""

    directory: Path
    fmt: ModuleType
    handles: dict[tuple[str, str], BinaryIO] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def name(self, kind: str, split: str) -> str:
        fk: FileKind = self.fmt.SFT if kind == "sft" else self.fmt.PAIRS
        return f"{fk.stem}{split}.jsonl"

    def write(self, kind: str, split: str, record: dict[str, Any]) -> None:
        key = (kind, split)
        if key not in self.handles:
            self.handles[key] = open(self.directory / self.name(kind, split), "wb")  # noqa: SIM115
        self.handles[key].write(dumps(record))
        self.counts[self.name(kind, split)] += 1

    def close(self) -> dict[str, list[str]]:
        for fh in self.handles.values():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        out: dict[str, list[str]] = {"sft": [], "pairs": []}
        for kind, split in sorted(self.handles, key=lambda k: (k[0], SPLITS.index(k[1]))):
            out[kind].append(self.name(kind, split))
        return out


def _select(dialogs: Path, cfg: ExportConfig, stats: ExportStats, embedding: EmbeddingChoice) -> list[_Meta]:
    from toolsynth.export.decontam import BfclQuestions

    deco = cfg.decontamination
    try:
        bfcl: BfclQuestions | None = BfclQuestions(deco.ngram)
    except InputError:
        if deco.drop:
            raise
        log.warning("bfcl-eval is not installed: the BFCL overlap of the dialogs is not measured")
        bfcl = None
    required = set(cfg.require_checks)
    categories = set(cfg.categories) if cfg.categories is not None else None
    metas: list[_Meta] = []
    seen: dict[str, str] = {}
    for where, d in iter_dialogs(dialogs):
        stats.dialogs_in += 1
        if d.id in seen:
            raise InputError(f"dialog id {d.id!r} appears twice (first at {seen[d.id]})", where=where)
        seen[d.id] = where
        m = _Meta(d.id, d.plan_id, tuple(sys.intern(t) for t in d.called_tools()))
        if categories is not None and d.category not in categories:
            m.dropped = "category"
        elif required and any(layer in required and passed is False for layer, passed in d.checks):
            m.dropped = "checks"
        if bfcl is not None:
            ov = bfcl.overlap(d.user_texts())
            m.overlap, m.bfcl_id = ov.score, ov.bfcl_id
        if cfg.dedup.threshold is not None and m.dropped is None:
            from toolsynth.export.dedup import dialog_text

            m.text = dialog_text(d.user_texts())
        metas.append(m)
    over = [m for m in metas if m.overlap >= deco.threshold]
    stats.contamination = {
        "measured": bfcl is not None,
        "ngram": deco.ngram,
        "threshold": deco.threshold,
        "over_threshold": len(over),
        "max_overlap": round(max((m.overlap for m in metas), default=0.0), 4),
        "dropped": deco.drop,
    }
    if deco.drop:
        for m in over:
            m.dropped = m.dropped or "contaminated"
    if cfg.dedup.threshold is not None:
        from toolsynth.export.dedup import near_duplicates

        live = [m for m in metas if m.dropped is None]
        dups, embed_stats = near_duplicates(
            [m.text for m in live],
            cfg.dedup.threshold,
            model=embedding.model,
            cache_dir=embedding.cache_dir,
            batch_size=embedding.batch_size,
        )
        for j, i in dups.items():
            live[j].dropped, live[j].duplicate_of = "duplicate", live[i].id
        stats.duplicates = {"threshold": cfg.dedup.threshold, "removed": len(dups), "embedding": embed_stats}
    if cfg.max_per_tool is not None:
        used: Counter[str] = Counter()
        for m in metas:
            if m.dropped is not None:
                continue
            tools = set(m.tools)
            if any(used[t] >= cfg.max_per_tool for t in tools):
                m.dropped = "max_per_tool"
                continue
            used.update(tools)
    for m in metas:
        if m.dropped is not None:
            stats.dropped[m.dropped] += 1
        m.text = ""  # not needed any more; keeps pass 2 flat
    return metas


def _count_kept(d: ExportDialog, stats: ExportStats, split: str) -> None:
    stats.kept += 1
    stats.splits[split] += 1
    stats.categories[d.category] += 1
    stats.tools.update(d.called_tools())
    stats.reoffered += d.reoffers > 0
    stats.not_trained_turns += len(d.failed_turns)
    for layer, passed in d.checks:
        stats.checks[layer]["n/a" if passed is None else "passed" if passed else "failed"] += 1


def _card(fmt: ModuleType, files: dict[str, list[str]]) -> str:
    """A dataset card whose YAML tells `datasets.load_dataset(dir)` the splits and the exact column types."""
    configs, infos = [], []
    for kind in ("sft", "pairs"):
        fk: FileKind | None = fmt.SFT if kind == "sft" else fmt.PAIRS
        if fk is None or not files.get(kind):
            continue
        data_files = [{"split": n.rsplit(".", 2)[-2], "path": n} for n in files[kind]]
        configs.append({"config_name": fk.config, "data_files": data_files})
        if fk.features:
            infos.append({"config_name": fk.config, "features": fk.features})
    meta: dict[str, Any] = {"configs": configs}
    if infos:
        meta["dataset_info"] = infos
    body = f"# toolsynth export: {fmt.NAME}\n\nWritten by `toolsynth export`; see the toolsynth README, section Export.\n"
    # Through JSON first: shared sub-lists would become YAML aliases, which datasets' card reader mangles.
    meta = orjson.loads(orjson.dumps(meta))
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body


def _validate(directory: Path, fmt: ModuleType, files: dict[str, list[str]]) -> None:
    for kind, names in files.items():
        if not names:
            continue
        check = fmt.check_sft if kind == "sft" else fmt.check_pair
        for name in names:
            path = directory / name
            for lineno, rec in iter_jsonl(path):
                try:
                    check(rec)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise ToolsynthError(
                        f"export wrote a record {fmt.NAME} does not accept ({exc}); nothing was replaced",
                        where=f"{fmt.NAME}/{name}:{lineno}",
                    ) from exc


def _promote(staging: Path, out: Path, names: list[str]) -> None:
    for name in names:
        final = out / name
        old = out / f".{name}.old-{uuid.uuid4().hex[:8]}"
        if final.exists():
            os.replace(final, old)
        os.replace(staging / name, final)
        shutil.rmtree(old, ignore_errors=True)


def run_export(
    dialogs: Path,
    out: Path,
    cfg: ExportConfig,
    *,
    preferences: Path | None = None,
    embedding: EmbeddingChoice | None = None,
) -> ExportStats:
    names = cfg.format_names()
    stats = ExportStats()
    if preferences is None:
        asked = [n for n in names if n in PAIR_FORMATS]
        if asked and "all" not in cfg.formats:
            raise InputError(
                f"format {asked[0]} is made from preference pairs: give --preferences", where="--format"
            )
        for n in asked:
            stats.formats_not_written[n] = "no --preferences given"
        names = [n for n in names if n not in PAIR_FORMATS]
    mods = {n: registry.get(n) for n in names}
    if "hf" in mods:
        try:
            mods["hf"].require_datasets()
        except ToolsynthError:
            if "all" not in cfg.formats:
                raise
            stats.formats_not_written["hf"] = "the datasets package is not installed"
            del mods["hf"]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ToolsynthError(
            f"cannot create output directory: {exc.strerror or exc}", where=str(out)
        ) from exc
    metas = _select(dialogs, cfg, stats, embedding or EmbeddingChoice())
    by_id = {m.id: m for m in metas}
    staging = out / f".export-staging-{uuid.uuid4().hex[:8]}"
    try:
        staging.mkdir()
        files = {}
        for n, mod in mods.items():
            (staging / n).mkdir()
            files[n] = _Files(staging / n, mod)
        split_cfg = cfg.split
        # what pairs need from their dialog's tool-list notices (only dialogs whose list changes have any)
        tool_rules: dict[str, tuple[list[dict[str, Any]], dict[str, str]]] = {}
        for _where, d in iter_dialogs(dialogs):
            m = by_id[d.id]
            if m.dropped is not None:
                continue
            if d.user_rewrites and preferences is not None:
                tool_rules[d.id] = (d.tools, d.user_rewrites)
            split = split_of(d.plan_id, split_cfg.validation, split_cfg.test)
            _count_kept(d, stats, split)
            for n, f in files.items():
                if f.fmt.SFT is None:
                    continue
                try:
                    f.write("sft", split, f.fmt.sft(d))
                except Skip as skip:
                    stats.skipped[n][skip.reason] += 1
        if preferences is not None:
            for _where, p in iter_pairs(preferences):
                stats.pairs_in += 1
                m = by_id.get(p.dialog_id)
                if m is None:
                    stats.pairs_dropped["dialog_not_in_dialogs"] += 1
                    continue
                if m.dropped is not None:
                    stats.pairs_dropped[f"dialog_{m.dropped}"] += 1
                    continue
                stats.pairs_kept += 1
                if p.dialog_id in tool_rules:
                    p = with_dialog_rules(p, *tool_rules[p.dialog_id])
                split = split_of(p.plan_id, split_cfg.validation, split_cfg.test)
                for n, f in files.items():
                    if f.fmt.PAIRS is None:
                        continue
                    try:
                        f.write("pairs", split, f.fmt.pair(p))
                    except Skip as skip:
                        stats.skipped[n][f"pair_{skip.reason}"] += 1
        for n, f in files.items():
            written = f.close()
            stats.written[n].update(f.counts)
            _validate(f.directory, f.fmt, written)
            if n == "hf":
                rows = f.fmt.finish(f.directory, written)
                f.fmt.check_dir(f.directory, rows)
                stats.written[n] = Counter(rows)
                continue
            (f.directory / "README.md").write_text(_card(f.fmt, written), encoding="utf-8")
            if n == "sharegpt":
                info = f.fmt.dataset_info(written)
                (f.directory / "dataset_info.json").write_bytes(
                    orjson.dumps(info, option=orjson.OPT_INDENT_2)
                )
        _write_report(staging, metas)
        _write_manifest(staging, cfg, stats, dialogs, preferences)
        _promote(staging, out, [*mods, "contamination.jsonl", "export.manifest.json"])
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return stats


def _write_report(staging: Path, metas: list[_Meta]) -> None:
    """One line per input dialog: its BFCL overlap, and what selection did with it."""
    with open(staging / "contamination.jsonl", "wb") as fh:
        for m in metas:
            fh.write(
                dumps(
                    {
                        "dialog_id": m.id,
                        "plan_id": m.plan_id,
                        "bfcl_overlap": round(m.overlap, 4),
                        "bfcl_id": m.bfcl_id,
                        "dropped": m.dropped,
                        "duplicate_of": m.duplicate_of,
                    }
                )
            )


def _write_manifest(
    staging: Path, cfg: ExportConfig, stats: ExportStats, dialogs: Path, preferences: Path | None
) -> None:
    import datetime as dt
    import sys

    from toolsynth import __version__

    inputs = [{"path": str(p), "sha256": file_sha256(p)} for p in (dialogs, preferences) if p is not None]
    manifest = {
        "artifact": "export",
        "toolsynth_version": __version__,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(["toolsynth", *sys.argv[1:]]),
        "options": cfg.model_dump(mode="json"),
        "inputs": inputs,
        "counts": stats.to_dict(),
    }
    (staging / "export.manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
