"""The canonical chat message and tool-call model shared by the gateway, plans, dialogs, verification and exports.

Canonical form = OpenAI chat format with parsed arguments: an assistant message carries `tool_calls` with ids and
`arguments` as a dict (exports turn them into JSON strings where a format wants that); a tool message carries
`tool_call_id` and the tool `name`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Where a call's arguments were not a JSON object: the format check fails such calls with this reason.
BAD_ARGS_KEY = "__unparsed_arguments__"


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def to_openai(self) -> dict[str, Any]:
        import orjson

        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": orjson.dumps(self.arguments).decode()},
        }


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None

    def to_record(self) -> dict[str, Any]:
        rec: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            rec["tool_calls"] = [c.model_dump() for c in self.tool_calls]
        if self.tool_call_id is not None:
            rec["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            rec["name"] = self.name
        return rec

    def to_openai(self) -> dict[str, Any]:
        """OpenAI chat API / fine-tuning shape (arguments as JSON strings)."""
        rec: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            rec["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        if self.tool_call_id is not None:
            rec["tool_call_id"] = self.tool_call_id
        if self.role == "tool" and self.name is not None:
            rec["name"] = self.name
        return rec
