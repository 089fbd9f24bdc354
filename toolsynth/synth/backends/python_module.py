"""Any user Python module as a backend: `python:mypkg.tools` (functions) or `python:mypkg.tools:Shop` (a class).

- Functions: the module's public functions (those in `__all__` when it has one, else those defined in the module).
- A class: one instance per dialog, built with `init` kwargs from the spec; if it has `_load_scenario(state)` or
  `load_state(state)` it is called with the spec's `initial_config`/`state`, so a stateful tool set (a shop, a
  calendar) starts each dialog from the plan's state and carries changes across turns. Prefer a class for stateful
  tools: a module of functions shares its globals between dialogs.
- A path to a `.py` file works as well: `python:./tools.py` or `python:./tools.py:Shop`.

Calls are `fn(**arguments)` after JSON Schema validation against the offered tool; a raised exception or a returned
`{"error": ...}` is an execution failure, and so is a call that runs past the spec's `timeout` (30 s by default).
Calls run in a worker thread, off the event loop, so a slow tool never stalls the other dialogs of a run. Without an offered tool for a function, its schema is derived from the
signature (`tools_from_module`), so a typed module is a catalog as well as a backend.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import importlib.util
import inspect
import sys
import threading
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolsynth.catalog.model import Provenance, Tool
from toolsynth.errors import InputError
from toolsynth.messages import ToolCall
from toolsynth.synth.backends.base import Backend, ExecResult, result_error, to_jsonable, validate_arguments


def split_target(target: str) -> tuple[str, str | None]:
    """`pkg.mod:Class` / `./file.py:Class` → (module or path, class name or None)."""
    if target.count(":") and not (len(target) > 1 and target[1] == ":" and target[2:3] in ("\\", "/")):
        mod, _, cls = target.rpartition(":")
        if mod and cls.isidentifier():
            return mod, cls
    return target, None


def import_target(module: str) -> types.ModuleType:
    """Import a dotted module (the current directory counts as a source root) or a `.py` file path."""
    if module.endswith(".py") or "/" in module or "\\" in module:
        path = Path(module).expanduser().resolve()
        if not path.is_file():
            raise InputError("python backend: file not found", where=str(path))
        name = f"toolsynth_user_{path.stem}_{abs(hash(str(path))) % 10**8}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise InputError("python backend: cannot load this file as a module", where=str(path))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise InputError(
                f"python backend: importing failed: {type(exc).__name__}: {exc}", where=str(path)
            ) from exc
        return mod
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        # Console scripts do not put the working directory on sys.path; users expect `python:mytools` to find it.
        sys.path.append(cwd)
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise InputError(
            f"python backend: module {module!r} not found ({exc})", where="backend.module"
        ) from exc
    except Exception as exc:
        raise InputError(
            f"python backend: importing {module!r} failed: {type(exc).__name__}: {exc}",
            where="backend.module",
        ) from exc


def public_functions(obj: Any) -> dict[str, Callable[..., Any]]:
    """Tool candidates: `__all__` if the module declares it; otherwise public functions/methods defined there."""
    if isinstance(obj, types.ModuleType):
        names = getattr(obj, "__all__", None)
        if names is not None:
            return {
                n: getattr(obj, n)
                for n in names
                if callable(getattr(obj, n, None)) and not inspect.isclass(getattr(obj, n))
            }
        return {
            n: f
            for n, f in vars(obj).items()
            if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == obj.__name__
        }
    return {
        n: getattr(obj, n)
        for n, _ in inspect.getmembers(type(obj), predicate=inspect.isfunction)
        if not n.startswith("_")
    }


_PY_TO_JSON: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
    tuple: "array",
    set: "array",
    type(None): "null",
}


def annotation_schema(ann: Any) -> dict[str, Any]:
    if ann is inspect.Parameter.empty or ann is Any:
        return {}
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        subs = [annotation_schema(a) for a in args if a is not type(None)]
        if len(subs) == 1:
            return subs[0]
        return {"anyOf": subs} if all(subs) else {}
    if origin is typing.Literal:
        kinds = {_PY_TO_JSON.get(type(a)) for a in args}
        return (
            {"type": kinds.pop(), "enum": list(args)}
            if len(kinds) == 1 and None not in kinds
            else {"enum": list(args)}
        )
    if origin in (list, tuple, set, frozenset) or ann in (list, tuple, set):
        out: dict[str, Any] = {"type": "array"}
        if args and args[0] is not Ellipsis:
            item = annotation_schema(args[0])
            if item:
                out["items"] = item
        return out
    if origin is dict or ann is dict:
        return {"type": "object"}
    if ann in _PY_TO_JSON:
        return {"type": _PY_TO_JSON[ann]}
    return {}


def signature_tool(name: str, fn: Callable[..., Any], source: str) -> Tool:
    """A Tool whose JSON Schema comes from the function's signature and whose description is its docstring."""
    props: dict[str, Any] = {}
    required: list[str] = []
    try:
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        sig, hints = None, {}
    if sig is not None:
        for p in sig.parameters.values():
            if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            schema = annotation_schema(hints.get(p.name, p.annotation))
            if p.default is inspect.Parameter.empty:
                required.append(p.name)
            elif isinstance(p.default, str | int | float | bool) or p.default is None:
                schema = {**schema, "default": p.default}
            props[p.name] = schema
    params: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        params["required"] = required
    return Tool(
        name=name,
        original_name=name,
        description=inspect.cleandoc(fn.__doc__ or ""),
        parameters=params,
        provenance=Provenance(catalog=source, source_file=source, format="python"),
    )


