"""ToolFlow's planner prompt: before any dialog text, a model writes the plan of a conversation over a sampled tool
subset (goal, turns, their tools and argument values), as JSON matching `plan_schema`. The answer is parsed into a
plan skeleton by `toolsynth.plans.toolflow.skeleton_from_answer`."""

from __future__ import annotations

from typing import Any

from toolsynth.catalog.model import Tool
from toolsynth.prompts.base import Prompt

PLAN_ID = "plans.toolflow.plan"

SYSTEM = (
    "You plan realistic multi-turn conversations between a user and an AI assistant that can call tools. "
    "You write the plan only, not the dialog: the user's overall goal and, for each user turn, what the user "
    "wants. A turn of kind `tool` needs one or more of the given tools (list them in the order they are called; "
    "put a tool after the one whose output it needs); a turn of kind `chat` is small talk or a question the "
    "assistant answers without tools. Make the turns follow from each other like a real conversation toward the "
    "goal. Give concrete, specific argument values under `arguments` (tool name → {parameter: value}). "
    "Answer with JSON only."
)


PLAN = Prompt(
    id=PLAN_ID,
    version=1,
    system=SYSTEM,
    parts={
        "tools": "Tools the assistant can use:",
        "tool": "- {name}({params}): {summary}",
        "tool_returns": "{line} → returns {outputs}",
        "param": "{name}{optional}: {type}",
        "optional": "?",
        "shape": "Write a plan with {min_turns} to {max_turns} turns, of which {min_chat} to {max_chat} are chat "
        "turns. Use every tool at least once.",
        # Per plan category (`category_<name>`): what the plan must contain besides the shape.
        "category_miss_param": 'Mark exactly one tool turn with "clarify": true: in it the user forgets to give '
        "a required detail and only gives it after the assistant asks.",
        "state": "The tools run on this backend state; take argument values (names, ids, files) from it: {state}",
    },
    description="the plan of one dialog; the user message is its lines joined by newlines",
)


def plan_schema(tools: list[Tool], turns: tuple[int, int]) -> dict[str, Any]:
    names = [t.name for t in tools]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["goal", "turns"],
        "properties": {
            "goal": {"type": "string", "minLength": 1, "description": "the user's overall goal"},
            "turns": {
                "type": "array",
                "minItems": turns[0],
                "maxItems": turns[1],
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["intent", "kind", "tools"],
                    "properties": {
                        "intent": {"type": "string", "minLength": 1},
                        "kind": {"type": "string", "enum": ["tool", "chat"]},
                        "tools": {
                            "type": "array",
                            "maxItems": 3,
                            "items": {"type": "string", "enum": names},
                        },
                        "arguments": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {n: {"type": "object"} for n in names},
                        },
                        "clarify": {"type": "boolean"},
                    },
                },
            },
        },
    }
