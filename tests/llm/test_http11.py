"""The direct transport's HTTP/1.1 client against a byte-level server: bodies by length, chunks and close,
keep-alive reuse, a server that drops kept connections, deadlines, and answers that are not HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from toolsynth.llm.http11 import HTTPClient, HTTPConnectionError, _Parser

Script = Callable[
    [int, int], list[bytes] | None
]  # (connection no., request no. on it) -> writes; None: close


def ok(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def serve(script: Script) -> tuple[asyncio.Server, int, list[bytes]]:
    """A server that reads whole requests (headers + Content-Length) and answers with `script`'s writes."""
    seen: list[bytes] = []
    conns = [0]

    async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        conn = conns[0]
        conns[0] += 1
        n = 0
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                length = next(
                    int(h.split(b":")[1])
                    for h in head.split(b"\r\n")
                    if h.lower().startswith(b"content-length")
                )
                seen.append(head + await r.readexactly(length))
                writes = script(conn, n)
                n += 1
                if writes is None:
                    break
                for chunk in writes:
                    w.write(chunk)
                    await w.drain()
                    await asyncio.sleep(0)
                if writes and writes[-1] == b"":
                    break  # the script said: close after this answer
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    server.conns = conns  # type: ignore[attr-defined]
    return server, server.sockets[0].getsockname()[1], seen


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_keep_alive_reuses_one_connection_and_sends_a_well_formed_post() -> None:
    async def main() -> None:
        server, port, seen = await serve(lambda c, n: [ok(b'{"n": %d}' % n)])
        client = HTTPClient()
        url = f"http://127.0.0.1:{port}/v1/chat/completions?x=1"
        for i in range(3):
            r = await client.post(url, b'{"q": 1}', {"Authorization": "Bearer k"}, 5)
            assert (r.status, r.body, r.headers["content-length"]) == (200, b'{"n": %d}' % i, "8")
        assert server.conns[0] == 1  # type: ignore[attr-defined]
        first = seen[0].decode()
        assert first.startswith("POST /v1/chat/completions?x=1 HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{port}\r\n" in first and "Authorization: Bearer k\r\n" in first
        assert "Content-Length: 8\r\n" in first and first.endswith('\r\n\r\n{"q": 1}')
        await client.aclose()
        server.close()

    run(main())


def test_chunked_body_with_extensions_and_trailers_arriving_byte_by_byte() -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n \r\nA\r\nworld12345\r\n0\r\nX-Trailer: t\r\n\r\n"
    )

    async def main() -> None:
        server, port, _ = await serve(lambda c, n: [raw[i : i + 1] for i in range(len(raw))])
        client = HTTPClient()
        for _ in range(2):  # the connection is still in step after a chunked answer
            r = await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)
            assert r.body == b"hello world12345"
        assert server.conns[0] == 1  # type: ignore[attr-defined]
        await client.aclose()
        server.close()

    run(main())


def test_body_without_length_is_read_to_close_and_connection_close_is_honoured() -> None:
    async def main() -> None:
        answers = {
            0: [b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n", b'{"a"', b": 1}", b""],
            1: [ok(b"two", "Connection: close"), b""],
            2: [ok(b"three")],
        }
        server, port, _ = await serve(lambda c, n: answers[c])
        client = HTTPClient()
        url = f"http://127.0.0.1:{port}/"
        assert (await client.post(url, b"{}", {}, 5)).body == b'{"a": 1}'
        assert (await client.post(url, b"{}", {}, 5)).body == b"two"
        assert (await client.post(url, b"{}", {}, 5)).body == b"three"
        assert server.conns[0] == 3  # type: ignore[attr-defined]
        await client.aclose()
        server.close()

    run(main())


def test_a_kept_connection_the_server_dropped_is_replaced_without_an_error() -> None:
    async def main() -> None:
        # Every connection answers once and then closes without saying so (an idle timeout on the server).
        server, port, seen = await serve(lambda c, n: [ok(b"x")] if n == 0 else None)
        client = HTTPClient()
        url = f"http://127.0.0.1:{port}/"
        for _ in range(3):
            assert (await client.post(url, b"{}", {}, 5)).body == b"x"
            await asyncio.sleep(0.05)  # let the server's close arrive
        assert server.conns[0] == 3  # type: ignore[attr-defined]
        await client.aclose()
        server.close()

    run(main())


def test_an_answer_cut_short_is_an_error_not_a_resend() -> None:
    async def main() -> None:
        server, port, seen = await serve(
            lambda c, n: [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", b""]
        )
        client = HTTPClient()
        with pytest.raises(HTTPConnectionError, match="closed before the answer was complete"):
            await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)
        assert len(seen) == 1  # the server had started answering: sent once
        await client.aclose()
        server.close()

    run(main())


def test_deadline_raises_timeout_and_closes_the_late_connection() -> None:
    async def main() -> None:
        dropped = asyncio.get_running_loop().create_future()

        async def never_answers(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await r.readuntil(b"\r\n\r\n")
            await r.readexactly(2)
            # An answer coming after the deadline would be read as the next request's: the client must hang up.
            dropped.set_result(await asyncio.wait_for(r.read(), 5) == b"")
            w.close()

        server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = HTTPClient()
        with pytest.raises(TimeoutError):
            await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 0.2)
        assert await dropped is True
        assert not client._idle.get(("http", "127.0.0.1", port))
        await client.aclose()
        server.close()

    run(main())


def test_refused_connection_and_non_http_answers_are_connection_errors() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]  # closed again: nothing listens there

    async def main() -> None:
        client = HTTPClient()
        with pytest.raises(HTTPConnectionError, match="cannot connect"):
            await client.post(f"http://127.0.0.1:{free}/", b"{}", {}, 5)
        server, port, _ = await serve(lambda c, n: [b"SSH-2.0-OpenSSH\r\n\r\n"])
        with pytest.raises(HTTPConnectionError, match="not an HTTP/1.x status line"):
            await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, 5)
        with pytest.raises(HTTPConnectionError, match="not an http"):
            await client.post("ftp://127.0.0.1/", b"{}", {}, 5)
        await client.aclose()
        server.close()

    run(main())


def test_parser_skips_interim_answers_and_rejects_bad_framing() -> None:
    p = _Parser()
    p.feed(
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\nno"
    )
    assert (p.done, p.status, p.headers["retry-after"], bytes(p.body)) == (True, 429, "3", b"no")  # type: ignore[index]
    with pytest.raises(HTTPConnectionError, match="bad Content-Length"):
        _Parser().feed(b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n")
    with pytest.raises(HTTPConnectionError, match="bad chunk size"):
        _Parser().feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    empty = _Parser()
    empty.feed(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert empty.done and empty.body == b""


def test_https_verifies_the_server_certificate(tmp_path) -> None:  # noqa: ANN001
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)

    async def main() -> None:
        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            try:
                await r.readuntil(b"\r\n\r\n")
                await r.readexactly(2)
                w.write(ok(b"secure"))
                await w.drain()
            except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
                pass
            w.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        url = f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
        client = HTTPClient()
        with pytest.raises(HTTPConnectionError, match="certificate"):
            await client.post(url, b"{}", {}, 5)  # self-signed: not in the system's CA store
        trusting = HTTPClient()
        trusting._ssl = ssl.create_default_context(cafile=str(cert))
        assert (await trusting.post(url, b"{}", {}, 5)).body == b"secure"
        await trusting.aclose()
        server.close()

    run(main())
