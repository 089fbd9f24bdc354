"""BFCL's own multi-turn ground truth as canonical dialogs, and rule-corrupted copies of them.

This is data no one here wrote: `BFCL_v4_multi_turn_<category>.json` + `possible_answer/` from the installed
`bfcl-eval` package. Call strings such as `mv(source='a', destination='b')` or `sort('final_report.pdf')` are parsed
with `ast` and their values read with `ast.literal_eval` (never `eval`); positional arguments are named from the
real method's signature. The tools on offer are BFCL's func docs of `involved_classes`, minus `excluded_function`,
loaded through the project's catalog loader. Tool results are recorded by running the calls on the real classes, as a
dataset builder would have.
"""

from __future__ import annotations

import ast
import functools
import inspect
import random
from collections.abc import Callable, Iterator
from typing import Any, Literal

import orjson

from toolsynth.catalog.model import Tool
from toolsynth.errors import InputError
from toolsynth.integrations.bfcl.backend import BFCLBackend
from toolsynth.integrations.bfcl.classes import CORE_CLASSES
from toolsynth.integrations.bfcl.package import (
    func_doc_path,
    load_class,
    multi_turn_path,
    possible_answer_path,
)
from toolsynth.messages import Message, ToolCall
from toolsynth.plans.record import Plan
from toolsynth.synth.record import Dialog, DialogTurn

Corruption = Literal["wrong_function", "wrong_type", "missing_required", "swapped_function", "wrong_value"]
# The rule corruptions the format and execution layers must catch. The last two are harder, measured apart:
# `swapped_function` calls another *offered* function with the same arguments (well-formed when the signatures
# agree), `wrong_value` keeps the type but names something that does not exist (only execution can tell).
CORRUPTIONS: tuple[Corruption, ...] = ("wrong_function", "wrong_type", "missing_required")
EXTRA_CORRUPTIONS: tuple[Corruption, ...] = ("swapped_function", "wrong_value")

# Said by the assistant on a turn whose ground truth is "no call": BFCL gives no text for it, and a turn needs a reply.
NO_CALL_REPLY = "[BFCL ground truth: no function call in this turn]"


def _read_jsonl(path: Any) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


@functools.cache
def _signature_params(class_name: str, method: str) -> tuple[str, ...]:
    fn = getattr(load_class(class_name), method, None)
    if fn is None:
        return ()
    return tuple(p for p in inspect.signature(fn).parameters if p != "self")


