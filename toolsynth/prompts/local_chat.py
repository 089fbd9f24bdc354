"""How the offline model (`local/smollm2`) is prompted: SmolLM2's ChatML with the tool schemas in the system message
in the format it was tuned on (its chat template silently drops `tools`), calls answered as
`<tool_call>[{"name": ..., "arguments": {...}}]</tool_call>` (parsed by `parse_tool_calls`), tool results sent back
as a user turn. `toolsynth.train.render` writes training text in this same format."""

from __future__ import annotations

from typing import Any

import orjson

from toolsynth.prompts.base import Prompt

CHAT_ID = "llm.local.chat"

CHAT = Prompt(
    id=CHAT_ID,
    version=1,
    parts={
        "tools": "You are an expert in composing functions. You are given a question and a set of possible "
        "functions.\n"
        "Based on the question, you will need to make one or more function/tool calls to achieve the purpose.\n"
        "If none of the functions can be used, point it out and refuse to answer.\n"
        "If the given question lacks the parameters required by the function, also point it out.\n\n"
        "You have access to the following tools:\n<tools>{tools}</tools>\n\n"
        "To call tools, output exactly:\n"
        '<tool_call>[{{"name": "func_name1", "arguments": {{"argument1": "value1"}}}}]</tool_call>\n'
        "Otherwise answer in plain text.",
        "schema": "Answer with a JSON value that matches this JSON Schema:\n{schema}",
        "default_system": "You are a helpful AI assistant.",
        "turn": "<|im_start|>{role}\n{content}<|im_end|>\n",
        "calls": "<tool_call>{calls}</tool_call>",
        "tool_result": "<tool_response>{name}: {content}</tool_response>",
        "answer": "<|im_start|>assistant\n",
    },
    parse=None,  # set below: parse_tool_calls
    description="the whole ChatML prompt of one local-model request",
)

CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"


def render(
    prompt: Prompt, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, schema: Any
) -> str:
    system_parts: list[str] = []
    rest = list(messages)
    if rest and rest[0].get("role") == "system":
        system_parts.append(str(rest.pop(0).get("content") or ""))
    if tools:
        specs = [t["function"] for t in tools]
        system_parts.append(prompt.part("tools", tools=orjson.dumps(specs).decode()))
    if schema is not None:
        system_parts.append(prompt.part("schema", schema=orjson.dumps(schema).decode()))
    system = "\n\n".join(p for p in system_parts if p) or prompt.part("default_system")
    out = [prompt.part("turn", role="system", content=system)]
    for m in rest:
        role = m.get("role")
        content = m.get("content") or ""
        if not isinstance(content, str):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "assistant" and m.get("tool_calls"):
            calls = [
                {"name": c["function"]["name"], "arguments": _loads_or_text(c["function"].get("arguments"))}
                for c in m["tool_calls"]
            ]
            content = (content + "\n" if content else "") + prompt.part(
                "calls", calls=orjson.dumps(calls).decode()
            )
        elif role == "tool":
            # The model only knows system/user/assistant turns: tool results arrive as a user turn.
            role = "user"
            content = prompt.part("tool_result", name=m.get("name") or "", content=content)
        elif role not in ("user", "assistant"):
            role = "user"
        out.append(prompt.part("turn", role=role, content=content))
    out.append(prompt.part("answer"))
    return "".join(out)


def parse_tool_calls(text: str) -> list[Any] | None:
    """The calls of an answer that opens with `<tool_call>`; None when it does not, or when the JSON is cut off
    (max_tokens): the raw text then stays the content, for the caller to see."""
    if not text.startswith(CALL_OPEN):
        return None
    body = text[len(CALL_OPEN) :].split(CALL_CLOSE, 1)[0]
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, list) else None


def _loads_or_text(args: Any) -> Any:
    if isinstance(args, str):
        try:
            return orjson.loads(args)
        except orjson.JSONDecodeError:
            return args
    return args


object.__setattr__(CHAT, "parse", parse_tool_calls)
