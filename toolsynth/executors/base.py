"""The executor interface and the slot loop both executors share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Executor(Protocol):
    """Runs items from `next_item` (None: no more) and hands each finished result to `sink`, in the driver
    process. A sink that raises stops the run (the journal keeps what finished). Started when made."""

    async def run(self, next_item: Callable[[], Any], sink: Callable[[Any], None]) -> None: ...

    def close(self) -> None:
        """Release the workers (an executor may serve several runs before)."""


async def drain(
    slots: int,
    next_item: Callable[[], Item | None],
    realize: Callable[[int, Item], Awaitable[Result]],
    sink: Callable[[Result], None],
    *,
    finish_in_flight: bool = False,
) -> None:
    """`slots` loops, each taking the next item, realizing it (`realize(slot, item)`) and sinking the result.

    On the first exception no loop takes another item; the others are cancelled, or with `finish_in_flight` let
    finish (and sunk) first. Then the exception propagates."""
    stop: list[BaseException] = []

    async def loop(slot: int) -> None:
        try:
            while not stop:
                item = next_item()
                if item is None:
                    return
                sink(await realize(slot, item))
        except BaseException as exc:
            stop.append(exc)
            raise

    tasks = [asyncio.create_task(loop(i)) for i in range(max(1, slots))]
    try:
        if finish_in_flight:
            await asyncio.gather(*tasks, return_exceptions=True)
            if stop:
                raise stop[0]
        else:
            await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
