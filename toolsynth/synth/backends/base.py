"""The tool-execution interface shared by synthesize (agents/runner) and verify.

A `Backend` executes canonical `ToolCall`s for one dialog. Each dialog gets its own backend object, made from the
plan's `backend` spec by `make_backend`, so state (files created, tickets opened, ...) carries across the turns of
that dialog and never leaks into another one. `make_backend` and the plug-in registry live in `registry.py`, so this
module names no concrete backend and each backend imports it without a cycle.

Backend spec (the plan's `backend` field, or what `--backend` turns into):
    {"kind": "bfcl", "classes": ["GorillaFileSystem", ...], "initial_config": {"GorillaFileSystem": {...}},
     "long_context": false}
    {"kind": "python", "module": "mypkg.tools", "class": null, "init": {}}    # or "kind": "python:mypkg.tools"
    {"kind": "simulated", ...}                                                # LLM-simulated results
A bare string is accepted too: "bfcl", "python:mypkg.tools", "simulated".

Backends answer `handles(name)` so a dialog can mix executable tools with simulated ones: the runner executes a call
on the real backend when it handles the tool and otherwise falls back to the simulator.
"""

from __future__ import annotations

import copy
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.messages import ToolCall


@dataclass
class ExecResult:
    """Outcome of one call. `ok=False` covers raised exceptions, error payloads returned by the tool (BFCL classes
    answer `{"error": ...}` instead of raising), unknown tools and invalid arguments. `output` is JSON-ready."""

    ok: bool
    output: Any = None
    error: str | None = None
    # Where the result came from: "executed" (real code ran), "simulated" (an LLM made it up), "rejected" (not run:
    # unknown tool / invalid arguments). Verification treats them differently.
    source: str = "executed"
    meta: dict[str, Any] = field(default_factory=dict)

    def content(self) -> str:
        """The tool message content a dialog records for this result."""
        import orjson

        if not self.ok and self.output is None:
            return orjson.dumps({"error": self.error or "failed"}).decode()
        if isinstance(self.output, str):
            return self.output
        return orjson.dumps(self.output, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class Backend(ABC):
    """Executes calls for ONE dialog. Not thread-safe: a dialog's turns run in order."""

    #: recorded in `Dialog.backend` (`bfcl`, `python:<module>`, `simulated`)
    name: str = "backend"
    #: True when results come from running real code (execution check counts them as evidence)
    executes: bool = True

    @abstractmethod
    def handles(self, tool_name: str) -> bool:
        """Whether this backend can run `tool_name` (sanitized tool name as offered to the model)."""

    @abstractmethod
    def execute(self, call: ToolCall) -> ExecResult:
        """Run one call with its parsed keyword arguments. Never raises for a bad call: returns ok=False."""

    async def aexecute(self, call: ToolCall) -> ExecResult:
        """Async entry point for runners; real backends are synchronous and fast, simulated ones override this."""
        return self.execute(call)

    def execute_many(self, calls: Iterable[ToolCall]) -> list[ExecResult]:
        return [self.execute(c) for c in calls]

    # ---- state ----------------------------------------------------------------------------------------------------

    def checkpoint(self) -> Any:
        """An opaque snapshot of the dialog state, so a turn can be regenerated from where it started."""
        return copy.deepcopy(self.__dict__)

    def restore(self, token: Any) -> None:
        self.__dict__.update(copy.deepcopy(token))

    def state(self) -> dict[str, Any]:
        """A JSON-ready view of the current state (for audit/debug); empty when the backend keeps none."""
        return {}


def normalize_spec(spec: dict[str, Any] | str | None) -> dict[str, Any] | None:
    """Turn the shorthand forms into a spec dict with a `kind`; `None`/empty means "no executable backend"."""
    if spec is None or spec == "" or spec == {}:
        return None
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict):
        raise InputError(
            f"backend spec must be a mapping or a string, got {type(spec).__name__}", where="backend"
        )
    kind = str(spec.get("kind") or spec.get("type") or "")
    if not kind:
        # BFCL plans may carry just the classes and their state.
        if "initial_config" in spec or "classes" in spec or "involved_classes" in spec:
            kind = "bfcl"
        else:
            raise InputError("backend spec has no `kind`", where="backend")
    out = dict(spec)
    out.pop("type", None)
    if kind.startswith("python:"):
        out["kind"] = "python"
        out.setdefault("module", kind.split(":", 1)[1])
    else:
        out["kind"] = kind
    return out


def to_jsonable(value: Any) -> Any:
    """Tool code returns dicts holding mpmath numbers, tuples, datetimes, even objects (BFCL's classes do); make them
    JSON values."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    try:
        f = float(value)  # mpf, Decimal, numpy scalars
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else str(f)


def result_error(output: Any) -> str | None:
    """The error a tool reports by returning `{"error": ...}` instead of raising (BFCL's classes do), else None."""
    if isinstance(output, dict) and "error" in output and output["error"] not in (None, "", False):
        return str(output["error"])
    return None


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """One jsonschema validator per parameters schema (building one costs more than most validations). Keyed by the
    schema object, checked by identity, so a schema that is garbage collected and its id reused is never confused."""
    import jsonschema

    hit = _VALIDATORS.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    if len(_VALIDATORS) > 4096:
        _VALIDATORS.clear()
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema)
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def validate_arguments(tool: Tool, arguments: dict[str, Any]) -> list[str]:
    """JSON Schema problems with `arguments` for `tool` (empty list = valid). Unknown argument names count as
    problems even when the schema allows additional properties: a hallucinated argument is never fine here."""

    problems: list[str] = []
    props = tool.properties
    for name in arguments:
        if name not in props:
            problems.append(f"unknown argument {name!r}")
    validator = _validator(tool.parameters)
    for err in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        if err.validator == "additionalProperties":
            continue  # already reported by name above
        path = ".".join(str(p) for p in err.absolute_path)
        problems.append(f"{path + ': ' if path else ''}{err.message}")
    return problems
