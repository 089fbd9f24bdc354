"""The plan-grounded assistant's prompt (`synth.assistant_mode: grounded`): the plan made the calls, the model
writes only the words of the reply. Its guard against echoed instructions is derived from the prompt's headings."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from toolsynth.prompts.base import Prompt
from toolsynth.prompts.dialog_user import clean_utterance

REPLY_ID = "synth.assistant.grounded_reply"

SECTIONS = ("said", "results", "tell", "ask", "refuse", "chat", "feedback")

REPLY = Prompt(
    id=REPLY_ID,
    version=1,
    system="You are a helpful assistant talking to a user. Write only your next reply to the user: one or two "
    "short sentences in plain words. No code, no JSON, no lists, no function names.",
    parts={
        "said": "The user said: {said}",
        "results": "You did what was asked and got:\n{results}",
        "result": "- {tool}: {output}",
        "tell": "Tell the user what happened, quoting the values above. Only facts from these results.",
        "ask": "To do this you need the {wanted}, which the user has not said. Ask for it in one question.",
        "ask_unknown": "missing detail",
        "refuse": "None of your tools can do this. Say plainly, and politely, that you cannot do it.",
        "chat": "Reply briefly and helpfully.",
        "feedback": "Your previous reply was not usable: {feedback}. Write it again.",
    },
    parse=clean_utterance,
    description="the assistant's reply text in plan-grounded mode; sections joined by blank lines",
)

# Echoes that are not headings: a reply that talks about its own instructions or ends on a bare "Results:".
_NOT_HEADINGS = (
    r"the user asked\s*:|and got\s*:|quoting the values|tell the user|results?\s*:\s*$"
    r"|write (only )?your (next )?reply|your previous reply"
)


def messages(prompt: Prompt, sections: Sequence[tuple[str, dict[str, str]]]) -> list[dict[str, str]]:
    body = "\n\n".join(prompt.part(name, **values) for name, values in sections)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": body}]


@functools.lru_cache(maxsize=8)
def echo_guard(prompt: Prompt) -> re.Pattern[str]:
    headings = prompt.headings_pattern(SECTIONS).pattern
    return re.compile(f"{headings}|{_NOT_HEADINGS}", re.I | re.M)
