"""Finding 6: user Python backends run off the event loop, and a call that hangs fails after its timeout."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from toolsynth.errors import InputError
from toolsynth.messages import ToolCall
from toolsynth.synth.backends.registry import make_backend


@pytest.fixture
def slow_module(tmp_path: Path) -> Path:
    mod = tmp_path / "slow_tools.py"
    mod.write_text(
        "import time\n"
        "def nap(seconds: float) -> dict:\n"
        "    time.sleep(seconds)\n"
        "    return {'slept': seconds}\n"
    )
    return mod


def test_a_hanging_call_fails_after_the_timeout(slow_module: Path) -> None:
    be = make_backend({"kind": f"python:{slow_module}", "timeout": 0.3}, [], trusted=True)
    assert be is not None
    t0 = time.perf_counter()
    res = be.execute(ToolCall(id="a", name="nap", arguments={"seconds": 30}))
    assert time.perf_counter() - t0 < 5
    assert not res.ok and "timed out after 0.3 s" in (res.error or "")
    assert be.execute(ToolCall(id="b", name="nap", arguments={"seconds": 0})).output == {"slept": 0}


def test_calls_run_off_the_event_loop(slow_module: Path) -> None:
    be = make_backend(f"python:{slow_module}", [], trusted=True)
    assert be is not None
    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.05)

    async def main() -> list[bool]:
        call = ToolCall(id="a", name="nap", arguments={"seconds": 0.6})
        results = await asyncio.gather(be.aexecute(call), be.aexecute(call), ticker())
        return [r.ok for r in results[:2]]

    t0 = time.perf_counter()
    assert asyncio.run(main()) == [True, True]
    # Both naps overlapped (not 1.2 s back to back) and the ticker kept ticking while they slept.
    assert time.perf_counter() - t0 < 1.1
    assert len(ticks) == 5 and ticks[-1] - t0 < 0.55


@pytest.mark.parametrize("bad", [0, -1, "soon", True, 10_000])
def test_a_bad_timeout_is_a_user_error(slow_module: Path, bad: object) -> None:
    with pytest.raises(InputError, match="timeout"):
        make_backend({"kind": f"python:{slow_module}", "timeout": bad}, [], trusted=True)
