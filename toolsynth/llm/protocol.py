"""What stages need of a model gateway, as types: code typed against these accepts the real `Gateway`, a wrapper
(synthesize's per-dialog tally) or a test double, and never has to import the gateway itself."""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, Protocol, TypeVar, runtime_checkable

from toolsynth.llm.results import ChatResult, StructuredResult

T = TypeVar("T")


@runtime_checkable
class ModelClient(Protocol):
    """The two calls an agent, a judge or a planner makes."""

    async def chat(
        self, role: str, messages: list[Any], tools: list[Any] | None = None, **overrides: Any
    ) -> ChatResult: ...

    async def structured(
        self, role: str, messages: list[Any], schema: dict[str, Any], name: str = "answer", **overrides: Any
    ) -> StructuredResult: ...


@runtime_checkable
class ModelGateway(ModelClient, Protocol):
    """A client a stage owns: it runs the calls from synchronous code, reports usage for the manifest, closes."""

    def run(self, coro: Awaitable[T]) -> T: ...

    def run_many(self, coros: Iterable[Coroutine[Any, Any, T]]) -> list[T]: ...

    def usage_summary(self) -> dict[str, Any]: ...

    def summary_line(self) -> str: ...

    async def aclose(self) -> None: ...

    def close(self) -> None: ...
