"""The response cache: a re-run makes no calls and gets identical answers; safe for concurrent writers and kills."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import orjson
from cache_workers import endless_writer, writer

from toolsynth.artifacts import write_artifact
from toolsynth.llm.cache import ResponseCache
from toolsynth.testing.scripted import ScriptedModel

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "weather now",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _stage(gw, n: int = 12) -> list[dict]:
    """A miniature stage: chat, tool calls and structured answers, collected as artifact records."""

    async def one(i: int) -> dict:
        a = await gw.chat("user", [{"role": "user", "content": f"question {i}"}], temperature=0.9)
        b = await gw.chat("assistant", [{"role": "user", "content": f"weather {i}"}], tools=TOOLS)
        c = await gw.structured(
            "judge",
            [{"role": "user", "content": f"rate {i}"}],
            {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]},
        )
        return {
            "id": str(i),
            "text": a.content,
            "calls": [t.model_dump() for t in b.tool_calls],
            "score": c.data,
            "cached": [a.cached, b.cached, c.cached],
        }

    return gw.run_many(one(i) for i in range(n))


def test_rerun_makes_no_calls_and_identical_artifact(make_gateway, tmp_path: Path) -> None:
    first = _stage(make_gateway())
    n_calls = len(ScriptedModel.calls)
    assert n_calls == 36 and not any(any(r["cached"]) for r in first)

    second = _stage(make_gateway())  # a new gateway: a new process would see the same file
    assert len(ScriptedModel.calls) == n_calls  # no call at all
    assert all(all(r["cached"]) for r in second)
    strip = lambda rs: [{k: v for k, v in r.items() if k != "cached"} for r in rs]  # noqa: E731
    write_artifact(tmp_path / "a.jsonl", "dialog", strip(first))
    write_artifact(tmp_path / "b.jsonl", "dialog", strip(second))
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_cache_key_covers_model_params_seed_and_tools(make_gateway) -> None:
    gw = make_gateway()
    msgs = [{"role": "user", "content": "same words"}]

    async def variants() -> None:
        await gw.chat("a", msgs)
        await gw.chat("a", msgs)  # hit
        await gw.chat("b", msgs)  # other role, same settings: hit (roles do not change the answer)
        await gw.chat("a", msgs, seed=7)
        await gw.chat("a", msgs, temperature=0.1)
        await gw.chat("a", msgs, max_tokens=9)
        await gw.chat("a", msgs, model="scripted/other")
        await gw.chat("a", msgs, tools=TOOLS)

    gw.run(variants())
    assert len(ScriptedModel.calls) == 6
    assert gw.usage_summary()["total"]["cached"] == 2


def test_no_cache_calls_every_time(make_gateway, tmp_path: Path) -> None:
    gw = make_gateway(cache=False)
    msgs = [{"role": "user", "content": "again"}]
    gw.run(gw.chat("a", msgs))
    gw.run(gw.chat("a", msgs))
    assert len(ScriptedModel.calls) == 2
    assert not (tmp_path / "cache").exists()


def test_identical_requests_in_flight_share_one_call(make_gateway) -> None:
    gw = make_gateway()
    res = gw.run_many(gw.chat("a", [{"role": "user", "content": "twin"}]) for _ in range(5))
    assert len(ScriptedModel.calls) == 1
    assert len({r.content for r in res}) == 1


def test_concurrent_writers_from_several_processes(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=writer, args=(str(tmp_path), w, 300)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    cache = ResponseCache(tmp_path)
    assert len(cache) == 150 + 4 * 150
    for i in range(0, 300, 2):
        assert cache.get(f"shared-{i}")["value"] == f"shared-{i}"
    for w in range(4):
        assert cache.get(f"w{w}-1") == {"value": f"w{w}-1", "by": w}
    cache.close()


def test_killed_writer_leaves_a_readable_cache(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=endless_writer, args=(str(tmp_path),))
    p.start()
    db = tmp_path / "llm-cache.sqlite"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            with sqlite3.connect(db, timeout=30) as c:
                if c.execute("SELECT COUNT(*) FROM responses").fetchone()[0] > 50:
                    break
    os.kill(p.pid, signal.SIGKILL)  # mid-write, most likely inside a transaction
    p.join()
    cache = ResponseCache(tmp_path)
    n = len(cache)
    assert n > 50
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = c.execute("SELECT key, value FROM responses").fetchall()
    assert all(orjson.loads(v)["i"] == int(k[1:]) for k, v in rows)  # no torn entry
    cache.put("after", "m", {"ok": True})
    cache.flush()
    assert cache.get("after") == {"ok": True}
    cache.close()
