"""The in-process executor: `slots` asyncio loops over one shared job (the default; what every stage did before
executors existed)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from toolsynth.executors.base import drain


class LocalExecutor:
    def __init__(
        self, realize: Callable[[Any], Awaitable[Any]], slots: int, *, finish_in_flight: bool = False
    ) -> None:
        self._realize = realize
        self.slots = slots
        self.finish_in_flight = finish_in_flight

    async def run(self, next_item: Callable[[], Any], sink: Callable[[Any], None]) -> None:
        async def realize(_slot: int, item: Any) -> Any:
            return await self._realize(item)

        await drain(self.slots, next_item, realize, sink, finish_in_flight=self.finish_in_flight)

    def close(self) -> None:
        """Nothing to release: the gateway is the caller's."""
