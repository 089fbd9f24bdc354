"""The rules a user message must keep, checked on the user agent's output (not only asked for in its prompt): no
function named, no withheld value stated, every known value stated, no echo of the prompt, short."""

from __future__ import annotations

import re
from typing import Any

from toolsynth.prompts import dialog_user
from toolsynth.prompts import registry as prompts
from toolsynth.synth.user_facts import Fact, Withheld, _clip, humanize, render_value


def _plain_word(name: str) -> bool:
    """`cat`, `sort`, `add` are English words as well as function names: they count as named only in code context
    (backticks, `name(`, "the function name"). `get_weather`, `getUser` and vowel-less shell names (`cd`, `ls`, `pwd`)
    are not words a person writes, so they count wherever they appear."""
    return name.isalpha() and name.islower() and re.search(r"[aeiouy]", name) is not None


_CODE_CONTEXT = (
    r"(?:`{n}`|\b{n}\s*\(|"
    r"\b(?:function|tool|command|api|method|run|call|execute|invoke)\s+(?:the\s+)?[`'\"]?{n}\b)"
)


def names_function(text: str, names: list[str]) -> str | None:
    """The first function name `text` mentions the way a programmer would, or None."""
    low = text.lower()
    for name in sorted(names, key=len, reverse=True):
        n = re.escape(name.lower())
        if re.search(_CODE_CONTEXT.format(n=n), low):
            return name
        if not _plain_word(name) and re.search(rf"(?<![\w.-]){n}(?![\w-])", low):
            return name
    return None


def leaks_value(text: str, value: Any) -> bool:
    """Whether `text` states `value` (word-bounded, case-insensitive; booleans/None can't leak by wording)."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, list | tuple):
        return bool(value) and all(leaks_value(text, v) for v in value)
    if isinstance(value, dict):
        return bool(value) and all(leaks_value(text, v) for v in value.values())
    s = render_value(value).strip()
    if not s:
        return False
    if isinstance(value, int | float):
        return re.search(rf"(?<![\d.]){re.escape(s)}(?![\d]|\.\d)", text) is not None
    return re.search(rf"(?<!\w){re.escape(s.lower())}(?!\w)", text.lower()) is not None


_STOP_PATTERNS = re.compile(
    r"###\s*(stop|transfer|out-of-scope)\s*###|\b(that'?s all|that is all|all done|goodbye|bye)\b", re.I
)


def ends_early(text: str) -> bool:
    return _STOP_PATTERNS.search(text) is not None


def states_value(text: str, value: Any) -> bool:
    """Whether `text` states `value` the way a person may write it (`1000` or `1,000`; `7.0` or `7`). Booleans and
    nulls have no wording to look for and count as stated."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return all(states_value(text, v) for v in value)
    if isinstance(value, dict):
        return all(states_value(text, v) for v in value.values())
    if isinstance(value, float) and value.is_integer() and leaks_value(text, int(value)):
        return True
    if isinstance(value, int) and abs(value) >= 1000 and f"{value:,}" in text:
        return True
    return leaks_value(text, value)


MAX_USER_CHARS = 600


def check_user_text(
    text: str, names: list[str], withheld: list[Withheld], facts: list[Fact] | None = None
) -> str | None:
    """Why `text` is not a usable user message (None = usable)."""
    if len(text) < 3:
        return "the message is empty"
    if text.lstrip().startswith(("{", "[", "```")):
        return "the message is code or JSON, not something a person says"
    if dialog_user.echo_guard(prompts.get(dialog_user.TURN_ID)).search(text):
        return "it repeats the instructions instead of speaking as the user"
    if len(text) > MAX_USER_CHARS or len([ln for ln in text.splitlines() if ln.strip()]) > 4:
        return "it is too long for one user message"
    named = names_function(text, names)
    if named:
        return f"it names the function `{named}`"
    for w in withheld:
        if leaks_value(text, w.value):
            return f"it states the {humanize(w.param)}, which the user has not given yet"
    for f in facts or []:
        if not states_value(text, f.value):
            # Back-translation must carry the signature's values, or the assistant cannot make the call.
            return f"it leaves out the {f.label} ({_clip(render_value(f.value), 60)})"
    return None
