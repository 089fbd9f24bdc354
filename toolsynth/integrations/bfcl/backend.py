"""Real execution on the BFCL multi-turn classes shipped in the `bfcl-eval` package.

Each dialog gets its own instances, loaded with `_load_scenario(initial_config[Class])`, so state (the file system,
the tickets, the portfolio) carries across the dialog's turns and never across dialogs. Calls are made as
`method(**arguments)` with the canonical parsed arguments after JSON Schema validation: model text is never
evaluated, unlike BFCL's own driver which `eval()`s call strings.

Which class owns a tool comes from BFCL's own func-doc file per class (`MULTI_TURN_FUNC_DOC_FILE_MAPPING`, read in
`package.py`), so a method that is public on the class but not documented (not a tool) can never be called.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Iterable
from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.classes import CORE_CLASSES
from toolsynth.integrations.bfcl.package import (
    class_func_docs,
    func_doc_path,
    function_owner,
    load_class,
    stateless_classes,
)
from toolsynth.messages import ToolCall
from toolsynth.synth.backends.base import Backend, ExecResult, result_error, to_jsonable, validate_arguments


class BFCLBackend(Backend):
    name = "bfcl"
    executes = True

    def __init__(
        self,
        classes: Iterable[str],
        initial_config: dict[str, Any] | None = None,
        *,
        tools: Iterable[Tool] = (),
        long_context: bool = False,
    ) -> None:
        self.classes = list(dict.fromkeys(classes))
        unknown = [c for c in self.classes if c not in CORE_CLASSES]
        if unknown:
            raise InputError(
                f"BFCL classes {unknown} are not executable here (supported: {', '.join(CORE_CLASSES)})",
                where="backend.classes",
            )
        # Only read here (each class gets its own deep copy below): one copy per dialog is enough.
        self.initial_config = initial_config or {}
        self.long_context = long_context
        stateless = stateless_classes()
        self.instances: dict[str, Any] = {}
        for cls_name in self.classes:
            inst = load_class(cls_name)()
            if cls_name not in stateless:
                inst._load_scenario(
                    copy.deepcopy(self.initial_config.get(cls_name, {})), long_context=long_context
                )
                if long_context:
                    # BFCL's long-context extensions (extra cards, bookings, files) are module-level dicts put
                    # into the state by reference: without a copy, one dialog's payments show in the next.
                    for k, v in list(vars(inst).items()):
                        if not k.startswith("_"):
                            setattr(inst, k, copy.deepcopy(v))
            self.instances[cls_name] = inst
        # tool name as offered → (class, method name, Tool for validation)
        self.routes: dict[str, tuple[str, str, Tool | None]] = {}
        documented = {cls: {d["name"] for d in class_func_docs(cls)} for cls in self.classes}
        given = list(tools)
        for tool in given:
            cls = next((c for c in self.classes if tool.original_name in documented[c]), None)
            if cls is not None:
                self.routes[tool.name] = (cls, tool.original_name, tool)
        if not given:
            # No tool list: every documented function of the classes, validated against BFCL's own docs.
            for cls in self.classes:
                for doc in class_func_docs(cls):
                    self.routes.setdefault(doc["name"], (cls, doc["name"], _doc_tool(cls, doc)))

    @classmethod
    def from_spec(cls, spec: dict[str, Any], tools: list[Tool]) -> BFCLBackend:
        classes = spec.get("classes") or spec.get("involved_classes")
        if not classes:
            # Infer from the offered tools: the classes whose func docs name them.
            owner = function_owner()
            classes = list(dict.fromkeys(owner[t.original_name] for t in tools if t.original_name in owner))
        if not classes:
            raise InputError(
                "bfcl backend: no classes given and none of the tools is a BFCL function", where="backend"
            )
        initial = spec.get("initial_config") or {}
        if not isinstance(initial, dict):
            raise InputError("bfcl backend: initial_config must be a mapping", where="backend.initial_config")
        return cls(classes, initial, tools=tools, long_context=bool(spec.get("long_context", False)))

    def handles(self, tool_name: str) -> bool:
        return tool_name in self.routes

    def execute(self, call: ToolCall) -> ExecResult:
        route = self.routes.get(call.name)
        if route is None:
            return ExecResult(False, None, f"unknown tool {call.name!r}", source="rejected")
        cls_name, method_name, tool = route
        if tool is not None:
            problems = validate_arguments(tool, call.arguments)
            if problems:
                return ExecResult(False, None, "invalid arguments: " + "; ".join(problems), source="rejected")
        method = getattr(self.instances[cls_name], method_name, None)
        if method is None or method_name.startswith("_") or not callable(method):
            return ExecResult(False, None, f"{cls_name} has no method {method_name!r}", source="rejected")
        try:
            _signature(type(self.instances[cls_name]), method_name).bind(**call.arguments)
        except TypeError as exc:
            return ExecResult(False, None, f"arguments do not fit {method_name}(): {exc}", source="rejected")
        try:
            raw = method(**call.arguments)
        except (
            Exception
        ) as exc:  # a tool bug or a value the tool cannot handle: an execution failure, not a crash
            return ExecResult(False, None, f"{type(exc).__name__}: {exc}", meta={"class": cls_name})
        output = to_jsonable(raw)
        err = result_error(output)
        return ExecResult(err is None, output, err, meta={"class": cls_name})

    def checkpoint(self) -> Any:
        return copy.deepcopy(self.instances)

    def restore(self, token: Any) -> None:
        self.instances = copy.deepcopy(token)

    def state(self) -> dict[str, Any]:
        """Public attributes per class, the same view BFCL's state checker compares."""
        out: dict[str, Any] = {}
        for cls_name, inst in self.instances.items():
            out[cls_name] = {
                k: to_jsonable(_plain(v)) for k, v in vars(inst).items() if not k.startswith("_")
            }
        return out


@functools.cache
def _signature(cls: type, method_name: str) -> inspect.Signature:
    # Bound methods have the same signature minus `self` on every instance: computing it is most of a fast call.
    return inspect.signature(getattr(cls, method_name)).replace(
        parameters=list(inspect.signature(getattr(cls, method_name)).parameters.values())[1:]
    )


def _plain(value: Any) -> Any:
    """Objects (GorillaFileSystem's Directory/File trees) as nested dicts of their public attributes."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_") and k != "parent"}
    return value


@functools.cache
def _doc_tool_cached(cls_name: str, name: str) -> Tool:
    from toolsynth.catalog.model import Provenance
    from toolsynth.catalog.schema import normalize_parameters

    doc = next(d for d in class_func_docs(cls_name) if d["name"] == name)
    return Tool(
        name=name,
        original_name=name,
        description=str(doc.get("description", "")),
        parameters=normalize_parameters(doc.get("parameters"), where=f"{cls_name}.{name}"),
        provenance=Provenance(
            catalog="bfcl", source_file=str(func_doc_path(cls_name)), format="bfcl", category=cls_name
        ),
    )


def _doc_tool(cls_name: str, doc: dict[str, Any]) -> Tool:
    return _doc_tool_cached(cls_name, doc["name"])
