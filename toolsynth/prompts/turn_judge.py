"""The semantic check's judge (synthesize's `semantic` layer): one turn of a dialog shown to a model that answers
whether the actions fit the request and the reply is grounded. The parser turns its verdict into pass/fail + reason."""

from __future__ import annotations

from typing import Any

from toolsynth.prompts.base import Prompt

JUDGE_ID = "synth.check.turn_judge"

SYSTEM = """You review one turn of a function-calling conversation used to train assistants. Be strict.
Judge only what is shown.
- action_fits_request: the assistant's actions in this turn are right for the user's request: the right functions,
  argument values taken from the conversation or from earlier results (not invented), as many calls as the request
  needs. If the assistant made no call, answer whether not calling was right (e.g. it must ask for a missing value,
  or no offered function can do it).
- answer_grounded: every fact in the assistant's final reply of this turn comes from the tool results or the
  conversation; true when there is no final reply.
Give a short reason first."""

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "action_fits_request": {"type": "boolean"},
        "answer_grounded": {"type": "boolean"},
    },
    "required": ["reason", "action_fits_request", "answer_grounded"],
    "additionalProperties": False,
}

_VERDICTS = ("action_fits_request", "answer_grounded")


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def parse_verdict(data: dict[str, Any]) -> tuple[bool, str]:
    """(passed, reason): both verdicts must hold; a failing reason names the verdicts that did not."""
    ok = bool(data.get("action_fits_request")) and bool(data.get("answer_grounded"))
    failed = [k for k in _VERDICTS if not data.get(k)]
    reason = _clip(str(data.get("reason", "")), 300)
    if failed:
        reason = f"{', '.join(failed)} false: {reason}"
    return ok, reason


JUDGE = Prompt(
    id=JUDGE_ID,
    version=1,
    system=SYSTEM,
    parts={
        "history": "Earlier conversation (most recent last):",
        "offered": "Functions on offer in this turn:",
        "this_turn": "This turn:",
        "item": "- {text}",
        "function": "- {name}({params}): {description}",
        "calls": "assistant calls {calls}{says}",
        "call": "{name}({arguments})",
        "says": " and says: {text}",
        "result": "result of {name}: {content}",
        "message": "{role}: {content}",
    },
    schema=SCHEMA,
    parse=parse_verdict,
    description="one turn for the judge; the user message is its lines joined by newlines",
)
