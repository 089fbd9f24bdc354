"""Dialogs as the text a causal LM is trained on and prompted with, split into segments that are or are not the
assistant's own action, and tokenized segment by segment so the loss mask is exact at message boundaries.

The format is the one `toolsynth.llm.local` prompts SmolLM2 with (ChatML; tool schemas in the system message;
calls as `<tool_call>[{"name", "arguments"}]</tool_call>`; tool results as a user turn in `<tool_response>`), so a
model trained here is prompted the same way by the downstream evaluation and by `local/` models. Only the content
of a trained assistant message and its closing `<|im_end|>` are action tokens: the role header, system, user and
tool messages are context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from toolsynth.prompts import local_chat
from toolsynth.prompts import registry as prompts
from toolsynth.train.data import Turn

END = "<|im_end|>"


def system_text(system: str, tools: list[dict[str, Any]]) -> str:
    # The local model's own prompt (`prompts/local_chat.py`): a model trained here is prompted as `local/` ones are.
    chat = prompts.get(local_chat.CHAT_ID)
    parts = [system] if system else []
    if tools:
        parts.append(chat.part("tools", tools=orjson.dumps([t["function"] for t in tools]).decode()))
    return "\n\n".join(parts) or chat.part("default_system")


def assistant_text(turn: Turn) -> str:
    if not turn.calls:
        return turn.content
    calls = orjson.dumps([{"name": n, "arguments": a} for n, a in turn.calls]).decode()
    return (turn.content + "\n" if turn.content else "") + f"<tool_call>{calls}</tool_call>"


def segments(turns: list[Turn], tools: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(text, is_action) pieces whose concatenation is the whole rendered dialog."""
    rest = list(turns)
    system = rest.pop(0).content if rest and rest[0].role == "system" else ""
    out: list[tuple[str, bool]] = [(f"<|im_start|>system\n{system_text(system, tools)}{END}\n", False)]
    for t in rest:
        if t.role == "assistant":
            text = assistant_text(t)
            if t.train:
                out += [("<|im_start|>assistant\n", False), (text + END, True), ("\n", False)]
            else:
                out.append((f"<|im_start|>assistant\n{text}{END}\n", False))
        elif t.role == "tool":
            # SmolLM2 knows only system/user/assistant: a tool result arrives as a user turn.
            out.append(
                (
                    f"<|im_start|>user\n<tool_response>{t.name or ''}: {t.content}</tool_response>{END}\n",
                    False,
                )
            )
        else:
            out.append((f"<|im_start|>user\n{t.content}{END}\n", False))
    return out


def prompt_text(turns: list[Turn], tools: list[dict[str, Any]]) -> str:
    """The generation prompt: the dialog so far and an open assistant header."""
    return "".join(s for s, _ in segments(turns, tools)) + "<|im_start|>assistant\n"


@dataclass
class Encoded:
    input_ids: list[int]
    action_mask: list[int]  # 1 on the assistant's action tokens, 0 on context

    def __len__(self) -> int:
        return len(self.input_ids)


def encode(tokenizer: Any, turns: list[Turn], tools: list[dict[str, Any]]) -> Encoded:
    ids: list[int] = []
    mask: list[int] = []
    for text, action in segments(turns, tools):
        piece = tokenizer(text, add_special_tokens=False)["input_ids"]
        ids += piece
        mask += [int(action)] * len(piece)
    return Encoded(ids, mask)
