"""Hand-made records in the shared export formats (trl-sft and mdpo), and the same data as Turns."""

from __future__ import annotations

from typing import Any

import orjson

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "cd",
            "description": "Change the current directory.",
            "parameters": {
                "type": "object",
                "properties": {"folder": {"type": "string"}},
                "required": ["folder"],
            },
        },
    }
]


def _call(folder: str, as_string: bool = False) -> dict[str, Any]:
    args: Any = {"folder": folder}
    if as_string:
        import json

        args = json.dumps(args)
    return {"type": "function", "function": {"name": "cd", "arguments": args}}


def trajectory(
    folder: str, answer: str, *, train_flags: bool, as_string: bool = False
) -> list[dict[str, Any]]:
    msgs = [
        {"role": "system", "content": "Help with files."},
        {"role": "user", "content": "Go into the document folder."},
        {"role": "assistant", "content": None, "tool_calls": [_call(folder, as_string)]},
        {
            "role": "tool",
            "name": "cd",
            "content": orjson.dumps({"current_working_directory": folder}).decode(),
        },
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "Thanks, that is all."},
        {"role": "assistant", "content": "Glad to help."},
    ]
    if train_flags:
        for m in msgs:
            m["train"] = m["role"] == "assistant"
    return msgs


def sft_record(as_string: bool = False) -> dict[str, Any]:
    import json

    return {
        "messages": trajectory("document", "Done.", train_flags=False, as_string=as_string),
        "tools": json.dumps(TOOLS) if as_string else TOOLS,
    }


def mdpo_record(as_string: bool = False) -> dict[str, Any]:
    import json

    return {
        "id": "pair-1",
        "pair_id": "pair-1",
        "dialog_id": "d1",
        "tools": json.dumps(TOOLS) if as_string else TOOLS,
        "chosen": trajectory("document", "Done, you are in document.", train_flags=True, as_string=as_string),
        "rejected": trajectory("temp", "Sure.", train_flags=True, as_string=as_string),
        "kind": "rule",
        "error": "wrong_argument",
        "turn": 0,
    }
