"""Run a plan's calls on its real backend while the plan is built: the backend is the truth about which values work.

One `DryRun` per plan: a fresh backend from the plan's own backend spec (BFCL classes from their initial state, or
the user's Python module), through the same `make_backend` synthesize uses, so a call that runs here runs there.

A failed call of a user's module may have changed its state half-way, so that backend is rebuilt and the accepted
calls replayed before the next call (what synthesize's runner does when it rolls a turn back). BFCL's classes check
before they change anything, so their failures are not replayed (`benchmarks/plan_executability.py` replays every
plan from scratch on fresh instances, which would show any call this got wrong). A call the dialog never makes (a
refused turn) is always undone by a replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.messages import ToolCall
from toolsynth.plans.pool import ValuePool, is_read_only, only_looks
from toolsynth.synth.backends.base import Backend, ExecResult
from toolsynth.synth.backends.registry import make_backend

# Backend kinds whose failed calls leave the state as it was.
_CLEAN_FAILURES = frozenset({"bfcl"})


@dataclass
class DryRun:
    spec: dict[str, Any]
    tools: list[Tool]
    backend: Backend | None = None
    accepted: list[ToolCall] = field(default_factory=list)
    calls: int = 0
    failures: int = 0
    _dirty: bool = False
    # per state part (a BFCL class; "" for a backend whose state is one object): its pool, and its probe tools
    _pools: dict[str, ValuePool] = field(default_factory=dict)
    _probes: dict[str, list[str]] = field(default_factory=dict)
    _looks: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # trusted: the spec is sample-plans' own (BFCL states, or the recipe's `plans.backend`), never read from data
        self.backend = make_backend(self.spec, self.tools, trusted=True)
        # Tools whose calls only look (get_*, cat): the pool stays valid after them.
        self._looks = {t.name for t in self.tools if only_looks(t.original_name)}
        for t in sorted(self.tools, key=lambda t: t.name):
            if self.handles(t.name) and is_read_only(t.original_name, t.required):
                self._probes.setdefault(self.part_of(t.name), []).append(t.name)

    def handles(self, tool_name: str) -> bool:
        return self.backend is not None and self.backend.handles(tool_name)

    def part_of(self, tool_name: str) -> str:
        routes = getattr(self.backend, "routes", None)
        route = routes.get(tool_name) if isinstance(routes, dict) else None
        # BFCL routes are (class, method, tool): one state part per class. Other backends keep one state.
        return str(route[0]) if route and len(route) == 3 else ""

    def _clean(self) -> None:
        if self._dirty:
            self.backend = make_backend(self.spec, self.tools, trusted=True)
            assert self.backend is not None
            for call in self.accepted:
                self.backend.execute(call)
            self._dirty = False
            self._pools.clear()

    def run(self, tool: str, arguments: dict[str, Any], *, keep: bool = True) -> ExecResult:
        """Execute one call. `keep=False`: a call the dialog will not make (a refused turn), undone afterwards."""
        assert self.backend is not None
        self._clean()
        call = ToolCall.model_construct(id=f"dry{self.calls}", name=tool, arguments=arguments)
        self.calls += 1
        res = self.backend.execute(call)
        if not res.ok:
            self.failures += 1
            if res.source == "executed" and self.spec.get("kind") not in _CLEAN_FAILURES:
                self._dirty = True
        elif keep:
            self.accepted.append(call)
            if tool not in self._looks:
                self._pools.pop(self.part_of(tool), None)
                self._pools.pop("", None)
        else:
            self._dirty = True
        return res

    def pool(self, tool: str) -> ValuePool:
        """Values the part of the backend that runs `tool` holds now: its state and what its read-only tools
        answer."""
        assert self.backend is not None
        self._clean()
        part = self.part_of(tool)
        pool = self._pools.get(part)
        if pool is None:
            pool = ValuePool()
            state = live_state(self.backend)
            pool.harvest(state.get(part) if part and isinstance(state, dict) and part in state else state)
            for name in self._probes.get(part, ()):
                res = self.backend.execute(ToolCall.model_construct(id="probe", name=name, arguments={}))
                if res.ok:
                    pool.harvest(res.output, name)
                    pool.fresh.update(_names(res.output, name))
            self._pools[part] = pool
        return pool


def live_state(backend: Backend) -> Any:
    """The objects holding a backend's state (BFCL: one instance per class; a Python class backend: its instance),
    read in place rather than through `Backend.state()`'s JSON copy."""
    for attr in ("instances", "instance"):
        obj = getattr(backend, attr, None)
        if obj is not None:
            return obj
    return backend.state()


def _names(node: Any, name: str, depth: int = 0) -> set[str]:
    out = {name}
    if isinstance(node, dict) and depth < 3:
        for k, v in node.items():
            out |= _names(v, str(k), depth + 1)
    return out
