"""Reading an uploaded CSV or XLSX sheet into a header and numbered rows of text cells.

XLSX numbers arrive from openpyxl as floats; they are written back as their shortest decimal
text (``2.5``, ``0.1``) before anything reads them as a quantity, so no float reaches a figure.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from svledger.errors import ValidationFailed

from measurement.domain.uploads import MAX_ROWS, UploadRow

Sheet = tuple[list[str], list[UploadRow]]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read_sheet(filename: str, content_type: str | None, data: bytes) -> Sheet:
    """The header and rows of a CSV or XLSX file, told apart by name, type or content."""
    is_xlsx = (
        filename.lower().endswith(".xlsx")
        or content_type == XLSX_TYPE
        or data.startswith(b"PK\x03\x04")
    )
    return _xlsx(data) if is_xlsx else _csv(data)


def _csv(data: bytes) -> Sheet:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the CSV file is not UTF-8 text", field="file") from exc
    return _table(csv.reader(io.StringIO(text)))


def _xlsx(data: bytes) -> Sheet:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed("the file is not a readable XLSX workbook", field="file") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = ([_cell(v) for v in row] for row in sheet.iter_rows(values_only=True))
        return _table(rows)
    finally:
        workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _table(rows: Iterable[Sequence[str]]) -> Sheet:
    header: list[str] | None = None
    found: list[UploadRow] = []
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if header is None:
            header = [c.lower().replace(" ", "_") for c in cells]
            continue
        if not any(cells):
            continue
        found.append(UploadRow(number, {k: v for k, v in zip(header, cells, strict=False) if k}))
        if len(found) > MAX_ROWS:
            break
    if header is None:
        raise ValidationFailed("the file is empty; it needs a header row", field="file")
    return [h for h in header if h], found
