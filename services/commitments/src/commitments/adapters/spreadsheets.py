"""Uploaded tables (CSV or XLSX) read into rows of cells, numbered as a spreadsheet shows them.

The header is row 1, so the first data row is row 2: the numbers people see in Excel, which
error messages quote back to them. Blank rows are skipped (but keep their numbers).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from svledger.errors import ValidationFailed

Cell = str | int | Decimal | bool | date | None


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its spreadsheet number and its cells by (lower-cased) header."""

    number: int
    cells: dict[str, Cell]


def read_table(filename: str, content: bytes) -> list[Row]:
    """Rows of a CSV (UTF-8, comma or tab separated) or an XLSX workbook's first sheet."""
    if content[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return _xlsx(content)
    return _csv(content)


def _csv(content: bytes) -> list[Row]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the file is not UTF-8 text, CSV or XLSX", field="file") from exc
    lines = text.splitlines()
    if not lines:
        raise ValidationFailed("the file is empty", field="file")
    delimiter = "\t" if lines[0].count("\t") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    rows = []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rows.append(Row(number, _cells(header, [v.strip() or None for v in values])))
    return rows


def _xlsx(content: bytes) -> list[Row]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed("the file is not a readable XLSX workbook", field="file") from exc
    try:
        sheet = workbook.worksheets[0]
        values = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    if not values:
        raise ValidationFailed("the workbook's first sheet is empty", field="file")
    header = [str(h).strip().lower() if h is not None else "" for h in values[0]]
    rows = []
    for number, raw in enumerate(values[1:], start=2):
        cells = [_xlsx_cell(v) for v in raw]
        if all(c is None for c in cells):
            continue
        rows.append(Row(number, _cells(header, cells)))
    return rows


def _xlsx_cell(value: Any) -> Cell:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        # A spreadsheet number is a binary float; its shortest repr is the figure people typed.
        return Decimal(repr(value))
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return str(value).strip()


def _cells(header: list[str], values: list[Any]) -> dict[str, Cell]:
    return {name: value for name, value in zip(header, values, strict=False) if name}
