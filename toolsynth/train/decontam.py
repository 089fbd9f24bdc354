"""Decontamination: training dialogs whose user turns share a word n-gram with an evaluation question are left
out, so a downstream score never rewards having seen the test."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def ngrams(text: str, n: int) -> list[tuple[str, ...]]:
    """In text order (so the first overlap reported is the first in the text)."""
    w = words(text)
    if len(w) < n:
        # a turn shorter than n words is compared whole
        return [tuple(w)] if w else []
    return [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]


@dataclass
class Decontaminator:
    n: int = 8
    _index: set[tuple[str, ...]] = field(default_factory=set)

    def add_eval_texts(self, texts: Iterable[str]) -> None:
        for t in texts:
            self._index.update(ngrams(t, self.n))

    def overlap(self, texts: Iterable[str]) -> tuple[str, ...] | None:
        """The first shared n-gram, or None."""
        for t in texts:
            for g in ngrams(t, self.n):
                if g in self._index:
                    return g
        return None