def tools_from_module(target: str) -> list[Tool]:
    """The tools a `python:` backend offers, with schemas from the signatures (a catalog for a typed module)."""
    module, cls = split_target(target)
    mod = import_target(module)
    obj: Any = mod
    if cls is not None:
        klass = getattr(mod, cls, None)
        if not inspect.isclass(klass):
            raise InputError(f"python backend: {module} has no class {cls!r}", where="backend.class")
        # Unbound functions: the signature minus `self` is what a call passes.
        return [
            signature_tool(n, f, target)
            for n, f in inspect.getmembers(klass, predicate=inspect.isfunction)
            if not n.startswith("_")
        ]
    return [signature_tool(n, f, target) for n, f in public_functions(obj).items()]


#: Seconds a user function may take before its call counts as failed (spec key `timeout`).
DEFAULT_TIMEOUT = 30.0


@dataclass
class _Failed:
    error: str


def _call_with_timeout(fn: Callable[..., Any], arguments: dict[str, Any], timeout: float) -> Any:
    """`fn(**arguments)` in a daemon thread, waited on for `timeout` seconds. A Python thread cannot be killed: a
    call that times out is abandoned (it may still finish in the background), the result says so, and the process
    can still exit because the thread is a daemon."""
    box: list[Any] = []

    def target() -> None:
        try:
            box.append(fn(**arguments))
        except Exception as exc:  # noqa: BLE001 - a tool's own error is an execution result
            box.append(_Failed(f"{type(exc).__name__}: {exc}"))

    worker = threading.Thread(target=target, name=f"tool-{getattr(fn, '__name__', 'call')}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive() or not box:
        return _Failed(f"timed out after {timeout:g} s (the call was abandoned)")
    return box[0]


class PythonModuleBackend(Backend):
    executes = True

    def __init__(
        self,
        module: str,
        *,
        class_name: str | None = None,
        init: dict[str, Any] | None = None,
        state: Any = None,
        tools: Iterable[Tool] = (),
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.timeout = timeout
        mod_name, cls_from_target = split_target(module)
        class_name = class_name or cls_from_target
        self.name = f"python:{module}" + (f":{class_name}" if class_name and not cls_from_target else "")
        self.module = import_target(mod_name)
        self.instance: Any = None
        if class_name:
            klass = getattr(self.module, class_name, None)
            if not inspect.isclass(klass):
                raise InputError(
                    f"python backend: {mod_name} has no class {class_name!r}", where="backend.class"
                )
            try:
                self.instance = klass(**(init or {}))
                if state is not None:
                    loader = getattr(self.instance, "_load_scenario", None) or getattr(
                        self.instance, "load_state", None
                    )
                    if loader is None:
                        raise InputError(
                            f"python backend: {class_name} takes no state (define _load_scenario or load_state)",
                            where="backend.initial_config",
                        )
                    loader(copy.deepcopy(state))
            except InputError:
                raise
            except Exception as exc:
                raise InputError(
                    f"python backend: creating {class_name} failed: {type(exc).__name__}: {exc}",
                    where="backend",
                ) from exc
        functions = public_functions(self.instance if self.instance is not None else self.module)
        self.routes: dict[str, tuple[str, Tool]] = {}
        for tool in tools:
            for candidate in (tool.original_name, tool.name):
                if candidate in functions:
                    self.routes[tool.name] = (candidate, tool)
                    break
        for fname, fn in functions.items():
            if fname not in self.routes and not any(r[0] == fname for r in self.routes.values()):
                self.routes[fname] = (fname, signature_tool(fname, fn, self.name))

    @classmethod
    def from_spec(cls, spec: dict[str, Any], tools: list[Tool]) -> PythonModuleBackend:
        module = spec.get("module")
        if not module or not isinstance(module, str):
            raise InputError("python backend: spec needs `module` (python:<module>)", where="backend.module")
        state = spec.get("initial_config", spec.get("state"))
        timeout = spec.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3600:
            raise InputError(
                "python backend: timeout must be a number of seconds in (0, 3600]", where="backend.timeout"
            )
        return cls(
            module,
            class_name=spec.get("class"),
            init=spec.get("init"),
            state=state,
            tools=tools,
            timeout=float(timeout),
        )

    def handles(self, tool_name: str) -> bool:
        return tool_name in self.routes

    def execute(self, call: ToolCall) -> ExecResult:
        route = self.routes.get(call.name)
        if route is None:
            return ExecResult(False, None, f"unknown tool {call.name!r}", source="rejected")
        fname, tool = route
        problems = validate_arguments(tool, call.arguments)
        if problems:
            return ExecResult(False, None, "invalid arguments: " + "; ".join(problems), source="rejected")
        fn = getattr(self.instance if self.instance is not None else self.module, fname)
        try:
            inspect.signature(fn).bind(**call.arguments)
        except TypeError as exc:
            return ExecResult(False, None, f"arguments do not fit {fname}(): {exc}", source="rejected")
        except ValueError:
            pass  # builtins without a signature: let the call decide
        outcome = _call_with_timeout(fn, call.arguments, self.timeout)
        if isinstance(outcome, _Failed):
            return ExecResult(False, None, outcome.error)
        output = to_jsonable(outcome)
        err = result_error(output)
        return ExecResult(err is None, output, err)

    async def aexecute(self, call: ToolCall) -> ExecResult:
        """User code may block (I/O, sleeps, a hang): it runs in a worker thread so the event loop keeps serving
        the other dialogs, and `execute` gives up on it after `timeout` seconds."""
        return await asyncio.to_thread(self.execute, call)

    def checkpoint(self) -> Any:
        return copy.deepcopy(self.instance) if self.instance is not None else None

    def restore(self, token: Any) -> None:
        if self.instance is not None:
            self.instance = copy.deepcopy(token)

    def state(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {k: to_jsonable(v) for k, v in vars(self.instance).items() if not k.startswith("_")}
