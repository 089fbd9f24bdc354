"""A minimal HTTP/1.1 client for plain-`http://` JSON POSTs to self-hosted model servers (vLLM, llama.cpp, SGLang).

Why not aiohttp here: at 64 requests in flight the client's CPU per call decides throughput on a small machine,
and aiohttp spends ~0.18 ms per request where this spends ~0.05 ms (benchmarks/gateway_overhead.py). It handles
what those servers send: keep-alive, Content-Length or chunked bodies, `Connection: close`, read-to-EOF. TLS,
proxies, redirects and compression are out of scope: `https://` endpoints go through aiohttp.

One pool of idle connections per (host, port) and event loop; the gateway's semaphore bounds how many are busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
import weakref


class HTTPError(Exception):
    """The connection failed or broke before a complete response arrived (the caller may retry)."""


class _Conn(asyncio.Protocol):
    def __init__(self, idle: list[_Conn]) -> None:
        self.idle = idle
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, dict[str, str], bytes]] | None = None
        self.closed = False
        self._reset()

    def _reset(self) -> None:
        self.head_done = False
        self.status = 0
        self.headers: dict[str, str] = {}
        self.length: int | None = None
        self.chunked = False
        self.keep_alive = True
        self.body = bytearray()

    # -- asyncio.Protocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        try:
            self._parse()
        except Exception as exc:  # noqa: BLE001 - any malformed response breaks this connection only
            self._fail(HTTPError(f"malformed HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        if self.waiter is not None and self.head_done and self.length is None and not self.chunked:
            self.body += self.buf  # body delimited by the end of the connection
            self.buf.clear()
            self.keep_alive = False
            self._finish()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        with contextlib.suppress(ValueError):
            self.idle.remove(self)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(HTTPError(f"connection closed before the response ({exc or 'EOF'})"))

    # -- parsing --
    def _parse(self) -> None:
        if self.waiter is None:
            return
        if not self.head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            del self.buf[: end + 4]
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/"):
                raise ValueError(f"bad status line {lines[0][:80]!r}")
            self.status = int(parts[1])
            for line in lines[1:]:
                name, _, value = line.partition(":")
                self.headers[name.strip().lower()] = value.strip()
            self.chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
            if not self.chunked and "content-length" in self.headers:
                self.length = int(self.headers["content-length"])
            conn = self.headers.get("connection", "").lower()
            self.keep_alive = conn != "close" and (parts[0] != "HTTP/1.0" or conn == "keep-alive")
            if self.status in (204, 304) or 100 <= self.status < 200:
                self.length = 0
            self.head_done = True
        if self.chunked:
            while True:
                nl = self.buf.find(b"\r\n")
                if nl < 0:
                    return
                size = int(bytes(self.buf[:nl]).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    end = self.buf.find(b"\r\n\r\n", nl)  # trailers end with an empty line
                    if end < 0:
                        return
                    del self.buf[: end + 4]
                    self._finish()
                    return
                if len(self.buf) < nl + 2 + size + 2:
                    return
                self.body += self.buf[nl + 2 : nl + 2 + size]
                del self.buf[: nl + 2 + size + 2]
        elif self.length is not None:
            if len(self.buf) < self.length:
                return
            self.body += self.buf[: self.length]
            del self.buf[: self.length]
            self._finish()

    def _finish(self) -> None:
        waiter, status, headers, body, keep = (
            self.waiter,
            self.status,
            self.headers,
            bytes(self.body),
            self.keep_alive,
        )
        self.waiter = None
        self._reset()
        if keep and not self.closed and not self.buf:
            self.idle.append(self)
        elif self.transport is not None:
            self.transport.close()
        if waiter is not None and not waiter.done():
            waiter.set_result((status, headers, body))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        self.waiter = None
        if self.transport is not None:
            self.transport.close()


class LeanHTTP:
    """`await client.post(url, body, headers, timeout) -> (status, headers, body)`; raises HTTPError or
    TimeoutError."""

    def __init__(self) -> None:
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, int], list[_Conn]]
        ] = weakref.WeakKeyDictionary()

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        u = urllib.parse.urlsplit(url)
        if u.scheme != "http" or not u.hostname:
            raise ValueError(f"LeanHTTP handles plain http:// URLs only, not {url!r}")
        host, port = u.hostname, u.port or 80
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        loop = asyncio.get_running_loop()
        pools = self._pools.get(loop)
        if pools is None:
            pools = self._pools[loop] = {}
        idle = pools.setdefault((host, port), [])
        head = [f"POST {path} HTTP/1.1", f"Host: {u.netloc}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        async with asyncio.timeout(timeout):
            for attempt in range(2):
                conn, reused = await self._connection(loop, idle, host, port)
                try:
                    conn.waiter = loop.create_future()
                    assert conn.transport is not None
                    conn.transport.write(request)
                    return await conn.waiter
                except HTTPError:
                    # A kept-alive connection the server had already closed: the request never reached it, so
                    # one immediate retry on a fresh connection is safe.
                    stale = reused and not conn.head_done and attempt == 0
                    self._discard(conn)
                    if not stale:
                        raise
                except BaseException:
                    # A request that did not complete leaves the connection in an unknown state.
                    self._discard(conn)
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    async def _connection(
        loop: asyncio.AbstractEventLoop, idle: list[_Conn], host: str, port: int
    ) -> tuple[_Conn, bool]:
        while idle:
            c = idle.pop()
            if not c.closed and c.transport is not None and not c.transport.is_closing():
                return c, True
        try:
            _, conn = await loop.create_connection(lambda: _Conn(idle), host, port)
        except OSError as exc:
            raise HTTPError(f"cannot connect to {host}:{port}: {exc.strerror or exc}") from None
        return conn, False

    @staticmethod
    def _discard(conn: _Conn) -> None:
        conn.waiter = None
        if conn.transport is not None:
            conn.transport.close()

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        for idle in (self._pools.pop(loop, None) or {}).values():
            for c in list(idle):
                if c.transport is not None:
                    c.transport.close()
            idle.clear()
        await asyncio.sleep(0)  # let the transports close inside this loop
