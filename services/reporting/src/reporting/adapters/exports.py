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

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
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


def to_csv(report: Tabular) -> bytes:
    """The report as UTF-8 CSV (with a byte-order mark, so Excel reads it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.heading) for c in report.columns])
    for row in report.rows:
        writer.writerow([_plain(c, row.get(c.key)) for c in report.columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Tabular) -> bytes:
    """The report as an XLSX workbook: the table, and an About sheet with its freshness."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _sheet_name(report.title)
    bold = Font(bold=True)
    for col, column in enumerate(report.columns, start=1):
        _write_text(sheet, 1, col, column.heading).font = bold
    for r, row in enumerate(report.rows, start=2):
        for col, column in enumerate(report.columns, start=1):
            _write(sheet, r, col, column, row.get(column.key))
    sheet.freeze_panes = "A2"
    about = workbook.create_sheet("About")
    lines: Sequence[str] = [
        report.title,
        f"As of {report.freshness.as_of.isoformat()}",
        *report.freshness.lines(),
        *report.notes,
    ]
    for r, line in enumerate(lines, start=1):
        _write_text(about, r, 1, line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write(sheet: Worksheet, row: int, col: int, column: Column, value: Cell) -> None:
    if value is None:
        return
    if isinstance(value, Decimal):
        cell = sheet.cell(row=row, column=col, value=figure(value))
        # A numeric cell holding the exact digits; openpyxl would format a Decimal with
        # "%.16g", that is through a float.
        cell.data_type = "n"
    elif isinstance(value, bool | int | datetime | date) and column.kind is not Kind.TEXT:
        cell = sheet.cell(row=row, column=col, value=value)
        if isinstance(value, date) and not isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd"
    else:
        _write_text(sheet, row, col, str(value))


def _write_text(sheet: Worksheet, row: int, col: int, text: str) -> SheetCell | MergedCell:
    cell = sheet.cell(row=row, column=col)
    cell.value = text
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if could_be_formula(text):
        cell.quotePrefix = True
    return cell


def _sheet_name(title: str) -> str:
    return title.translate(_SHEET_NAME_FORBIDDEN).strip()[:31] or "Report"
