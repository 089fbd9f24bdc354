"""Does the gateway keep N requests in flight? Calls/s through the gateway against a server with a fixed delay.

A minimal OpenAI-compatible server (its own process, 127.0.0.1, answers every request after exactly --delay s)
is driven through `Gateway.chat` at concurrency 1, 8, 32, 64. Ideal throughput is concurrency / delay; the
gateway's own cost per call (cache lookup and write, accounting, HTTP client) shows up as the gap to it.
Every request is distinct (no cache hits) and the cache is on, as in a real run.

Both transports are measured: `direct` (what `openai/` and `hosted_vllm/` models with an api_base use) and
`litellm` (every other provider), to show why the direct path exists.

    python benchmarks/gateway_overhead.py [--delay 0.1] [--levels 1,8,32,64] [--transports direct,litellm]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
    }
).encode()


def serve(delay: float) -> None:
    """HTTP/1.1 keep-alive server: parse just enough (headers, Content-Length), reply after `delay`."""
    response = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(_BODY),
        _BODY,
    )

    # Arrival of the first request and departure of the last answer since the last reset (wall clock, so another
    # process on this machine can compare them with its own): `GET /stats` reads them, `GET /stats/reset` zeroes.
    stats: dict[str, float] = {"requests": 0, "first_request": 0.0, "last_reply": 0.0}

    def control(path: bytes) -> bytes:
        if path == b"/stats/reset":
            stats.update(requests=0, first_request=0.0, last_reply=0.0)
        body = json.dumps(stats).encode()
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
            len(body),
            body,
        )

    class Proto(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t = transport
            self.buf = b""

        def data_received(self, data: bytes) -> None:
            self.buf += data
            while True:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                length = 0
                for line in self.buf[:end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if len(self.buf) < end + 4 + length:
                    return
                head = self.buf[:end]
                self.buf = self.buf[end + 4 + length :]
                if head.startswith(b"GET /stats"):
                    self.t.write(control(head.split(b" ", 2)[1]))  # type: ignore[attr-defined]
                    continue
                stats["requests"] += 1
                if not stats["first_request"]:
                    stats["first_request"] = time.time()
                asyncio.get_running_loop().call_later(delay, self.reply)

        def reply(self) -> None:
            if not self.t.is_closing():
                self.t.write(response)  # type: ignore[attr-defined]
                stats["last_reply"] = time.time()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Proto, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def server_stats(port: int, reset: bool = False) -> dict[str, float]:
    """The server's request count and first-request / last-reply times (see `serve`); `reset` zeroes them."""
    import urllib.request

    path = "/stats/reset" if reset else "/stats"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def start_server(delay: float) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--delay", str(delay)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, port


async def drive(gw: object, n: int, tag: str) -> float:
    t0 = time.perf_counter()
    await asyncio.gather(
        *(gw.chat("bench", [{"role": "user", "content": f"{tag} request {i}"}]) for i in range(n))  # type: ignore[attr-defined]
    )
    return time.perf_counter() - t0


def measure(transport: str, port: int, delay: float, levels: list[int], cache_dir: Path) -> list[dict]:
    from toolsynth.llm.config import LLMConfig
    from toolsynth.llm.gateway import Gateway

    rows = []
    for c in levels:
        cfg = LLMConfig(
            model="openai/bench",
            api_base=f"http://127.0.0.1:{port}/v1",
            transport=transport,
            concurrency=c,
            max_retries=0,
            cache_dir=str(cache_dir),
        )
        gw = Gateway(cfg, stage="bench")

        async def run(gw: Gateway = gw, c: int = c) -> tuple[float, float, int]:
            await drive(gw, max(8, c), f"warm {transport} {c}")  # connections, imports
            n = max(40, c * 12)
            cpu0 = time.process_time()
            wall = await drive(gw, n, f"{transport} {c}")
            return wall, time.process_time() - cpu0, n

        wall, cpu, n = gw.run(run())
        gw.close()
        achieved = n / wall
        ideal = c / delay
        rows.append(
            {
                "transport": transport,
                "concurrency": c,
                "calls": n,
                "calls_per_s": round(achieved, 1),
                "ideal_per_s": round(ideal, 1),
                "pct_of_ideal": round(100 * achieved / ideal, 1),
                "client_cpu_ms_per_call": round(1000 * cpu / n, 3),
            }
        )
        s = gw.usage_summary()["total"]
        assert s["failures"] == 0 and s["cached"] == 0, s
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--levels", default="1,8,32,64")
    ap.add_argument("--transports", default="direct,litellm")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.serve:
        serve(args.delay)
        return
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench-not-a-real-key")
    levels = [int(x) for x in args.levels.split(",")]
    proc, port = start_server(args.delay)
    rows: list[dict] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for transport in args.transports.split(","):
                rows += measure(transport, port, args.delay, levels, Path(tmp) / transport)
    finally:
        proc.terminate()
        proc.wait()
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"gateway overhead: server delay {args.delay * 1000:.0f} ms, {os.cpu_count()} CPUs, cache on, no hits"
    )
    print(
        f"{'transport':<10}{'in flight':>10}{'calls':>7}{'calls/s':>10}{'ideal':>8}{'% ideal':>9}{'cpu ms/call':>13}"
    )
    for r in rows:
        print(
            f"{r['transport']:<10}{r['concurrency']:>10}{r['calls']:>7}{r['calls_per_s']:>10.1f}"
            f"{r['ideal_per_s']:>8.0f}{r['pct_of_ideal']:>8.1f}%{r['client_cpu_ms_per_call']:>13.3f}"
        )
    direct = [r for r in rows if r["transport"] == "direct"]
    if direct:
        worst = min(r["pct_of_ideal"] for r in direct)
        print(f"direct transport: worst {worst:.1f}% of ideal (target >= 90%)")


if __name__ == "__main__":
    main()
