"""Plan adherence: did the realized turn do what the plan's expected action says?

- call: the multiset of calls equals the plan's (each planned call once, nothing extra), and every planned call has
  a realized call of the same tool whose arguments carry the planned values of the non-dependent arguments
  (arguments filled from an earlier result, `depends_on`, are left to the execution and semantic layers). Values
  compare in their equivalent forms: 1 and 1.0, strings without regard to case or runs of whitespace, paths without
  a leading `./` or a trailing `/`, lists in any order;
- ask (a split turn): no call, a question, and the question is about the missing parameter; it claims nothing done;
- refuse (a missing-function turn): no call, a reply that says it cannot, and no claim that the action was done;
- chat: no call, a reply.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from typing import Any

from toolsynth.messages import ToolCall
from toolsynth.plans.record import ExpectedAction, PlannedCall
from toolsynth.synth.record import CheckResult

_QUESTION = re.compile(
    r"\?|\b(please (provide|specify|tell|share|confirm|let me know)|could you|can you|would you|"
    r"what is|what's|which|let me know|i need)\b",
    re.IGNORECASE,
)

# A reply that reports the action as done: what a refusal or a clarifying question must never say.
_DONE_VERBS = (
    r"(deleted|created|removed|moved|sent|booked|cancell?ed|canceled|updated|made|added|closed|opened|posted|"
    r"bought|sold|placed|copied|renamed|written|wrote|started|stopped|changed|transferred|paid|saved|scheduled|"
    r"ordered|submitted|reserved|finished|completed)"
)
_CLAIM = re.compile(
    rf"(^|[.!?]\s*)(done|all set)\b|\b(completed|successfully)\b|"
    rf"\bi('ve| have)\s+(now\s+|just\s+|already\s+)?{_DONE_VERBS}\b|\bi\s+(just\s+)?{_DONE_VERBS}\b|"
    rf"\b(has|have) been\s+(successfully\s+)?{_DONE_VERBS}\b|\bis now\s+{_DONE_VERBS}\b",
    re.IGNORECASE,
)

# How a reply says it cannot do something.
_CANNOT = re.compile(
    r"\b(can('|no)?t|cannot|unable|not able|don'?t have|do not have|no (tool|function|way)|not (available|"
    r"possible|supported)|isn'?t (available|possible|supported)|sorry|unfortunately|afraid)\b",
    re.IGNORECASE,
)

# Short parameter-name parts and the words people use for them in a question.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "dir": ("directory", "folder"),
    "folder": ("directory", "dir"),
    "directory": ("folder", "dir"),
    "num": ("number",),
    "qty": ("quantity", "how many"),
    "amt": ("amount", "how much"),
    "amount": ("how much",),
    "addr": ("address",),
    "msg": ("message",),
    "desc": ("description",),
    "dest": ("destination", "where"),
    "src": ("source",),
    "id": ("identifier", "number", "which"),
    "file": ("document",),
    "date": ("when", "day"),
    "time": ("when",),
    "location": ("where",),
    "city": ("where",),
}


def asks_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def claims_done(text: str) -> bool:
    return bool(_CLAIM.search(text))


def says_cannot(text: str) -> bool:
    return bool(_CANNOT.search(text))


def param_words(param: str) -> set[str]:
    """`mkdir.dir_name` → {dir, name, directory, folder}: the words a question about that parameter would use."""
    name = param.rsplit(".", 1)[-1]
    parts = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").lower().split()
    words = {p for p in parts if len(p) >= 2}
    for p in list(words):
        words.update(_SYNONYMS.get(p, ()))
    return words


def mentions(text: str, words: set[str]) -> bool:
    low = text.lower()
    return any(re.search(rf"\b{re.escape(w)}s?\b", low) for w in words)


# ---- values ----------------------------------------------------------------------------------------------------------


def _norm_text(s: str) -> str:
    s = " ".join(s.split()).casefold().strip(" \"'`")
    if "/" in s and " " not in s:
        s = posixpath.normpath(s)
        s = s[2:] if s.startswith("./") else s
    return s


def values_equal(planned: Any, actual: Any) -> bool:
    """Whether `actual` is the planned value in an equivalent form."""
    if isinstance(planned, bool) or isinstance(actual, bool):
        return planned is actual or (
            isinstance(actual, str) and actual.strip().lower() == str(planned).lower()
        )
    if isinstance(planned, int | float) and isinstance(actual, int | float):
        return math.isclose(float(planned), float(actual), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(planned, int | float) and isinstance(actual, str):
        try:
            return math.isclose(float(planned), float(actual.strip()), rel_tol=1e-9, abs_tol=1e-12)
        except ValueError:
            return False
    if isinstance(planned, str) and isinstance(actual, int | float):
        return values_equal(actual, planned)
    if isinstance(planned, str) and isinstance(actual, str):
        return _norm_text(planned) == _norm_text(actual)
    if isinstance(planned, list) and isinstance(actual, list):
        if len(planned) != len(actual):
            return False
        if all(values_equal(p, a) for p, a in zip(planned, actual, strict=True)):
            return True
        rest = list(actual)  # the same items in another order
        for p in planned:
            hit = next((i for i, a in enumerate(rest) if values_equal(p, a)), None)
            if hit is None:
                return False
            rest.pop(hit)
        return True
    if isinstance(planned, dict) and isinstance(actual, dict):
        return set(planned) == set(actual) and all(values_equal(planned[k], actual[k]) for k in planned)
    return planned == actual


def value_mismatches(planned: PlannedCall, call: ToolCall) -> list[str]:
    """`arg: planned X, got Y` for each planned non-dependent argument the call does not carry as planned."""
    dependent = {d.arg for d in planned.depends_on}
    out = []
    for arg, value in planned.arguments.items():
        if arg in dependent:
            continue
        if arg not in call.arguments:
            out.append(f"{arg}: planned {_show(value)}, not given")
        elif not values_equal(value, call.arguments[arg]):
            out.append(f"{arg}: planned {_show(value)}, got {_show(call.arguments[arg])}")
    return out


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def match_calls(planned: list[PlannedCall], calls: list[ToolCall]) -> list[str]:
    """Problems pairing planned with realized calls of the same tool: each planned call needs its own realized call
    with the planned values (a pairing that fits every value is preferred over the first one of that tool)."""
    free = list(calls)
    problems: list[str] = []
    unmatched: list[PlannedCall] = []
    for p in planned:
        hit = next((c for c in free if c.name == p.tool and not value_mismatches(p, c)), None)
        if hit is not None:
            free.remove(hit)
        else:
            unmatched.append(p)
    for p in unmatched:
        same_tool = [c for c in free if c.name == p.tool]
        if not same_tool:
            continue  # reported by the multiset comparison
        best = min(same_tool, key=lambda c: len(value_mismatches(p, c)))
        free.remove(best)
        problems.append(f"{p.tool} ({p.id}): " + "; ".join(value_mismatches(p, best)))
    return problems


# ---- the check ---------------------------------------------------------------------------------------------------------


def check_adherence(
    index: int, calls: list[ToolCall], texts: list[str], expected: ExpectedAction | str | None
) -> CheckResult:
    kind = expected.kind if isinstance(expected, ExpectedAction) else (expected or "unknown")
    plan = expected if isinstance(expected, ExpectedAction) else None

    def result(ok: bool, reason: str) -> CheckResult:
        return CheckResult(layer="adherence", turn=index, passed=ok, reason=reason)

    if kind not in ("call", "ask", "refuse", "chat"):
        return CheckResult(layer="adherence", turn=index, passed=None, reason="no expected action")
    called = [c.name for c in calls]
    if kind == "call":
        if not calls:
            return result(False, "expected a call, the assistant made none")
        planned = plan.calls if plan is not None else []
        if not planned:
            return result(True, f"called {', '.join(called)}")
        want, got = Counter(p.tool for p in planned), Counter(called)
        parts = []
        missing, extra = want - got, got - want
        if missing:
            parts.append("planned but not called: " + ", ".join(_counted(missing)))
        if extra:
            parts.append("called but not planned: " + ", ".join(_counted(extra)))
        parts.extend(f"wrong value: {p}" for p in match_calls(planned, calls))
        if parts:
            return result(False, "; ".join(parts))
        return result(
            True, f"called the planned {', '.join(dict.fromkeys(p.tool for p in planned))} as planned"
        )
    if calls:
        what = {"ask": "a clarifying question", "refuse": "a refusal", "chat": "a reply"}[kind]
        return result(False, f"expected {what}, the assistant called {', '.join(called)}")
    if not texts:
        return result(False, "the assistant said nothing")
    text = " ".join(texts)
    if kind == "ask":
        if not asks_question(text):
            return result(False, "expected a clarifying question; the reply asks nothing")
        if claims_done(text):
            return result(False, "expected a clarifying question; the reply claims the action was done")
        missing_params = plan.missing if plan is not None else []
        if missing_params and not any(mentions(text, param_words(m)) for m in missing_params):
            return result(False, f"the question does not ask for the missing {', '.join(missing_params)}")
        return result(True, "asked" + (f" for {', '.join(missing_params)}" if missing_params else ""))
    if kind == "refuse":
        if claims_done(text):
            return result(False, "expected a refusal; the reply claims the action was done")
        if not says_cannot(text):
            return result(False, "expected a refusal; the reply does not say it cannot do this")
        return result(True, "no call; said it cannot do this without the missing tool")
    return result(True, "no call; replied")


def _counted(c: Counter[str]) -> list[str]:
    return [f"{name} ×{n}" if n > 1 else name for name, n in sorted(c.items())]
