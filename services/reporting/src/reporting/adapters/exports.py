"""Reports as CSV and XLSX files, safe to open in a spreadsheet.

Text in a report comes from people (titles, narratives, organisation names) and may start
with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return), which a spreadsheet would run
as a formula. Such text is neutralised:

- in CSV, by a leading apostrophe (the OWASP advice), since CSV has no cell types;
- in XLSX, by writing it as a text cell marked ``quotePrefix`` - Excel's own "this is text,
  not a formula" - so the cell shows the text exactly as it was given.

Figures are never text that could be a formula: they are exact decimals, written digit for
digit (in XLSX as numeric cells whose stored digits are exact, not passed through a float).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from svledger.quantities import figure

from reporting.domain.report import Cell, Column, Kind, Tabular

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def could_be_formula(text: str) -> bool:
    """Whether a spreadsheet might read ``text`` as a formula."""
    return text.startswith(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Text a spreadsheet will show, never run (CSV)."""
    return "'" + text if could_be_formula(text) else text


def _plain(column: Column, value: Cell) -> str:
    if type(value) is str:  # most cells: first
        text = value
    elif value is None:
        return ""
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, Decimal):
        return figure(value)
    elif isinstance(value, datetime | date):
        return value.isoformat()
    else:
        text = str(value)
    return neutralise(text) if column.kind is Kind.TEXT else text


def csv_pieces(report: Tabular, piece_size: int = 64 * 1024) -> Iterator[bytes]:
    """The report as UTF-8 CSV, in pieces of about ``piece_size`` bytes, each made when the
    last has been taken: a download holds one piece of its file, however long the report.

    The first piece is the byte-order mark, so Excel reads the file as UTF-8."""
    yield codecs.BOM_UTF8
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(c.heading) for c in report.columns])
    for row in report.rows:
        writer.writerow([_plain(c, row.get(c.key)) for c in report.columns])
        if text.tell() >= piece_size:
            yield _taken(text)
    yield _taken(text)


def _taken(text: io.StringIO) -> bytes:
    piece = text.getvalue().encode()
    text.seek(0)
    text.truncate()
    return piece


def to_xlsx(report: Tabular) -> bytes:
    """The report as an XLSX workbook: the table, and an About sheet with its freshness.

    Written a row at a time (openpyxl's write-only mode): a workbook that holds every cell
    until it is saved took 140 MB more for a national buyer's 30,000 alerts."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_name(report.title))
    sheet.freeze_panes = "A2"  # before the first row: the sheet's head is written with it
    bold = Font(bold=True)
    headings = []
    for column in report.columns:
        heading = _text(sheet, column.heading)
        heading.font = bold
        headings.append(heading)
    sheet.append(headings)
    for row in report.rows:
        sheet.append([_value(sheet, column, row.get(column.key)) for column in report.columns])
    about = workbook.create_sheet("About")
    lines: Sequence[str] = [
        report.title,
        f"As of {report.freshness.as_of.isoformat()}",
        *report.freshness.lines(),
        *report.notes,
    ]
    for line in lines:
        about.append([_text(about, line)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _value(sheet: WriteOnlyWorksheet, column: Column, value: Cell) -> object:
    if value is None:
        return None
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, figure(value))
        # A numeric cell holding the exact digits; openpyxl would format a Decimal with
        # "%.16g", that is through a float.
        cell.data_type = "n"
        return cell
    if isinstance(value, bool | int | datetime | date) and column.kind is not Kind.TEXT:
        return value  # a date gets openpyxl's own yyyy-mm-dd
    text = str(value)
    if could_be_formula(text) or text.startswith("#"):
        return _text(sheet, text)
    # openpyxl takes any other text as text (only "=..." is a formula, "#..." an error code):
    # no cell of our own, which for most of an export's cells cost more than writing them
    return text


def _text(sheet: WriteOnlyWorksheet, text: str) -> SheetCell:
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if could_be_formula(text):
        cell.quotePrefix = True
    return cell


def _sheet_name(title: str) -> str:
    return title.translate(_SHEET_NAME_FORBIDDEN).strip()[:31] or "Report"
