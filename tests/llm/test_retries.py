"""Retries: transient errors (429, 5xx, timeouts, connection errors) are retried with backoff; 4xx fail at once."""

from __future__ import annotations

import asyncio
import random

import pytest
from fake_openai import FakeOpenAI, completion

from toolsynth.errors import LLMError
from toolsynth.llm.gateway import LLMRequestError, LLMUnavailableError, backoff_delay
from toolsynth.testing.scripted import ScriptedModel

MSG = [{"role": "user", "content": "hello"}]


@pytest.mark.parametrize("error", [429, 500, 503, "timeout", "connection"])
def test_transient_errors_are_retried(make_gateway, error) -> None:
    gw = make_gateway()
    ScriptedModel.fail(error, times=2)
    res = gw.run(gw.chat("assistant", MSG))
    assert res.content and "hello" in res.content
    assert len(ScriptedModel.calls) == 3
    usage = gw.usage_summary()["roles"]["assistant"]
    assert (usage["retries"], usage["failures"], usage["calls"]) == (2, 0, 3)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors_fail_fast_with_one_line(make_gateway, status) -> None:
    gw = make_gateway(max_retries=5)
    ScriptedModel.fail(status, times=5, message="invalid api key")
    with pytest.raises(LLMError) as info:
        gw.run(gw.chat("assistant", MSG))
    assert len(ScriptedModel.calls) == 1  # no retry
    line = info.value.one_line()
    assert "\n" not in line and "authentication failed" in line and "llm.assistant" in line
    assert gw.usage_summary()["roles"]["assistant"]["failures"] == 1


def test_bad_request_is_a_per_request_error(make_gateway) -> None:
    gw = make_gateway(max_retries=5)
    ScriptedModel.fail(400, times=5, message="context window exceeded")
    with pytest.raises(LLMRequestError, match="context window exceeded"):
        gw.run(gw.chat("assistant", MSG))
    assert len(ScriptedModel.calls) == 1


def test_missing_key_is_not_retried(make_gateway, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    gw = make_gateway(model="openai/gpt-4o-mini", api_base="http://127.0.0.1:9/v1", transport="litellm")
    with pytest.raises(LLMError, match="no API key.*OPENAI_API_KEY"):
        gw.run(gw.chat("assistant", MSG))
    assert gw.usage_summary()["roles"]["assistant"]["retries"] == 0


def test_gives_up_after_max_retries(make_gateway) -> None:
    gw = make_gateway(max_retries=3)
    ScriptedModel.fail(429, times=100)
    with pytest.raises(LLMUnavailableError, match="gave up after 4 attempts"):
        gw.run(gw.chat("judge", MSG))
    assert len(ScriptedModel.calls) == 4
    u = gw.usage_summary()["roles"]["judge"]
    assert (u["retries"], u["failures"]) == (3, 1)


def test_backoff_is_exponential_jittered_and_capped() -> None:
    rng = random.Random(0)
    for attempt in range(6):
        step = min(8.0, 1.0 * 2**attempt)
        delays = [backoff_delay(attempt, 1.0, 8.0, rng) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 100  # jitter: clients that failed together come back apart
    # a server's Retry-After wins when longer, up to the cap
    assert backoff_delay(0, 0.1, 30.0, rng, retry_after=5.0) == 5.0
    assert backoff_delay(0, 0.1, 2.0, rng, retry_after=5.0) == 2.0


def test_backoff_actually_waits(make_gateway) -> None:
    gw = make_gateway(retry_base_s=0.05, retry_max_s=1.0)
    ScriptedModel.fail(429, times=2)

    async def timed() -> float:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await gw.chat("assistant", MSG)
        return loop.time() - t0

    elapsed = gw.run(timed())
    assert elapsed >= 0.025 + 0.05  # at least half of each step: 0.05/2 then 0.1/2


@pytest.mark.parametrize("transport", ["direct", "litellm"])
def test_http_statuses_over_the_wire(make_gateway, transport, monkeypatch) -> None:
    """The same policy through a real HTTP server, for both transports: 500 and 429 retried, 401 not."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    script = [(500, {"error": {"message": "boom"}}), (429, {"error": {"message": "slow down"}})]

    def respond(body, headers):
        if body["messages"][-1]["content"] == "auth":
            return 401, {"error": {"message": "Incorrect API key provided"}}
        return script.pop(0) if script else (200, completion("fine"))

    with FakeOpenAI(respond) as srv:
        gw = make_gateway(model="openai/test-model", api_base=srv.base, transport=transport, cache=False)
        res = gw.run(gw.chat("assistant", MSG))
        assert res.content == "fine"
        assert len(srv.requests) == 3
        with pytest.raises(LLMError, match=r"authentication failed \(HTTP 401\).*OPENAI_API_KEY"):
            gw.run(gw.chat("assistant", [{"role": "user", "content": "auth"}]))
        assert len(srv.requests) == 4
    u = gw.usage_summary()["roles"]["assistant"]
    assert (u["retries"], u["failures"]) == (2, 1)
