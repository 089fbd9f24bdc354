"""The default prompts, and which of them each stage may send (for its manifest and resume fingerprint)."""

from __future__ import annotations

from toolsynth.prompts import (
    dialog_assistant,
    dialog_reply,
    dialog_user,
    graph_judge,
    local_chat,
    structured_output,
    tool_simulator,
    toolflow_planner,
    turn_judge,
)
from toolsynth.prompts.base import Prompt

DEFAULTS: tuple[Prompt, ...] = (
    dialog_user.TURN,
    dialog_user.FOLLOW_UP,
    dialog_assistant.HINT,
    dialog_reply.REPLY,
    turn_judge.JUDGE,
    tool_simulator.SIMULATE,
    toolflow_planner.PLAN,
    graph_judge.LABEL,
    graph_judge.PAIR,
    local_chat.CHAT,
    structured_output.STRUCTURED,
)

#: Prompts every model call may add: the gateway's structured-output instructions and repair, the local model's.
_GATEWAY: tuple[str, ...] = (structured_output.STRUCTURED_ID, local_chat.CHAT_ID)

STAGES: dict[str, tuple[str, ...]] = {
    "synthesize": (
        dialog_user.TURN_ID,
        dialog_user.FOLLOW_UP_ID,
        dialog_assistant.HINT_ID,
        dialog_reply.REPLY_ID,
        turn_judge.JUDGE_ID,
        tool_simulator.SIMULATE_ID,
        *_GATEWAY,
    ),
    # The hint-free re-run sends the assistant's plain system prompt (no hint); its negatives are checked by the
    # judge and run on the simulated tool where the recipe says so.
    "make-preferences": (turn_judge.JUDGE_ID, tool_simulator.SIMULATE_ID, *_GATEWAY),
    "sample-plans": (toolflow_planner.PLAN_ID, *_GATEWAY),
    "build-graph": (graph_judge.LABEL_ID, graph_judge.PAIR_ID, *_GATEWAY),
}
