"""Cache writer processes for test_cache (a module of its own so that spawned children import little)."""

from __future__ import annotations

from toolsynth.llm.cache import ResponseCache


def writer(path: str, worker: int, n: int) -> None:
    cache = ResponseCache(path, busy_timeout_s=30)
    for i in range(n):
        # half the keys are shared by every worker: they race on the same rows
        key = f"shared-{i}" if i % 2 == 0 else f"w{worker}-{i}"
        cache.put(key, "m", {"value": key, "by": worker})
        if i % 7 == 0:
            cache.flush()
    cache.close()


def endless_writer(path: str) -> None:
    cache = ResponseCache(path)
    i = 0
    while True:
        cache.put(f"k{i}", "m", {"i": i, "pad": "x" * 2000})
        cache.flush()
        i += 1
