"""One report, three forms: JSON (the default), CSV or XLSX (``?format=csv|xlsx``).

Files are attachments named after the report; their freshness travels in ``Reflects-Events``
and ``Report-As-Of`` headers (and, in XLSX, on an About sheet). OCDS packages are JSON with
exact numbers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from typing import Any, TypeVar

import anyio
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool

from reporting.adapters.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_pieces, xlsx_pieces
from reporting.adapters.ocds import Package
from reporting.api.dependencies import Export
from reporting.application.reports import Reported
from reporting.domain.report import Tabular

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel | Response)  # a body, or one written already

# What a route documents besides its JSON body.
EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
        },
        "description": "the report, as JSON or (with ?format=) a CSV or XLSX file",
    }
}
OCDS_MEDIA_TYPE = "application/json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# How each form of file is written, a piece at a time, and its media type.
_FILES: dict[Export, tuple[Callable[[Tabular], Iterator[bytes]], str]] = {
    Export.CSV: (csv_pieces, CSV_MEDIA_TYPE),
    Export.XLSX: (xlsx_pieces, XLSX_MEDIA_TYPE),
}


async def respond(
    export: Export,
    report: Reported[T],
    as_json: Callable[[Reported[T]], M],
    as_table: Callable[[Reported[T]], Tabular],
) -> M | Response:
    """The report in the form asked for (a file: see :func:`write_file`)."""
    if export is Export.JSON:
        return as_json(report)
    return await write_file(export, nullcontext(report), as_table)


async def write_file(
    export: Export,
    opened: AbstractAsyncContextManager[Reported[T]],
    as_table: Callable[[Reported[T]], Tabular],
) -> Response:
    """The report ``opened`` gives, as a CSV or XLSX file sent a piece at a time as it is
    written, so that a download holds one piece of its file however long the report;
    ``opened`` is closed once the file is sent, or given up part way.

    The pieces are written in worker threads: written on the event loop, a national buyer's
    alert list held up every other request (and the consumers) until it was done."""
    async with AsyncExitStack() as stack:
        report = await stack.enter_async_context(opened)
        table = await anyio.to_thread.run_sync(as_table, report)
        close = stack.pop_all().aclose  # from here the response closes it
    pieces, media_type = _FILES[export]
    return StreamingResponse(
        _sent_then_closed(pieces(table), close),
        media_type=media_type,
        headers=_headers(table, export),
        background=BackgroundTask(close),  # should the body never start (closing twice is once)
    )


@asynccontextmanager
async def as_it_is_read(
    opened: AbstractAsyncContextManager[Reported[AsyncIterator[list[T]]]],
) -> AsyncIterator[Reported[Iterable[T]]]:
    """A report whose items are read in chunks, for :func:`write_file`: each chunk is read
    on the event loop when the worker thread's writer comes to it."""
    async with opened as report:
        yield Reported(_items(report.content), report.freshness, report.as_of)


def _items(chunks: AsyncIterator[list[T]]) -> Iterator[T]:
    while (chunk := anyio.from_thread.run(_next, chunks)) is not None:
        yield from chunk


async def _next(chunks: AsyncIterator[list[T]]) -> list[T] | None:
    return await anext(chunks, None)


async def _sent_then_closed(
    pieces: Iterator[bytes], close: Callable[[], Awaitable[object]]
) -> AsyncIterator[bytes]:
    try:
        async for piece in iterate_in_threadpool(pieces):
            yield piece
    finally:
        with anyio.CancelScope(shield=True):  # a client gone away still gives it back
            await close()


def _headers(table: Tabular, export: Export) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="{file_name(table.name)}.{export.value}"',
        "Report-As-Of": table.freshness.as_of.isoformat(),
        "Reflects-Events": ", ".join(
            f"{m.consumer}={m.stream}:{m.position}@{m.recorded_at.isoformat()}"
            for m in table.freshness.marks
        ),
    }


def file_name(stem: str) -> str:
    """A file name safe in a header, whatever the report's name holds (references are text)."""
    return _UNSAFE.sub("-", stem).strip("-")[:100] or "report"


def ocds_response(package: Package) -> StreamingResponse:
    """An OCDS release package, its amounts exact JSON numbers, sent a release at a time."""

    async def pieces() -> AsyncIterator[bytes]:
        async for piece in package.pieces():
            yield piece
            # Sending a piece returns at once while the socket takes it, so without a turn
            # here the whole package (seconds for a national buyer) was made before any other
            # request was answered.
            await asyncio.sleep(0)

    return StreamingResponse(pieces(), media_type=OCDS_MEDIA_TYPE)
