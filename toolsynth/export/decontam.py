"""Overlap of dialogs with BFCL's multi-turn test questions (the `bfcl-eval` package data), by word n-grams.

A dialog's overlap is the largest share, over its user turns, of the turn's word n-grams that also occur in some
BFCL multi-turn question (base, miss_param, miss_func, long_context). A turn shorter than n words has no n-gram and
scores 0 (a short request like "close that ticket" says nothing about having seen the benchmark).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.classes import MULTI_TURN_CATEGORIES
from toolsynth.integrations.bfcl.package import multi_turn_path

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(tokens: Sequence[str], n: int) -> Iterable[tuple[str, ...]]:
    return (tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


@dataclass
class Overlap:
    score: float
    turn: int | None  # index among the dialog's user turns
    bfcl_id: str | None


class BfclQuestions:
    """n-gram → the first BFCL entry id that has it, over every multi-turn test question."""

    def __init__(self, n: int, data_dir: Path | None = None) -> None:
        self.n = n
        self.index: dict[tuple[str, ...], str] = {}
        self.entries = 0
        data_dir = data_dir or _bfcl_data_dir()
        for cat in MULTI_TURN_CATEGORIES:
            path = multi_turn_path(cat, data_dir)
            if not path.is_file():
                raise InputError(
                    "BFCL multi-turn test data not found in the bfcl-eval package", where=str(path)
                )
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                entry = orjson.loads(line)
                self.entries += 1
                eid = str(entry.get("id"))
                for turn in entry.get("question") or []:
                    for msg in turn if isinstance(turn, list) else []:
                        if isinstance(msg, dict) and msg.get("role") == "user":
                            toks = words(str(msg.get("content") or ""))
                            for g in ngrams(toks, n):
                                self.index.setdefault(g, eid)

    def overlap(self, user_texts: Sequence[str]) -> Overlap:
        best = Overlap(0.0, None, None)
        for t, text in enumerate(user_texts):
            toks = words(text)
            if len(toks) < self.n:
                continue
            grams = list(ngrams(toks, self.n))
            hits = [self.index[g] for g in grams if g in self.index]
            score = len(hits) / len(grams)
            eid = max(sorted(set(hits)), key=hits.count) if hits else None
            if score > best.score:
                best = Overlap(score, t, eid)
        return best


def _bfcl_data_dir() -> Path:
    try:
        from toolsynth.integrations.bfcl.package import bfcl_data_dir

        return bfcl_data_dir()
    except InputError as exc:
        raise InputError(
            "decontamination needs the bfcl-eval package (pip install --no-deps bfcl-eval)",
            where="decontaminate",
        ) from exc
