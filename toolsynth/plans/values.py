"""Concrete argument values for one plan's calls, in the order the calls happen.

Sources, best first:
1. an earlier call's real result (the dry run's output): a field of the same name becomes a `depends_on`
   (`cancel_booking.booking_id ← book_flight.booking_id`), so the plan carries the data flow, not a copy of it;
2. the backend's state and what its read-only tools answer (`pool.ValuePool`): files that exist, routes its
   airports have, the user's own token;
3. the schema and the parameter's name (`schema_values.py`).
The dry run decides: a call that fails is drawn again (`attempt` > 0 widens the choice). Tools without a backend
(simulated) reuse the values the plan used before for the same parameter, so an id stays one id across the plan.
An LLM can supply values too (ToolFlow plans); `accept_llm_values` keeps those that fit the schema.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.plans.dryrun import DryRun
from toolsynth.plans.paths import MISSING, leaves, resolve_field
from toolsynth.plans.schema_values import fits_type, main_type, schema_value

# Free text is the user's own words: it is never "the same value" as an earlier one.
_FREE_TEXT = frozenset({"message", "content", "text", "body", "comment", "description", "note", "query"})


@dataclass
class Drawn:
    """Values for one call: `deps` maps an argument to the (call id, path) whose real output it is."""

    arguments: dict[str, Any]
    deps: dict[str, tuple[str, str]] = field(default_factory=dict)
    grounded: set[str] = field(default_factory=set)  # from a result or the backend's state (not invented)


class ValueMaker:
    """Argument values for the calls of one plan."""

    def __init__(
        self,
        rng: random.Random,
        optional_rate: float = 0.3,
        dry: DryRun | None = None,
        worked: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.rng = rng
        self.optional_rate = optional_rate
        self.dry = dry
        # Run-wide: argument sets that ran before, per tool. A lookup the backend keeps in its code (the routes it
        # flies, the currencies it converts) is learnt from the calls that worked, not written down here.
        self.worked = worked
        self.results: list[tuple[str, Any]] = []  # (call id, real output) of the calls that ran, in order
        self.producers: dict[str, Any] = {}  # call id → the skeleton call (SCall) that ran
        self.turn_start = 0  # results before this index come from earlier turns
        self.crowded: Any = None  # tool name → True when it is in too many plans already (the run's hub cap)
        self.bounds: dict[str, tuple[float, float]] = {}  # ranges the backend's errors named ("between 0 and 1")
        self.memory: dict[str, tuple[str, Any]] = {}  # simulated tools: parameter → (tool, value) first used
        self.sources: dict[str, int] = {"result": 0, "backend": 0, "schema": 0, "llm": 0}

    def executable(self, tool: Tool) -> bool:
        return self.dry is not None and self.dry.handles(tool.name)

    def earlier(self, param: str, schema: dict[str, Any]) -> tuple[Any, str, str] | None:
        """The latest earlier result holding a field named `param` that fits its schema: (value, call, path)."""
        # Only earlier turns: a call of this turn feeding another is a planned nested call, never a guess.
        for call_id, output in reversed(self.results[: self.turn_start]):
            for path, name, value in leaves(output):
                if name == param and fits_type(value, schema):
                    return value, call_id, path
        return None

    def resolve_dep(self, producer: str, fld: str, arg: str, schema: dict[str, Any]) -> tuple[Any, str] | None:
        """A planned dependency's value and the path it really has in the producer's output (the graph's field
        path, else the field of the same leaf name), or None when the output has no such field."""
        output = next((o for c, o in self.results if c == producer), MISSING)
        if output is MISSING:
            return None
        value = resolve_field(output, fld)
        if value is not MISSING and not isinstance(value, dict | list) and fits_type(value, schema):
            return value, fld
        leaf = fld.replace("[]", "").rsplit(".", 1)[-1]
        for path, name, v in leaves(output):
            if name in (leaf, arg) and fits_type(v, schema):
                return v, path
        return None

    def arguments(
        self,
        tool: Tool,
        *,
        exclude: set[str] | frozenset[str] = frozenset(),
        given: dict[str, Any] | None = None,
        no_deps: set[str] | frozenset[str] = frozenset(),
        attempt: int = 0,
        keep: dict[str, Any] | None = None,
        invent: set[str] | frozenset[str] = frozenset(),
        force: set[str] | frozenset[str] = frozenset(),
        avoid: dict[str, list[Any]] | None = None,
    ) -> Drawn:
        """Values for every required parameter (and some optional ones) not in `exclude`. `given` values (from the
        planner model, already schema-checked) are kept on a first attempt. `no_deps`: parameters the user states
        (a split turn's withheld value), which therefore never come from a result. `keep`: values of
        the previous draw the backend's error did not blame, kept as they were; `invent`: parameters the
        error said must be new (a name that already exists), drawn from the schema; `force`: optional
        parameters the error asked for;
        `avoid`: values the backend refused for a parameter in this call's earlier draws."""
        rng = self.rng
        props = tool.properties
        required = set(tool.required)
        executable = self.executable(tool)
        pool = self.dry.pool(tool.name) if executable and self.dry is not None else None
        drawn = Drawn({})
        before: dict[str, Any] = {}
        if attempt % 2 == 1 and self.worked and self.worked.get(tool.name):
            before = self.rng.choice(self.worked[tool.name])
        for pname, pschema in props.items():
            if pname in exclude:
                continue
            proposed = given is not None and pname in given
            optional = pname not in required and not proposed and pname not in force and pname not in before
            if optional and rng.random() >= self.optional_rate:
                continue
            pschema = pschema if isinstance(pschema, dict) else {}
            value: Any = MISSING
            if keep is not None and pname in keep:
                drawn.arguments[pname] = keep[pname]
                continue
            if proposed and attempt == 0:
                value = given[pname]  # type: ignore[index]
                self.sources["llm"] += 1
            if value is MISSING and executable and pname not in no_deps:
                hit = self.earlier(pname, pschema)
                if hit is not None and hit[0] not in (avoid or {}).get(pname, ()):
                    value = hit[0]
                    drawn.deps[pname] = (hit[1], hit[2])
                    drawn.grounded.add(pname)
                    self.sources["result"] += 1
            if value is MISSING and pname in before and pname not in invent:
                if before[pname] not in (avoid or {}).get(pname, ()):
                    value = before[pname]
                    drawn.grounded.add(pname)
                    self.sources["backend"] += 1
            if value is MISSING and pool is not None and pname not in invent:
                value = self._from_pool(pool, pname, pschema, attempt, (avoid or {}).get(pname, ()))
                if value is not MISSING:
                    drawn.grounded.add(pname)
                    self.sources["backend"] += 1
            if value is MISSING and not executable and pname in self.memory and pname not in _FREE_TEXT:
                # Another tool's call used this parameter: the same id/name again (a repeated call of the same
                # tool, as a parallel turn makes, asks for other values).
                owner, remembered = self.memory[pname]
                if owner != tool.name and fits_type(remembered, pschema):
                    value = remembered
                    self.sources["result"] += 1
            if value is MISSING:
                if pname in self.bounds and main_type(pschema) in ("number", "integer"):
                    pschema = {**pschema, "minimum": self.bounds[pname][0], "maximum": self.bounds[pname][1]}
                value = schema_value(pname, pschema, rng)
                self.sources["schema"] += 1
            drawn.arguments[pname] = value
        return drawn

    def _from_pool(
        self, pool: Any, pname: str, pschema: dict[str, Any], attempt: int, avoid: Any = ()
    ) -> Any:
        integer = main_type(pschema) == "integer"
        cands = []
        for s, v in pool.candidates(pname, str(pschema.get("description") or "")):
            if integer and isinstance(v, str) and v.isdigit() and len(v) < 12:
                v = int(v)  # ids kept as dict keys are strings: `tweets: {"0": ...}` holds tweet 0
            if fits_type(v, pschema) and v not in avoid:
                cands.append((s, v))
        if not cands:
            return MISSING
        best = [c for c in cands if c[0] == cands[0][0]]
        if attempt == 0:
            return self.rng.choice(best)[1]
        r = self.rng.random()
        if r < 0.15:
            return MISSING  # the state's values failed: a new value may be what the call needs
        return self.rng.choice(best if r < 0.6 else cands)[1]

    def next_turn(self) -> None:
        self.turn_start = len(self.results)

    def ran(self, call_id: str, output: Any, call: Any = None) -> None:
        """A call of the plan ran: later calls may take values from its output."""
        self.results.append((call_id, output))
        if call is not None:
            self.producers[call_id] = call

    def worked_with(self, tool: str, arguments: dict[str, Any]) -> None:
        if self.worked is None:
            return
        seen = self.worked.setdefault(tool, [])
        if arguments not in seen:
            if len(seen) >= 32:
                seen.pop(0)
            seen.append(dict(arguments))

    def remember(self, tool: str, arguments: dict[str, Any]) -> None:
        for k, v in arguments.items():
            self.memory.setdefault(k, (tool, v))


def accept_llm_values(tool: Tool, values: Any) -> dict[str, Any]:
    """The LLM-proposed arguments that are parameters of `tool` and valid against their own schema."""
    if not isinstance(values, dict):
        return {}
    import jsonschema

    props = tool.parameters.get("properties") or {}
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k not in props or v is None:
            continue
        try:
            jsonschema.validate(v, props[k] if isinstance(props[k], dict) else {})
        except jsonschema.ValidationError:
            continue
        except jsonschema.SchemaError:
            pass
        out[k] = v
    return out
