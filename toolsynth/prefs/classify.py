"""The error class of a negative the rules did not make (a hint-free model run, a failed synthesis attempt): read
off what the rejected turn did against the plan's expected action and the checks it failed."""

from __future__ import annotations

from toolsynth.catalog.model import Tool
from toolsynth.messages import Message
from toolsynth.plans.record import ExpectedAction
from toolsynth.synth.backends.base import validate_arguments
from toolsynth.synth.ingest import BAD_ARGS_KEY
from toolsynth.synth.record import CheckResult


def classify(
    rejected: list[Message],
    expected: ExpectedAction | None,
    failed: list[CheckResult],
    tools: dict[str, Tool],
    offered: list[str],
    earlier: list[Message] | None = None,
) -> tuple[str, str]:
    """(error class, detail in words) of the rejected part of a turn; `earlier` = the turn's messages before the
    fork (shared with the accepted side, so never the error, but they count as the turn's calls)."""
    calls = [c for m in rejected if m.role == "assistant" for c in m.tool_calls]
    before = [c for m in earlier or [] if m.role == "assistant" for c in m.tool_calls]
    kind = expected.kind if expected is not None else "unknown"
    names = ", ".join(c.name for c in calls)
    if kind == "ask" and calls:
        return "called_instead_of_asking", f"called {names} instead of asking for the missing value"
    if kind == "refuse" and calls:
        return "called_near_miss", f"called {names} although the needed tool is not offered"
    if kind == "call" and not calls and not before:
        return "answered_without_calling", "replied in text where a call was needed"
    planned = {c.tool for c in expected.calls} if expected is not None else set()
    for c in calls:
        tool = tools.get(c.name)
        if BAD_ARGS_KEY in c.arguments:
            return "other", f"{c.name}: arguments are not a JSON object"
        if tool is None or c.name not in offered or (planned and c.name not in planned):
            return "wrong_function", f"called {c.name}" + (
                f" instead of {', '.join(sorted(planned))}" if planned else ""
            )
        problems = validate_arguments(tool, c.arguments)
        for p in problems:
            if p.startswith("unknown argument"):
                return "hallucinated_argument", f"{c.name}: {p}"
        for p in problems:
            if "is a required property" in p:
                return "missing_argument", f"{c.name}: {p}"
        for p in problems:
            if "is not of type" in p:
                return "wrong_type", f"{c.name}: {p}"
        if problems:
            return "wrong_argument", f"{c.name}: {problems[0]}"
    layers = {f.layer: f for f in failed}
    if "execution" in layers and calls:
        return "wrong_argument", f"execution failed: {layers['execution'].reason[:200]}"
    if "semantic" in layers:
        reason = layers["semantic"].reason
        verdict = reason.split(" false:", 1)[0]
        if calls and "action_fits_request" in verdict:
            return "wrong_argument", reason[:200]
        if "answer_grounded" in verdict:
            return "ungrounded_answer", reason[:200]
    if "adherence" in layers:
        return "other", layers["adherence"].reason[:200]
    first = failed[0] if failed else None
    return "other", first.reason[:200] if first is not None else ""
