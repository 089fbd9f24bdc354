"""What the installed `bfcl-eval` package holds: its data directory, its class ↔ func-doc mapping, the func docs,
the classes themselves. Everything here imports `bfcl_eval` on first use, never at import time.
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path
from typing import Any

import orjson

from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.classes import CORE_CLASSES, MULTI_TURN_CATEGORIES


def _require_bfcl() -> Any:
    try:
        import bfcl_eval
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise InputError(
            "the `bfcl` backend needs the bfcl-eval package: pip install --no-deps bfcl-eval mpmath",
            where="backend",
        ) from exc
    return bfcl_eval


def bfcl_data_dir() -> Path:
    """`bfcl_eval/data` of the installed package (multi-turn questions, answers and func docs)."""
    return Path(_require_bfcl().__file__).resolve().parent / "data"


@functools.cache
def _config() -> tuple[dict[str, str], dict[str, str], frozenset[str]]:
    _require_bfcl()
    from bfcl_eval.constants import executable_backend_config as cfg

    return (
        dict(cfg.CLASS_FILE_PATH_MAPPING),
        dict(cfg.MULTI_TURN_FUNC_DOC_FILE_MAPPING),
        frozenset(cfg.STATELESS_CLASSES),
    )


def func_doc_path(class_name: str) -> Path:
    _, doc_files, _ = _config()
    if class_name not in doc_files:
        raise InputError(f"unknown BFCL class {class_name!r}", where="backend.classes")
    return bfcl_data_dir() / "multi_turn_func_doc" / doc_files[class_name]


@functools.cache
def class_func_docs(class_name: str) -> tuple[dict[str, Any], ...]:
    """The class's func docs as BFCL ships them (one JSON object per line despite the `.json` name)."""
    path = func_doc_path(class_name)
    docs = []
    for line in path.read_bytes().splitlines():
        if line.strip():
            docs.append(orjson.loads(line))
    return tuple(docs)


@functools.cache
def function_owner() -> dict[str, str]:
    """BFCL function name → the core class that implements it."""
    owner: dict[str, str] = {}
    for cls in CORE_CLASSES:
        for doc in class_func_docs(cls):
            owner.setdefault(doc["name"], cls)
    return owner


@functools.cache
def doc_stem_classes() -> dict[str, str]:
    """Func-doc file stem → core class (`travel_booking` → `TravelAPI`), from BFCL's own mapping."""
    _, doc_files, _ = _config()
    return {Path(f).stem: c for c, f in doc_files.items() if c in CORE_CLASSES}


def stateless_classes() -> frozenset[str]:
    """Classes BFCL runs without a scenario to load (`STATELESS_CLASSES`)."""
    return _config()[2]


def load_class(class_name: str) -> type:
    modules, _, _ = _config()
    if class_name not in modules:
        raise InputError(f"unknown BFCL class {class_name!r}", where="backend.classes")
    return getattr(importlib.import_module(modules[class_name]), class_name)


def multi_turn_path(category: str, data_dir: Path | None = None) -> Path:
    """BFCL v4's multi-turn question file of `category` (one JSON entry per line despite the `.json` name)."""
    if category not in MULTI_TURN_CATEGORIES:
        raise InputError(
            f"unknown BFCL multi-turn category {category!r} (known: {', '.join(MULTI_TURN_CATEGORIES)})",
            where="category",
        )
    return (data_dir or bfcl_data_dir()) / f"BFCL_v4_multi_turn_{category}.json"


def possible_answer_path(category: str, data_dir: Path | None = None) -> Path:
    """The ground-truth calls of `category`, beside the questions under `possible_answer/`."""
    question = multi_turn_path(category, data_dir)
    return question.parent / "possible_answer" / question.name
