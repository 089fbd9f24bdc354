"""What a gateway call gives back (answers, token usage) and the two errors it raises for a failed request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolsynth.errors import LLMError
from toolsynth.messages import Message, ToolCall


class LLMRequestError(LLMError):
    """The provider rejected this one request (e.g. context window exceeded); other requests may still work."""


class LLMUnavailableError(LLMError):
    """Still failing after every retry (rate limits, outages, timeouts)."""


@dataclass(slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        if self.cost_usd is None or other.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd += other.cost_usd


@dataclass(slots=True)
class ChatResult:
    content: str | None
    tool_calls: list[ToolCall]
    usage: Usage
    cached: bool
    model: str = ""
    finish_reason: str | None = None
    # Calls whose arguments were not a JSON object ({id, name, arguments, error}): not executable, for the record.
    invalid_tool_calls: list[dict[str, Any]] = field(default_factory=list)

    def message(self) -> Message:
        """The answer as a canonical assistant message."""
        return Message(role="assistant", content=self.content, tool_calls=list(self.tool_calls))


@dataclass(slots=True)
class StructuredResult:
    ok: bool
    data: Any | None
    error: str | None
    raw: str | None
    attempts: int = 0
    cached: bool = False
    usage: Usage = field(default_factory=Usage)
