"""One report, three forms: JSON (the default), CSV or XLSX (``?format=csv|xlsx``).

Files are attachments named after the report; their freshness travels in ``Reflects-Events``
and ``Report-As-Of`` headers (and, in XLSX, on an About sheet). OCDS packages are JSON with
exact numbers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, TypeVar

import anyio
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from reporting.adapters.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from reporting.adapters.ocds import Package
from reporting.api.dependencies import Export
from reporting.application.reports import Reported
from reporting.domain.report import Tabular

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

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
# Files written at once; the rest wait their turn. Each holds its whole file in memory, and a
# national buyer's alert list as XLSX is tens of megabytes while it is written.
_WRITERS = anyio.CapacityLimiter(2)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def respond(
    export: Export,
    report: Reported[T],
    as_json: Callable[[Reported[T]], M],
    as_table: Callable[[Reported[T]], Tabular],
) -> M | Response:
    """The report in the form asked for.

    A file is written in a worker thread, two at a time: a national buyer's alert list
    takes seconds to write as XLSX, and written on the event loop it held up every other
    request (and the consumers) until it was done."""
    if export is Export.JSON:
        return as_json(report)
    return await write_file(export, report, as_table)


async def write_file(
    export: Export, report: Reported[T], as_table: Callable[[Reported[T]], Tabular]
) -> Response:
    """The report as a CSV or XLSX file, written in a worker thread (see :func:`respond`)."""
    return await anyio.to_thread.run_sync(_file, export, report, as_table, limiter=_WRITERS)


def as_it_is_read(chunks: AsyncIterator[Sequence[T]]) -> Iterator[T]:
    """The items of chunks still being read, for a file :func:`write_file` writes: each
    chunk is read on the event loop when the worker thread's writer comes to it."""
    while (chunk := anyio.from_thread.run(_next, chunks)) is not None:
        yield from chunk


async def _next(chunks: AsyncIterator[Sequence[T]]) -> Sequence[T] | None:
    return await anext(chunks, None)


def _file(
    export: Export, report: Reported[T], as_table: Callable[[Reported[T]], Tabular]
) -> Response:
    table = as_table(report)
    headers = {
        "Content-Disposition": f'attachment; filename="{file_name(table.name)}.{export.value}"',
        "Report-As-Of": table.freshness.as_of.isoformat(),
        "Reflects-Events": ", ".join(
            f"{m.consumer}={m.stream}:{m.position}@{m.recorded_at.isoformat()}"
            for m in table.freshness.marks
        ),
    }
    if export is Export.CSV:
        return Response(to_csv(table), media_type=CSV_MEDIA_TYPE, headers=headers)
    return Response(to_xlsx(table), media_type=XLSX_MEDIA_TYPE, headers=headers)


def file_name(stem: str) -> str:
    """A file name safe in a header, whatever the report's name holds (references are text)."""
    return _UNSAFE.sub("-", stem).strip("-")[:100] or "report"


def ocds_response(package: Package) -> StreamingResponse:
    """An OCDS release package, its amounts exact JSON numbers, sent a release at a time."""

    async def pieces() -> AsyncIterator[bytes]:
        async for piece in package.pieces():
            yield piece.encode()
            # Sending a piece returns at once while the socket takes it, so without a turn
            # here the whole package (seconds for a national buyer) was made before any other
            # request was answered.
            await asyncio.sleep(0)

    return StreamingResponse(pieces(), media_type=OCDS_MEDIA_TYPE)
