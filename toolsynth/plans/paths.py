"""Field paths into a call's output: the `field` of a planned `Dependency` (`arg ← call.output.field`).

Syntax (a superset of the catalog's return-field paths, so a path read off a tool's return schema still works):
- `a.b`: key `b` of the dict under key `a`;
- `a[2]` or `a.2`: element 2 of a list (a digit segment on a dict is a key: `booking_history.3426812.travel_date`
  reads the booking keyed `3426812`);
- `a[].b`: the first element of a list (what a return schema's `[]` means when one value is needed);
- `a["x.y"]`: a key holding dots or brackets;
- an empty path: the whole output (tools returning a bare value).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

MISSING: Any = object()

_TOKEN = re.compile(r'\.?([^.\[\]"]+)|\[(\d*)\]|\["((?:[^"\\]|\\.)*)"\]')
_SAFE_KEY = re.compile(r"^[^.\[\]\"]+$")


@functools.lru_cache(maxsize=8192)
def parse_path(path: str) -> tuple[str | int | None, ...]:
    """Path → steps: a str is a key (or a list index when it is digits), an int a list index, None "first element".
    Raises ValueError on a malformed path."""
    steps: list[str | int | None] = []
    pos = 0
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"malformed field path {path!r} at {pos}")
        key, index, quoted = m.groups()
        if key is not None:
            steps.append(key)
        elif quoted is not None:
            steps.append("\x00" + quoted.replace('\\"', '"'))  # a quoted key is never a list index
        else:
            steps.append(int(index) if index else None)
        pos = m.end()
    return tuple(steps)


def resolve_field(output: Any, path: str) -> Any:
    """The value at `path` in `output`, or MISSING when the path does not lead anywhere."""
    try:
        steps = parse_path(path)
    except ValueError:
        return MISSING
    cur = output
    for step in steps:
        if isinstance(step, str) and step.startswith("\x00"):
            if not isinstance(cur, dict) or step[1:] not in cur:
                return MISSING
            cur = cur[step[1:]]
        elif step is None or isinstance(step, int):
            if not isinstance(cur, list) or not cur:
                return MISSING
            k = step or 0
            if k >= len(cur):
                return MISSING
            cur = cur[k]
        elif isinstance(cur, dict):
            if step not in cur:
                return MISSING
            cur = cur[step]
        elif isinstance(cur, list) and step.isdigit() and int(step) < len(cur):
            cur = cur[int(step)]
        else:
            return MISSING
    return cur


def join(parent: str, key: str | int) -> str:
    """The path of `key` under `parent`, quoted when the key would not read back as one step."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    step = key if _SAFE_KEY.match(key) else '["' + key.replace('"', '\\"') + '"]'
    if not parent:
        return step if not step.startswith("[") else step
    return f"{parent}{step}" if step.startswith("[") else f"{parent}.{step}"


def leaves(output: Any, max_depth: int = 4, max_items: int = 8) -> Iterator[tuple[str, str, Any]]:
    """(path, name, value) of every scalar in `output`: `name` is the nearest dict key above it (a list element
    carries its list's key), so `{"bookings": [{"id": 3}]}` yields `("bookings[0].id", "id", 3)`."""
    stack: list[tuple[Any, str, str, int]] = [(output, "", "", 0)]
    while stack:
        node, path, name, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= max_depth:
                continue
            for k in reversed(list(node)[: 4 * max_items]):
                stack.append((node[k], join(path, str(k)), str(k), depth + 1))
        elif isinstance(node, list):
            if depth >= max_depth:
                continue
            for i in range(min(len(node), max_items) - 1, -1, -1):
                stack.append((node[i], join(path, i), name, depth + 1))
        elif node is not None:
            yield path, name, node
