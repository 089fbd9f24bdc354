"""A small HTTP/1.1 client for the direct transport: POST a body, read the answer, keep the connection for the next.

Why not aiohttp here: against a model server at 64 requests in flight, aiohttp's per-request machinery (request
and response objects, tracing hooks, cookie jar, stream readers, several task hops) made the event loop the
bottleneck: answers queued behind each other and the slots they held sat idle (see README "Throughput"). This
client does only what an OpenAI-compatible endpoint needs: a keep-alive pool per host, Content-Length or chunked
bodies, `Connection: close`, TLS with the system's CA store, one deadline per request. No proxies (aiohttp's
default ignores the proxy environment too), no redirects, no compression (we do not offer it, so the server
sends the body as is).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import ssl


class HTTPConnectionError(Exception):
    """The request could not be sent or its answer not read (refused, reset, closed early, malformed)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes


@dataclass
class _Parser:
    """Incremental parse of one response from the bytes a connection receives."""

    buf: bytearray = field(default_factory=bytearray)
    status: int = 0
    headers: dict[str, str] | None = None
    length: int | None = None  # Content-Length, or None
    chunked: bool = False
    body: bytearray = field(default_factory=bytearray)
    chunk_left: int = -1  # bytes left in the current chunk (+2 for its CRLF); -1: read a size line next
    done: bool = False
    until_close: bool = False

    def feed(self, data: bytes) -> None:
        self.buf += data
        if self.headers is None and not self._head():
            return
        if self.chunked:
            self._chunks()
        elif self.length is not None:
            if len(self.buf) >= self.length:
                self.body = self.buf[: self.length]
                del self.buf[: self.length]
                self.done = True
        else:
            self.body += self.buf
            self.buf.clear()

    def eof(self) -> None:
        if self.headers is not None and self.until_close:
            self.done = True

    def _head(self) -> bool:
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > 65536:
                raise HTTPConnectionError("response headers over 64 KiB")
            return False
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        del self.buf[: end + 4]
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HTTPConnectionError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
            return self._head() if self.buf else False
        self.status, self.headers = status, headers
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.chunked = True
        elif "content-length" in headers:
            try:
                self.length = int(headers["content-length"])
            except ValueError:
                raise HTTPConnectionError(f"bad Content-Length {headers['content-length']!r}") from None
        elif status in (204, 304):
            self.length = 0
        else:
            self.until_close = True
        return True

    def _chunks(self) -> None:
        while not self.done:
            if self.chunk_left == -2:  # after the last chunk: optional trailers, then an empty line
                if self.buf.startswith(b"\r\n"):
                    del self.buf[:2]
                    self.done = True
                    return
                tail = self.buf.find(b"\r\n\r\n")
                if tail < 0:
                    return
                del self.buf[: tail + 4]
                self.done = True
                return
            if self.chunk_left == -1:
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                size_text = bytes(self.buf[:end]).split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise HTTPConnectionError(f"bad chunk size {size_text[:20]!r}") from None
                del self.buf[: end + 2]
                self.chunk_left = -2 if size == 0 else size + 2
                continue
            if len(self.buf) < self.chunk_left:
                return
            self.body += self.buf[: self.chunk_left - 2]
            del self.buf[: self.chunk_left]
            self.chunk_left = -1


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[Response] | None = None
        self.parser: _Parser | None = None
        self.closed = False
        self.got_bytes = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.parser is None:
            self._close()  # bytes nobody asked for: the connection is out of step
            return
        self.got_bytes = True
        try:
            self.parser.feed(data)
        except HTTPConnectionError as exc:
            self._fail(exc)
            return
        if self.parser.done:
            self._finish()

    def eof_received(self) -> bool | None:
        if self.parser is not None:
            self.parser.eof()
            if self.parser.done:
                self._finish()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            if self.parser is not None:
                self.parser.eof()
                if self.parser.done:
                    self._finish()
                    return
            why = f": {exc}" if exc else ""
            self.waiter.set_exception(
                HTTPConnectionError(f"connection closed before the answer was complete{why}")
            )
        self.waiter = None

    def send(self, request: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.parser = _Parser()
        self.got_bytes = False
        self.transport.write(request)
        return self.waiter

    def _finish(self) -> None:
        p, w = self.parser, self.waiter
        assert p is not None and p.headers is not None and w is not None
        self.parser = self.waiter = None
        keep = not p.until_close and "close" not in p.headers.get("connection", "").lower() and not p.buf
        if not keep:
            self._close()
        if not w.done():
            w.set_result(Response(p.status, p.headers, bytes(p.body)))

    def _fail(self, exc: Exception) -> None:
        w = self.waiter
        self.parser = self.waiter = None
        self._close()
        if w is not None and not w.done():
            w.set_exception(exc)

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def idle(self) -> bool:
        return not self.closed and self.waiter is None


class HTTPClient:
    """Keep-alive connections per (scheme, host, port), for one event loop."""

    def __init__(self, user_agent: str = "toolsynth") -> None:
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._ssl: ssl.SSLContext | None = None
        self._user_agent = user_agent
        self.closed = False

    async def post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
        """POST `body` to `url`. Raises HTTPConnectionError, or TimeoutError past `timeout` seconds."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HTTPConnectionError(f"not an http(s) URL: {url}")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        head = [f"POST {target} HTTP/1.1", f"Host: {host}", f"User-Agent: {self._user_agent}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        async with asyncio.timeout(timeout):
            while True:
                conn, reused = await self._acquire(key)
                try:
                    resp = await conn.send(request)
                except HTTPConnectionError:
                    # A kept connection the server had already closed: send again on a fresh one (nothing of
                    # this request was answered, so the server did not act on it).
                    if reused and not conn.got_bytes:
                        continue
                    raise
                except BaseException:
                    conn._close()  # cancelled or timed out mid-answer: the connection is out of step
                    raise
                if conn.idle and not self.closed:
                    self._idle.setdefault(key, []).append(conn)
                return resp

    async def _acquire(self, key: tuple[str, str, int]) -> tuple[_Connection, bool]:
        pool = self._idle.get(key)
        while pool:
            conn = pool.pop()
            if conn.idle and conn.transport is not None and not conn.transport.is_closing():
                return conn, True
        scheme, host, port = key
        ctx = None
        if scheme == "https":
            if self._ssl is None:
                import ssl

                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        try:
            _, conn = await asyncio.get_running_loop().create_connection(
                _Connection, host, port, ssl=ctx, server_hostname=host if ctx else None
            )
        except OSError as exc:  # ssl.SSLError is one too
            raise HTTPConnectionError(f"cannot connect to {host}:{port}: {exc}") from None
        return conn, False

    async def aclose(self) -> None:
        self.closed = True
        for pool in self._idle.values():
            for conn in pool:
                conn._close()
        self._idle.clear()
