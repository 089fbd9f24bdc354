"""Which BFCL class a catalog tool belongs to, and the real initial states BFCL ships for its classes.

The classes themselves (and what they accept) run in `backend.py`; plans only pick a state to
start from, and the dry run (`dryrun.py`) runs every planned call on those real classes.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.console import log
from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.classes import CORE_CLASSES, MULTI_TURN_CATEGORIES


@functools.cache
def _classes() -> tuple[frozenset[str], dict[str, str]]:
    """(core classes, doc stem → class); empty when bfcl-eval is not installed."""
    from toolsynth.integrations.bfcl.package import doc_stem_classes

    try:
        return frozenset(CORE_CLASSES), doc_stem_classes()
    except InputError:
        log.warning("bfcl-eval is not installed: BFCL plans carry no backend and are not dry-run")
        return frozenset(), {}


def bfcl_class(tool: Tool) -> str | None:
    """The BFCL backend class of a tool loaded from BFCL func docs (category = class name or file stem)."""
    prov = tool.provenance
    return _bfcl_class(prov.format, prov.catalog, prov.category, prov.source_file)


@functools.lru_cache(maxsize=4096)
def _bfcl_class(fmt: str, catalog: str, category: str | None, source_file: str) -> str | None:
    if fmt != "bfcl" and catalog != "bfcl":
        return None
    core, stems = _classes()
    for cand in (category, Path(source_file).stem if source_file else None):
        if not cand:
            continue
        if cand in core:
            return cand
        if cand in stems:
            return stems[cand]
    return None


@functools.lru_cache(maxsize=1)
def bfcl_initial_configs() -> tuple[tuple[frozenset[str], bytes], ...]:
    """(classes, initial_config as JSON) of every BFCL_v4 multi-turn entry shipped in the bfcl-eval package."""
    from toolsynth.integrations.bfcl.package import bfcl_data_dir, multi_turn_path

    try:
        data = bfcl_data_dir()
    except InputError:
        return ()
    out: list[tuple[frozenset[str], bytes]] = []
    seen: set[bytes] = set()
    for name in MULTI_TURN_CATEGORIES:
        path = multi_turn_path(name, data)
        if not path.exists():
            continue
        with open(path, "rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                entry = orjson.loads(line)
                cfg = entry.get("initial_config") or {}
                classes = frozenset(entry.get("involved_classes") or []) | frozenset(cfg)
                blob = orjson.dumps(cfg, option=orjson.OPT_SORT_KEYS)
                if blob not in seen:
                    seen.add(blob)
                    out.append((classes, blob))
    return tuple(out)


@functools.lru_cache(maxsize=1024)
def parsed_config(blob: bytes) -> dict[str, Any]:
    """A shipped initial_config, parsed once (read-only: callers copy what they keep)."""
    return orjson.loads(blob)  # type: ignore[no-any-return]


def sample_bfcl_config(
    classes: list[str], rng: random.Random, accept: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any]:
    """An initial state for `classes`, taken from one real BFCL entry when one covers them all (so their states
    belong together), else assembled class by class. `accept` (optional) keeps the entries a plan can use (one
    holding a booking to cancel) when any does."""
    want = frozenset(classes)
    entries = bfcl_initial_configs()
    whole = [blob for cls, blob in entries if want <= cls]
    if whole and accept is not None:
        whole = [b for b in whole if accept(parsed_config(b))] or whole
    if whole:
        cfg = orjson.loads(rng.choice(whole))
        return {c: cfg.get(c, {}) for c in sorted(want)}
    out: dict[str, Any] = {}
    for c in sorted(want):
        blobs = [blob for cls, blob in entries if c in cls]
        cfg = orjson.loads(rng.choice(blobs)) if blobs else {}
        out[c] = cfg.get(c, {})
    return out
