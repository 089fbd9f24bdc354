"""Which values can fill a parameter: the ones a backend really holds, by field name.

A `ValuePool` is filled from a backend's state (its public attributes) and from what its read-only tools answer
right now (`ls`, `list_all_airports`, `get_watchlist`: zero-argument tools whose name says they only read), and is
matched against a parameter by name: the same name, the same name in the singular, a shared content word
(`booking_id` ↔ the keys of `booking_record`), or a synonym from `words.FIELD_SYNONYMS` (`folder` ↔ the entries of a
directory's `contents`). The dry run (`dryrun.py`) then says which of these values really work.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from toolsynth.plans.schema_values import tokens
from toolsynth.plans.words import FIELD_SYNONYMS

# Tokens that say what kind of value a field holds, not what it is about: `booking_id` and `card_id` share `id`
# and nothing else.
_GENERIC_TOKENS = frozenset(
    {"id", "ids", "name", "names", "number", "type", "list", "info", "value", "values", "data", "code", "key",
     "status", "count", "record", "records", "map", "the", "of", "new", "old", "to", "from", "a", "b", "all",
     "an", "and", "or", "for", "in", "on", "is", "be", "by", "with", "this", "that", "it", "user", "current"}
)  # fmt: skip
_READ_VERBS = frozenset(
    {"get", "list", "ls", "pwd", "view", "display", "show", "check", "describe", "fetch", "read", "search"}
)
# Verbs of tools that only look: their calls leave the state as it was, so the pool stays valid after them.
_LOOK_VERBS = _READ_VERBS | frozenset(
    {"retrieve", "find", "cat", "grep", "wc", "tail", "head", "sort", "diff", "du", "estimate", "compute",
     "calculate", "convert", "view", "query", "lookup", "count", "mean", "standard", "absolute", "add",
     "subtract", "multiply", "divide", "power", "square", "percentage", "round", "max", "min", "sum", "log",
     "si", "imperial"}
)  # fmt: skip
MAX_VALUES_PER_NAME = 48


@functools.lru_cache(maxsize=16384)
def singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@functools.lru_cache(maxsize=16384)
def content_tokens(name: str) -> frozenset[str]:
    return frozenset(singular(t) for t in tokens(name) if t not in _GENERIC_TOKENS)


@functools.lru_cache(maxsize=16384)
def _name_tokens(name: str) -> frozenset[str]:
    return frozenset(singular(t) for t in tokens(name))


def _description_tokens(text: str) -> frozenset[str]:
    return _desc_tokens(text[:300])


@functools.lru_cache(maxsize=4096)
def _desc_tokens(text: str) -> frozenset[str]:
    return frozenset(singular(w) for w in re.findall(r"[a-z]{4,}", text.lower()) if w not in _GENERIC_TOKENS)


def first_verb(tool_name: str) -> str:
    return re.split(r"[_\W]|(?<=[a-z0-9])(?=[A-Z])", tool_name, maxsplit=1)[0].lower()


def only_looks(tool_name: str) -> bool:
    """A tool whose name says it reads or computes without changing anything (`get_flight_cost`, `cat`)."""
    return first_verb(tool_name) in _LOOK_VERBS


def is_read_only(tool_name: str, required: Iterable[str]) -> bool:
    """A tool the pool may ask for values: no required argument, and a name that says it only reads."""
    if any(True for _ in required):
        return False
    return first_verb(tool_name) in _READ_VERBS


@dataclass
class ValuePool:
    """Scalar values by the field name they were found under (dict keys count as values of their dict)."""

    values: dict[str, list[Any]] = field(default_factory=dict)
    _seen: set[tuple[str, Any]] = field(default_factory=set)
    fresh: set[str] = field(default_factory=set)  # names filled from read-only tools' answers (the current view)
    _matches: dict[tuple[str, str], list[tuple[int, Any]]] = field(default_factory=dict)

    def add(self, name: str, value: Any) -> None:
        if value is None or isinstance(value, bool) or name == "":
            return
        if isinstance(value, str) and (not value or len(value) > 120):
            return
        key = (name, value if not isinstance(value, float) else ("f", value))
        if key in self._seen:
            return
        bucket = self.values.setdefault(name, [])
        if len(bucket) < MAX_VALUES_PER_NAME:
            self._seen.add(key)
            bucket.append(value)

    def harvest(self, node: Any, name: str = "", max_depth: int = 6) -> None:
        """Every scalar under `node` by the name it is found under: dicts, lists and objects (their public
        attributes: a backend's live instances), cycles and depth cut."""
        seen: set[int] = set()
        stack: list[tuple[Any, str, int]] = [(node, name, 0)]
        while stack:
            cur, nm, depth = stack.pop()
            if cur is None or isinstance(cur, bool | int | float | str):
                self.add(nm, cur)
                continue
            if depth >= max_depth or id(cur) in seen:
                continue
            seen.add(id(cur))
            if isinstance(cur, dict):
                items = list(cur.items())
                for k, v in items:
                    if nm:
                        # `{"booking_record": {"3426812": {...}}}`: the id is a value of `booking_record`.
                        self.add(nm, str(k))
                        if k in ("id", "name") and isinstance(v, int | str):
                            # `ticket_queue: [{"id": 3, ...}]`: 3 is a ticket id.
                            self.add(f"{nm}.{k}", v)
                stack.extend((v, str(k), depth + 1) for k, v in reversed(items))
            elif isinstance(cur, list | tuple):
                stack.extend((v, nm, depth + 1) for v in reversed(cur[:MAX_VALUES_PER_NAME]))
            elif hasattr(cur, "__dict__") and not isinstance(cur, type) and not callable(cur):
                attrs = [(k, v) for k, v in vars(cur).items() if not k.startswith("_") and k != "parent"]
                stack.extend((v, k, depth + 1) for k, v in reversed(attrs))

    def candidates(self, param: str, description: str = "") -> list[tuple[int, Any]]:
        """(match strength 1-4, value) for `param`, strongest first; values found under several names once.
        Strength: 3 same name, 2 a shared content word, 1 a synonym or a content word of the parameter's
        description (`travel_from`: "the departure airport code" ↔ `list_all_airports`); +1 for values a read-only
        tool answered just now."""
        key = (param, description)
        hit = self._matches.get(key)
        if hit is None:
            hit = self._matches[key] = self._candidates(param, description)
        return hit

    def _candidates(self, param: str, description: str) -> list[tuple[int, Any]]:
        want = content_tokens(param)
        low = param.lower()
        syn = {singular(s) for t in tokens(param) for s in FIELD_SYNONYMS.get(t, ())}
        about = _description_tokens(description) if description else frozenset()
        out: list[tuple[int, Any]] = []
        seen: list[Any] = []
        scored: list[tuple[int, str]] = []
        for name in self.values:
            n = name.lower()
            if n == low or singular(n) == singular(low):
                strength = 3
            elif want and want & content_tokens(name):
                strength = 2
            elif (syn and syn & _name_tokens(name)) or (about and about & content_tokens(name)):
                strength = 1
            else:
                continue
            scored.append((strength + (name in self.fresh), name))
        scored.sort(key=lambda x: -x[0])
        for strength, name in scored:
            for v in self.values[name]:
                if v not in seen:
                    seen.append(v)
                    out.append((strength, v))
        return out
