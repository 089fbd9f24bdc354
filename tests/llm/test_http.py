"""The lean HTTP client of the direct transport, against a raw server that sends what real servers send."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from toolsynth.llm.http import HTTPError, LeanHTTP

BODY = json.dumps({"choices": [{"message": {"role": "assistant", "content": "hi"}}]}).encode()


async def _serve(reply, *, close_after: int | None = None):
    """A raw server whose `reply(n)` returns the bytes to send for request number n (or None: stay silent)."""
    count = {"requests": 0, "connections": 0}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        count["connections"] += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                await reader.readexactly(length)
                count["requests"] += 1
                data = reply(count["requests"])
                if data is None:
                    await asyncio.sleep(10)
                    return
                writer.write(data)
                await writer.drain()
                served += 1
                if close_after is not None and served >= close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/chat/completions", count


def _run(coro):
    return asyncio.run(coro)


def content_length(status: int = 200, body: bytes = BODY, extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
        + body
    )


def test_keep_alive_reuses_one_connection() -> None:
    async def main():
        server, url, count = await _serve(lambda n: content_length())
        client = LeanHTTP()
        for _ in range(5):
            status, headers, body = await client.post(url, b"{}", {"Content-Type": "application/json"}, 5)
            assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "hi"
        await client.aclose()
        server.close()
        return count

    count = _run(main())
    assert count == {"requests": 5, "connections": 1}


def test_chunked_body_then_connection_close() -> None:
    half = len(BODY) // 2
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{half:x}\r\n".encode()
        + BODY[:half]
        + b"\r\n"
        + f"{len(BODY) - half:x};ext=1\r\n".encode()
        + BODY[half:]
        + b"\r\n0\r\n\r\n"
    )
    replies = {
        1: chunked,
        2: content_length(extra="Connection: close\r\n"),
        3: content_length(),
    }

    async def main():
        server, url, count = await _serve(lambda n: replies[n], close_after=None)
        client = LeanHTTP()
        bodies = [(await client.post(url, b"{}", {}, 5))[2] for _ in range(3)]
        await client.aclose()
        server.close()
        return bodies, count

    bodies, count = _run(main())
    assert bodies == [BODY, BODY, BODY]
    # the chunked response kept the connection alive; "Connection: close" ended it; the third opened another
    assert count["connections"] == 2


def test_read_to_eof_when_no_length_is_given() -> None:
    async def main():
        server, url, _ = await _serve(
            lambda n: b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + BODY, close_after=1
        )
        client = LeanHTTP()
        res = await client.post(url, b"{}", {}, 5)
        await client.aclose()
        server.close()
        return res

    status, _, body = _run(main())
    assert status == 200 and body == BODY


def test_server_closing_an_idle_connection_is_retried_once_transparently() -> None:
    async def main():
        server, url, count = await _serve(lambda n: content_length(), close_after=1)
        client = LeanHTTP()
        await client.post(url, b"{}", {}, 5)
        await asyncio.sleep(0.05)  # the server has closed the kept-alive connection by now
        status, _, _ = await client.post(url, b"{}", {}, 5)
        await client.aclose()
        server.close()
        return status, count

    status, count = _run(main())
    assert status == 200 and count["connections"] == 2


def test_timeout_and_refused_connection() -> None:
    async def main():
        server, url, _ = await _serve(lambda n: None)
        client = LeanHTTP()
        with pytest.raises(TimeoutError):
            await client.post(url, b"{}", {}, 0.2)
        server.close()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
        sock.close()  # nothing listens there now
        with pytest.raises(HTTPError, match="cannot connect"):
            await client.post(f"http://127.0.0.1:{free}/v1/chat/completions", b"{}", {}, 2)
        await client.aclose()

    _run(main())


def test_error_status_bodies_are_returned() -> None:
    async def main():
        err = json.dumps({"error": {"message": "model not found"}}).encode()
        server, url, _ = await _serve(lambda n: content_length(404, err))
        client = LeanHTTP()
        res = await client.post(url, b"{}", {}, 5)
        await client.aclose()
        server.close()
        return res

    status, headers, body = _run(main())
    assert status == 404 and json.loads(body)["error"]["message"] == "model not found"
    assert headers["content-type"] == "application/json"
