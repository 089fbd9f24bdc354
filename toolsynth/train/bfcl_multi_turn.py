"""BFCL multi-turn evaluation of a local model, scored by bfcl-eval's own checker (state and response checks on
the real backend classes).

The inference loop is BFCL's: per turn the user message(s) go in, the model is asked step after step, each step's
calls are executed on the entry's class instances and their results fed back, until a step makes no call (or
`max_steps`); a miss_func turn adds the held-out functions and BFCL's "I have updated some more functions" user
message. Scoring is `bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker` on the per-step call strings.

BFCL executes call strings with `eval`. Here a model's call becomes a string only when its name is one of the
entry's documented functions, its argument names are identifiers and its values are JSON (so their `repr` is a
Python literal): nothing a model writes can run anything else (`integrations/bfcl/multi_turn.call_string`). A call
that fails these is answered with an error message and never executed. Loading the entries is
`integrations/bfcl/multi_turn.py`; this module is the model's side.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from toolsynth.integrations.bfcl.multi_turn import call_string, to_tool
from toolsynth.train.data import Turn
from toolsynth.train.render import prompt_text

_RUN = itertools.count()

Generate = Callable[[str], str]


@dataclass
class EntryResult:
    id: str
    category: str
    valid: bool
    error_type: str = ""
    error: str = ""
    steps: int = 0
    calls: int = 0
    turns: list[list[list[str]]] = field(default_factory=list)


def pick(entries: list[tuple[dict[str, Any], list[list[str]]]], n: int) -> list[tuple[dict[str, Any], Any]]:
    """The n entries with the fewest turns and function docs (ties by id): CPU-sized, deterministic."""
    return sorted(entries, key=lambda e: (len(e[0]["question"]), len(e[0]["function"]), e[0]["id"]))[:n]


def parse_calls(text: str) -> list[tuple[str, Any]] | None:
    """The calls of a `<tool_call>[...]</tool_call>` answer; None when the answer holds no (parsable) call."""
    start = text.find("<tool_call>")
    if start < 0:
        return None
    body = text[start + len("<tool_call>") :].split("</tool_call>", 1)[0]
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        return None
    calls = [(c.get("name"), c.get("arguments", {})) for c in parsed if isinstance(c, dict)]
    return calls or None


def run_entry(
    entry: dict[str, Any],
    ground_truth: list[list[str]],
    category: str,
    generate: Generate,
    *,
    label: str,
    max_steps: int,
    count_tokens: Callable[[str], int],
    context: int,
) -> EntryResult:
    from bfcl_eval.constants.default_prompts import DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_checker import multi_turn_checker
    from bfcl_eval.eval_checker.multi_turn_eval.multi_turn_utils import execute_multi_turn_func_call

    # A fresh name per run: BFCL keeps backend instances in module globals keyed by model name and entry id.
    model_name = f"toolsynth_{re.sub(r'[^A-Za-z0-9_]', '_', label)}_{next(_RUN)}"
    long_context = category == "long_context"
    docs = list(entry["function"])
    held = {k: list(v) for k, v in (entry.get("missed_function") or {}).items()}
    allowed = {d["name"] for d in docs} | {d["name"] for v in held.values() for d in v}
    tools = [to_tool(d) for d in docs]
    history: list[Turn] = []
    result = EntryResult(id=entry["id"], category=category, valid=False)
    for turn_idx, messages in enumerate(entry["question"]):
        if str(turn_idx) in held:
            tools += [to_tool(d) for d in held[str(turn_idx)]]
            messages = [{"role": "user", "content": DEFAULT_USER_PROMPT_FOR_ADDITIONAL_FUNCTION_FC}]
        history += [Turn(role=m["role"], content=m["content"]) for m in messages]
        steps: list[list[str]] = []
        for _ in range(max_steps):
            prompt = prompt_text(history, tools)
            if count_tokens(prompt) >= context:
                result.turns = [*result.turns, steps]
                result.error_type = "multi_turn:force_terminated"
                result.error = f"turn {turn_idx}: the prompt exceeds the model's {context}-token context"
                return result
            answer = generate(prompt)
            result.steps += 1
            calls = parse_calls(answer)
            if not calls:
                history.append(Turn(role="assistant", content=answer.strip()))
                break
            history.append(
                Turn(
                    role="assistant",
                    content="",
                    calls=[(str(n), a if isinstance(a, dict) else {}) for n, a in calls],
                )
            )
            strings = [call_string(n, a, allowed) for n, a in calls]
            runnable = [s for s in strings if s is not None]
            outputs = iter(
                execute_multi_turn_func_call(
                    runnable, entry["initial_config"], entry["involved_classes"], model_name, entry["id"],
                    long_context=long_context,
                )[0]
                if runnable
                else []
            )  # fmt: skip
            for (name, _), s in zip(calls, strings, strict=True):
                out = next(outputs) if s is not None else f"Error: {name!r} is not an available function call"
                history.append(Turn(role="tool", content=str(out), name=str(name)))
            if runnable:
                steps.append(runnable)
                result.calls += len(runnable)
        result.turns.append(steps)
    try:
        verdict = multi_turn_checker(result.turns, ground_truth, entry, f"multi_turn_{category}", model_name)
    except Exception as exc:  # noqa: BLE001 - the checker asserts on shapes; that is a failed entry, not a crash
        verdict = {"valid": False, "error_type": "checker_error", "error_message": str(exc)}
    result.valid = bool(verdict.get("valid"))
    result.error_type = "" if result.valid else str(verdict.get("error_type", ""))
    result.error = "" if result.valid else str(verdict.get("error_message", ""))[:300]
    return result
