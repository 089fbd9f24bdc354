"""The executor seam (`toolsynth.executors`): the slot loop's guarantees, and the settings' validation."""

from __future__ import annotations

import asyncio

import pytest

from toolsynth.errors import InputError
from toolsynth.executors.base import drain
from toolsynth.executors.config import ExecutorConfig, executor_config
from toolsynth.executors.local import LocalExecutor


def _feed(n: int):
    items = iter(range(n))
    return lambda: next(items, None)


def test_every_item_is_realized_once_and_sunk_in_the_driver():
    got: list[int] = []
    in_flight, peak = [0], [0]

    async def realize(x: int) -> int:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        await asyncio.sleep(0.001 * (x % 3))
        in_flight[0] -= 1
        return x * 10

    asyncio.run(LocalExecutor(realize, 4).run(_feed(25), got.append))
    assert sorted(got) == [x * 10 for x in range(25)] and peak[0] == 4


@pytest.mark.parametrize("finish", [False, True])
def test_a_failure_stops_the_feed_and_in_flight_items_are_cancelled_or_finished(finish: bool):
    sunk: list[int] = []
    started: list[int] = []

    async def realize(_slot: int, x: int) -> int:
        started.append(x)
        if x == 0:
            await asyncio.sleep(0.01)
            raise ValueError("boom")
        await asyncio.sleep(0.05)
        return x

    with pytest.raises(ValueError, match="boom"):
        asyncio.run(drain(3, _feed(100), realize, sunk.append, finish_in_flight=finish))
    assert started == [0, 1, 2]  # no item is taken after the failure
    assert sunk == ([1, 2] if finish else [])


def test_a_sink_that_raises_stops_the_run():
    def sink(x: int) -> None:
        if x == 2:
            raise KeyboardInterrupt

    async def realize(x: int) -> int:
        return x

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(LocalExecutor(realize, 1).run(_feed(10), sink))


def test_executor_settings_from_the_command_line_over_the_recipe():
    base = ExecutorConfig.model_validate({"kind": "ray", "workers": 3})
    assert ExecutorConfig.model_validate("ray").kind == "ray"
    assert executor_config(base, None, None, None) == base
    assert executor_config(ExecutorConfig(), None, "h:1", None).kind == "ray"  # an address means ray
    assert executor_config(base, "local", None, None).kind == "local"
    assert executor_config(base, None, None, 5).workers == 5
    with pytest.raises(InputError, match="--executor: .*only used by the ray executor"):
        executor_config(ExecutorConfig(), "local", "h:1", None)
    with pytest.raises(InputError, match="--executor"):
        executor_config(ExecutorConfig(), "spark", None, None)