def parse_call(text: str, owner: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    """`name(a, k=v)` → (name, {param: value}) with literal values only. Positional arguments take the names of the
    implementing method's parameters (`owner` maps function name → BFCL class)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise InputError(f"not a call: {text!r} ({exc.msg})", where="ground_truth") from exc
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name | ast.Attribute):
        raise InputError(f"not a simple call: {text!r}", where="ground_truth")
    name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    args: dict[str, Any] = {}
    if node.args:
        cls = (owner or {}).get(name)
        params = _signature_params(cls, name) if cls else ()
        if len(params) < len(node.args):
            raise InputError(f"cannot name the positional arguments of {text!r}", where="ground_truth")
        for pname, value in zip(params, node.args, strict=False):
            args[pname] = _literal(value, text)
    for kw in node.keywords:
        if kw.arg is None:
            raise InputError(f"**kwargs in a ground-truth call: {text!r}", where="ground_truth")
        args[kw.arg] = _literal(kw.value, text)
    return name, args


def _literal(node: ast.expr, text: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError) as exc:
        raise InputError(f"non-literal argument in {text!r}", where="ground_truth") from exc
    return _jsonish(value)


def _jsonish(value: Any) -> Any:
    if isinstance(value, tuple | list | set):
        return [_jsonish(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonish(v) for k, v in value.items()}
    return value


def default_tool_loader(class_name: str) -> list[Tool]:
    """A class's tools through the project's catalog loader, reading BFCL's func-doc file from the package."""
    from toolsynth.catalog.load import load_catalog

    return list(load_catalog(func_doc_path(class_name)).tools)


def load_entries(category: str = "base") -> list[tuple[dict[str, Any], dict[str, Any]]]:
    q = _read_jsonl(multi_turn_path(category))
    a = {r["id"]: r for r in _read_jsonl(possible_answer_path(category))}
    return [(e, a[e["id"]]) for e in q if e["id"] in a]


def gold_dialog(
    entry: dict[str, Any],
    answer: dict[str, Any],
    tool_loader: Callable[[str], list[Tool]] = default_tool_loader,
    *,
    long_context: bool = False,
) -> Dialog:
    """One BFCL entry as a canonical dialog: per turn, the user message(s), then each gold call as its own assistant
    message followed by the real result (later calls in a turn may depend on earlier ones, e.g. `cd` then `mv`)."""
    classes: list[str] = list(entry["involved_classes"])
    excluded = set(entry.get("excluded_function") or [])
    tools: list[Tool] = []
    owner: dict[str, str] = {}
    for cls in classes:
        for t in tool_loader(cls):
            owner[t.original_name] = cls
            if t.original_name not in excluded:
                tools.append(t)
    offered = [t.name for t in tools]
    spec = {
        "kind": "bfcl",
        "classes": classes,
        "initial_config": entry.get("initial_config") or {},
        "long_context": long_context,
    }
    backend = BFCLBackend(classes, spec["initial_config"], tools=tools, long_context=long_context)
    messages: list[Message] = []
    turns: list[DialogTurn] = []
    n = 0
    for ti, (question, gold) in enumerate(zip(entry["question"], answer["ground_truth"], strict=True)):
        start = len(messages)
        for m in question:
            messages.append(Message(role=m["role"], content=m["content"]))
        if not gold:
            messages.append(Message(role="assistant", content=NO_CALL_REPLY))
        for text in gold:
            name, args = parse_call(text, owner)
            n += 1
            call = ToolCall(id=f"call_{n}", name=name, arguments=args)
            result = backend.execute(call)
            messages.append(Message(role="assistant", tool_calls=[call]))
            messages.append(Message(role="tool", tool_call_id=call.id, name=name, content=result.content()))
        turns.append(
            DialogTurn(
                index=ti,
                start=start,
                end=len(messages),
                offered_tools=offered,
                expected="call" if gold else "chat",
            )
        )
    return Dialog(
        id=f"bfcl-{entry['id']}",
        plan_id="",
        strategy="external",
        category="long_context" if long_context else "base",
        tools=[t.to_openai() for t in tools],
        messages=messages,
        turns=turns,
        backend="bfcl",
        backend_spec=spec,
    )


def gold_plan(dialog: Dialog) -> Plan:
    """The plan a synthesizer would have realised to make this dialog: per turn, the gold calls in order with their
    values (`call`), or no call (`chat`). With it, `verify --plans` checks adherence: a copy whose call carries
    another value than the ground truth is off-plan even when it runs."""
    from toolsynth.plans.record import ExpectedAction, PlannedCall, PlanTurn
    from toolsynth.synth.ingest import tool_from_def

    tools = [
        tool_from_def(d, source=dialog.id, where=f"{dialog.id}.tools[{i}]")
        for i, d in enumerate(dialog.tools)
    ]
    turns = []
    for t in dialog.turns:
        calls = [c for m in dialog.messages[t.start : t.end] if m.role == "assistant" for c in m.tool_calls]
        turns.append(
            PlanTurn(
                index=t.index,
                intent=" ".join(
                    m.content or "" for m in dialog.messages[t.start : t.end] if m.role == "user"
                ),
                offered_tools=list(t.offered_tools),
                expected=ExpectedAction(
                    kind="call" if calls else "chat",
                    calls=[PlannedCall(id=c.id, tool=c.name, arguments=dict(c.arguments)) for c in calls],
                ),
            )
        )
    return Plan(
        strategy="magnet",
        seed=0,
        category="long_context" if dialog.category == "long_context" else "base",
        tools=[t.name for t in tools],
        turns=turns,
        tool_defs={t.name: t.to_record() for t in tools},
        backend=dialog.backend_spec,
    ).with_id()


def gold_dialogs(
    category: str = "base",
    limit: int | None = None,
    tool_loader: Callable[[str], list[Tool]] = default_tool_loader,
) -> Iterator[Dialog]:
    cache: dict[str, list[Tool]] = {}

    def cached(cls: str) -> list[Tool]:
        if cls not in cache:
            cache[cls] = tool_loader(cls)
        return cache[cls]

    for i, (entry, answer) in enumerate(load_entries(category)):
        if limit is not None and i >= limit:
            break
        yield gold_dialog(entry, answer, cached, long_context=category == "long_context")


# ---- rule corruptions -------------------------------------------------------------------------------------------


def _wrong_value(value: Any, schema: dict[str, Any]) -> Any:
    """A value of a different JSON type than the parameter's."""
    t = schema.get("type")
    if t == "string":
        return 12345
    if t in ("integer", "number"):
        return str(value)
    if t == "boolean":
        return "true" if value else "false"
    if t == "array":
        return ",".join(map(str, value)) if isinstance(value, list) else "item"
    if t == "object":
        return orjson.dumps(value).decode()
    return None


def corrupt(dialog: Dialog, rule: Corruption, rng: random.Random, foreign: list[str]) -> Dialog | None:
    """A copy of `dialog` with one call broken by `rule`; None when no call in the dialog can be broken that way.
    `foreign`: function names that exist elsewhere but are not offered here (for `wrong_function`)."""
    tools = {t["function"]["name"]: t["function"] for t in dialog.tools}
    offered = set(tools)
    candidates: list[tuple[int, int]] = []  # (message index, call index)
    for mi, m in enumerate(dialog.messages):
        for ci, c in enumerate(m.tool_calls):
            params = tools.get(c.name, {}).get("parameters", {})
            props = params.get("properties", {})
            if (
                rule == "wrong_type"
                and not any(k in props and props[k].get("type") for k in c.arguments)
                or rule == "missing_required"
                and not any(r in c.arguments for r in params.get("required", []))
                or rule == "wrong_value"
                and not any(isinstance(v, str) for v in c.arguments.values())
            ):
                continue
            candidates.append((mi, ci))
    if not candidates:
        return None
    mi, ci = rng.choice(candidates)
    out = dialog.model_copy(deep=True)
    call = out.messages[mi].tool_calls[ci]
    params = tools.get(call.name, {}).get("parameters", {})
    props = params.get("properties", {})
    if rule == "wrong_function":
        names = [f for f in foreign if f not in offered]
        if not names:
            return None
        call.name = rng.choice(sorted(names))
    elif rule == "swapped_function":
        names = sorted(offered - {call.name})
        if not names:
            return None
        call.name = rng.choice(names)
    elif rule == "wrong_type":
        keys = sorted(k for k in call.arguments if k in props and props[k].get("type"))
        key = rng.choice(keys)
        call.arguments[key] = _wrong_value(call.arguments[key], props[key])
    elif rule == "wrong_value":
        key = rng.choice(sorted(k for k, v in call.arguments.items() if isinstance(v, str)))
        call.arguments[key] = f"no_such_{key}_{rng.randrange(10**6)}"
    elif rule == "missing_required":
        keys = sorted(r for r in params.get("required", []) if r in call.arguments)
        del call.arguments[rng.choice(keys)]
    # Tool messages keep the original result: a broken dataset rarely shows it.
    for m in out.messages:
        if m.role == "tool" and m.tool_call_id == call.id:
            m.name = call.name
    out.id = f"{dialog.id}~{rule}"
    return out


def foreign_functions(tool_loader: Callable[[str], list[Tool]] = default_tool_loader) -> list[str]:
    """Every function of the 8 executable classes: a call to one that is not offered is a hallucinated function."""
    return sorted({t.name for cls in CORE_CLASSES for t in tool_loader(cls)})
