"""The benchmark's load client, against uvicorn on loopback: the requests the services see,
the answers it reads back, and the connections it keeps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bench.load import LOAD_ERRORS, LoadClient
from tests.harness import free_port, request_body, served_on_loopback


@dataclass
class Recorder:
    """An ASGI app that records each request and answers as its path asks: ``/chunked``
    streams its answer in pieces, ``/close`` asks for the connection to be closed."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        received = await request_body(receive)
        body = json.loads(received) if received else None
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.seen.append(
            {
                "method": scope["method"],
                "path": scope["path"],
                "headers": headers,
                "body": body,
                "port": scope["client"][1],
            }
        )
        answer = json.dumps({"echo": body}).encode()
        if scope["path"] == "/chunked":
            await send({"type": "http.response.start", "status": 202, "headers": []})
            for i in range(0, len(answer), 5):
                await send(
                    {"type": "http.response.body", "body": answer[i : i + 5], "more_body": True}
                )
            await send({"type": "http.response.body", "body": b""})
            return
        extra = [(b"connection", b"close")] if scope["path"] == "/close" else []
        length = [(b"content-length", str(len(answer)).encode())]
        await send({"type": "http.response.start", "status": 201, "headers": length + extra})
        await send({"type": "http.response.body", "body": answer})


@pytest.fixture
async def served() -> AsyncIterator[tuple[Recorder, str]]:
    app = Recorder()
    async with served_on_loopback(app) as port:
        yield app, f"http://127.0.0.1:{port}"


async def test_a_post_reaches_the_service_as_json_with_the_token_and_its_answer_is_read(
    served: tuple[Recorder, str],
) -> None:
    app, url = served
    async with LoadClient(url, "tok-1") as client:
        status, answer = await client.post_json("/contracts/c-1/returns", {"period": "2026-27-Q1"})

    assert (status, json.loads(answer)) == (201, {"echo": {"period": "2026-27-Q1"}})
    [request] = app.seen
    assert (request["method"], request["path"]) == ("POST", "/contracts/c-1/returns")
    assert request["headers"]["authorization"] == "Bearer tok-1"
    assert request["headers"]["content-type"] == "application/json"
    assert request["body"] == {"period": "2026-27-Q1"}


async def test_one_connection_serves_request_after_request_until_the_service_closes_it(
    served: tuple[Recorder, str],
) -> None:
    app, url = served
    async with LoadClient(url, "tok", connections=1) as client:
        for i in range(3):
            assert (await client.post_json("/a", {"i": i}))[0] == 201
        assert (await client.post_json("/close", {"i": 3}))[0] == 201
        assert (await client.post_json("/a", {"i": 4}))[0] == 201

    ports = [r["port"] for r in app.seen]
    assert [r["body"]["i"] for r in app.seen] == [0, 1, 2, 3, 4]
    assert len(set(ports[:4])) == 1  # kept alive
    assert ports[4] != ports[3]  # closed when asked, opened again


async def test_a_connection_idle_for_the_services_keep_alive_is_not_used_again(
    served: tuple[Recorder, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The service closes it then: a request sent on it as it does would be lost.
    app, url = served
    async with LoadClient(url, "tok", connections=1) as client:
        assert (await client.post_json("/a", {"i": 0}))[0] == 201
        monkeypatch.setattr("bench.load._KEEP_ALIVE_S", 0.0)
        assert (await client.post_json("/a", {"i": 1}))[0] == 201

    assert app.seen[0]["port"] != app.seen[1]["port"]


async def test_a_chunked_answer_is_read_whole(served: tuple[Recorder, str]) -> None:
    _, url = served
    async with LoadClient(url, "tok") as client:
        status, answer = await client.post_json("/chunked", {"long": "x" * 40})
        again = await client.post_json("/a", {"after": True})

    assert (status, json.loads(answer)) == (202, {"echo": {"long": "x" * 40}})
    assert again == (201, b'{"echo": {"after": true}}')


async def test_a_service_that_is_not_there_is_an_error_the_benchmark_counts() -> None:
    async with LoadClient(f"http://127.0.0.1:{free_port()}", "tok") as client:
        with pytest.raises(LOAD_ERRORS):
            await client.post_json("/a", {})


async def test_a_get_sends_no_body_and_reads_the_answer(served: tuple[Recorder, str]) -> None:
    app, url = served
    async with LoadClient(url, "tok-2") as client:
        status, answer = await client.get("/contracts/c-1/progress")

    assert (status, json.loads(answer)) == (201, {"echo": None})
    [request] = app.seen
    assert (request["method"], request["path"], request["body"]) == (
        "GET",
        "/contracts/c-1/progress",
        None,
    )
    assert request["headers"]["authorization"] == "Bearer tok-2"
    assert "content-type" not in request["headers"]


def test_only_plain_http_to_a_host_is_spoken() -> None:
    with pytest.raises(ValueError, match="plain HTTP"):
        LoadClient("https://example.org", "tok")
