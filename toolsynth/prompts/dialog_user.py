"""The user agent's prompts (MAGNET's back-translation `Mb(fs_h)`): the user's next message from a plan turn, and
its answer when the assistant asked instead of acting. Their parser cleans what small models wrap around a message;
the prompt-echo guard is derived from the turn prompt's own headings."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from toolsynth.prompts.base import Prompt

TURN_ID = "synth.user.turn"
FOLLOW_UP_ID = "synth.user.follow_up"

SYSTEM = """You play a USER talking to an AI assistant that can use tools. Write only the user's next message.
Rules:
- Speak as a person would, in plain everyday words, 1 to 3 sentences.
- Never name a function, tool, API, command or parameter identifier; never write code or JSON.
- State the concrete values listed under "You know" (exactly as written) and nothing you were not given: if a detail
  is not listed you don't know it, so don't make one up.
- Ask for one thing at a time, as in the goal below; don't reveal later goals.
- Agreeing to an action is not the same as the goal being done: until the assistant has reported the result, don't
  thank it, say goodbye or end the conversation."""


def clean_utterance(text: str | None) -> str:
    """Strip what small models wrap around a message: role prefixes, quotes, stop tokens."""
    if not text:
        return ""
    t = text.strip()
    t = re.sub(r"^\s*(user|human|me)\s*:\s*", "", t, flags=re.I)
    t = re.sub(r"###\s*[A-Z\-]+\s*###", "", t).strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t = t[1:-1].strip()
    return t


#: The sections of the turn prompt, in the order they are sent (each only when it has something to say).
TURN_SECTIONS = ("goal", "signature", "known", "withheld", "refuse", "conversation", "feedback", "closing")

TURN = Prompt(
    id=TURN_ID,
    version=1,
    system=SYSTEM,
    parts={
        "goal": "Your goal for this message: {intent}",
        "signature": "What the assistant will have to do for you (never name it): {signature}",
        "known": "You know: {facts}",
        "facts": "{label} = {value}",
        "withheld": "Leave out the {what}: you have not said it yet. Don't mention any value for it; the "
        "assistant should have to ask you.",
        "refuse": "Ask for it naturally even if it may not be possible.",
        "conversation": "Conversation so far:\n{transcript}",
        "feedback": "Your previous attempt was not usable: {feedback}. Write it again.",
        "closing": "Now write the user's message.",
    },
    parse=clean_utterance,
    description="the user's next message for one plan turn; sections joined by blank lines",
)

FOLLOW_UP = Prompt(
    id=FOLLOW_UP_ID,
    version=1,
    system=SYSTEM,
    template="Your goal: {intent}\nYou know: {known}\n\nConversation so far:\n{transcript}\n\n"
    "The assistant asked you something instead of doing it. Answer it with what you know (if it asks for "
    "something you don't know, say so) and ask it to go ahead. Your goal is not done yet.",
    parts={"facts": "{label} = {value}", "no_facts": "nothing more"},
    parse=clean_utterance,
    description="the user's answer when the assistant asked something instead of acting on a tool turn",
)


def facts_text(prompt: Prompt, facts: Sequence[tuple[str, str]]) -> str:
    return "; ".join(prompt.part("facts", label=label, value=value) for label, value in facts)


def turn_messages(prompt: Prompt, sections: Sequence[tuple[str, dict[str, str]]]) -> list[dict[str, str]]:
    """The request for one user message: `sections` are (part name, its inputs), in `TURN_SECTIONS` order."""
    body = "\n\n".join(prompt.part(name, **values) for name, values in sections)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": body}]


def follow_up_messages(
    prompt: Prompt, intent: str, facts: Sequence[tuple[str, str]], transcript: str
) -> list[dict[str, str]]:
    known = facts_text(prompt, facts) or prompt.part("no_facts")
    content = prompt.render(intent=intent, known=known, transcript=transcript)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": content}]


def echo_guard(prompt: Prompt) -> re.Pattern[str]:
    """Headings of the turn prompt: a small model that echoes its instructions writes these, and such a message
    would teach the trained model that users talk in prompt scaffolding."""
    return _echo_guard(prompt)


@functools.lru_cache(maxsize=8)
def _echo_guard(prompt: Prompt) -> re.Pattern[str]:
    return prompt.headings_pattern(TURN_SECTIONS)
