"""A lean HTTP/1.1 client for the load the benchmark offers: the returns it posts, and the
progress it polls to see them reach reporting.

httpx spent about 2 ms of CPU on each return the benchmark posted (building the request,
its connection pool, h11's parsing): on two cores shared with the services, the load
generator took CPU that the system it measures would otherwise have had. This client writes
each request as bytes on a kept-alive connection and reads the answer by its
``Content-Length`` (or its chunks), and does nothing else. The services see the same
requests: method, path, token and JSON body.
"""

from __future__ import annotations

import asyncio
import json
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

# What a request can fail with, for the benchmark to count by name as an error.
LOAD_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError)
# How long a connection may stay idle and still be used: under uvicorn's keep-alive timeout
# (5 s by default), after which it closes the connection.
_KEEP_ALIVE_S = 4.0


class LoadClient:
    """Requests to one service as one organisation, on up to ``connections`` at once."""

    def __init__(
        self, base_url: str, token: str, *, connections: int = 4, timeout_s: float = 30
    ) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"LoadClient speaks plain HTTP to a host, not {base_url!r}")
        self._host, self._port = url.hostname, url.port or 80
        self._headers = f"Host: {url.netloc}\r\nAuthorization: Bearer {token}\r\n".encode()
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)
        self._timeout_s = timeout_s

    async def post_json(self, path: str, body: Any) -> tuple[int, bytes]:
        """POST ``body`` as JSON to ``path``: the status and the body of the answer."""
        payload = json.dumps(body, separators=(",", ":")).encode()
        return await self._exchange(
            b"POST %s HTTP/1.1\r\n%sContent-Type: application/json\r\nContent-Length: %d"
            b"\r\n\r\n%s" % (path.encode(), self._headers, len(payload), payload)
        )

    async def get(self, path: str) -> tuple[int, bytes]:
        """GET ``path``: the status and the body of the answer."""
        return await self._exchange(b"GET %s HTTP/1.1\r\n%s\r\n" % (path.encode(), self._headers))

    async def _exchange(self, request: bytes) -> tuple[int, bytes]:
        async with self._slots:
            connection = self._kept()
            if connection is None:
                connection = await _Connection.open(self._host, self._port)
            try:
                async with asyncio.timeout(self._timeout_s):
                    status, answer, keep = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            if keep:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return status, answer

    def _kept(self) -> _Connection | None:
        """An idle connection the service has not closed, nor is about to: it closes those
        idle for its keep-alive timeout, and a request sent as it does so would be lost."""
        while self._idle:
            connection = self._idle.pop()
            fresh = time.monotonic() - connection.idle_since < _KEEP_ALIVE_S
            if fresh and not connection.reader.at_eof():
                return connection
            connection.close()
        return None

    async def aclose(self) -> None:
        """Close the idle connections (those in use close as their requests end)."""
        while self._idle:
            self._idle.pop().close()

    async def __aenter__(self) -> LoadClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class _Connection:
    """One kept-alive connection, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.idle_since = 0.0

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send ``request``; the answer's status, its body, and whether the connection may be
        used again."""
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip().lower()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = await self._chunks()
        else:  # the body runs to the end of the connection
            body = await self.reader.read()
            return status, body, False
        return status, body, headers.get("connection") != "close"

    async def _chunks(self) -> bytes:
        pieces: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self._trailer()
                return b"".join(pieces)
            pieces.append((await self.reader.readexactly(size + 2))[:-2])

    async def _trailer(self) -> None:
        while await self.reader.readuntil(b"\r\n") != b"\r\n":
            pass

    def close(self) -> None:
        self.writer.close()
