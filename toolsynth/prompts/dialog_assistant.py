"""The assistant agent's guidance (MAGNET's forth-translation `fs_h`): the plan's expected action for the next step,
appended under a heading to the system message of that one request (exported dialogs keep the plain system prompt;
the hint itself is kept in `DialogTurn.hint` for make-preferences)."""

from __future__ import annotations

from toolsynth.prompts.base import Prompt

HINT_ID = "synth.assistant.hint"
HINT_HEADER = "[Guidance for this step; the user cannot see it]"

HINT = Prompt(
    id=HINT_ID,
    version=1,
    template="{system}\n\n" + HINT_HEADER.replace("{", "{{").replace("}", "}}") + "\n{hint}",
    parts={
        "calls_done": "All the needed tool calls have been made. Answer the user in natural language, using only "
        "what the tool results above say; do not call another tool.",
        "call_now": "Make {label} now: {calls}.",
        "one_call": "this tool call",
        "parallel_calls": "these tool calls (in parallel)",
        "calls_later": " After their results arrive you will call {calls}, taking the marked values from those "
        "results.",
        "dependent_now": " Take the marked values from the earlier tool results in this conversation.",
        "call": "{tool}({args})",
        "argument": "{name}={value}",
        "dependent_argument": "{name}=<the `{field}` from the result of {call}>",
        "ask": "The user has not given {wanted}. Ask the user for it in one short question; do not call any tool "
        "and do not guess the value.",
        "ask_item": "`{param}` for {tool}",
        "ask_unknown": "a required value",
        "refuse": "The tool this needs ({missing}) is not available to you. Tell the user plainly that you cannot "
        "do that with the tools you have; do not call a different tool instead.",
        "refuse_unknown": "the needed tool",
        "chat": "No tool is needed here. Reply to the user in natural language; do not call any tool.",
        "feedback": " (A previous attempt at this step was rejected: {feedback}.)",
    },
    description="the plan's next action as guidance in the assistant's system message (template: that message)",
)
