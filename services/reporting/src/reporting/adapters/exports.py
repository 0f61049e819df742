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
import re
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

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


def xlsx_pieces(report: Tabular, piece_size: int = 64 * 1024) -> Iterator[bytes]:
    """The report as an XLSX workbook (the table, and an About sheet with its freshness), in
    pieces of about ``piece_size`` bytes, each made when the last has been taken.

    The workbook is a zip of SpreadsheetML parts written here, the table's part a row at a
    time into a zip that is never sought back into (each part's sizes follow it, as zip
    allows), so a download holds one piece of its file however long the report. Text is
    written in its cell (inline), numbers as their exact digits, days as day numbers shown
    ``yyyy-mm-dd``; the heading row is bold and stays in view."""
    sink = _Sink()
    name = _sheet_name(report.title)
    about = "About" if name.casefold() != "about" else "About this report"
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part, xml in _workbook_parts(name, about):
            archive.writestr(part, xml)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD.format(view=_FROZEN_HEADING).encode())
            places = [(_column_letters(i), c) for i, c in enumerate(report.columns)]
            sheet.write(_row(1, [_text(f"{x}1", c.heading, heading=True) for x, c in places]))
            for n, row in enumerate(report.rows, start=2):
                sheet.write(_row(n, [_cell(f"{x}{n}", c, row.get(c.key)) for x, c in places]))
                if sink.size >= piece_size:
                    yield sink.taken()
            sheet.write(_SHEET_TAIL)
        lines: Sequence[str] = [
            report.title,
            f"As of {report.freshness.as_of.isoformat()}",
            *report.freshness.lines(),
            *report.notes,
        ]
        with archive.open("xl/worksheets/sheet2.xml", "w") as sheet:
            sheet.write(_SHEET_HEAD.format(view="").encode())
            for n, line in enumerate(lines, start=1):
                sheet.write(_row(n, [_text(f"A{n}", line)]))
            sheet.write(_SHEET_TAIL)
    yield sink.taken()


class _Sink:
    """Where the zip is written: bytes kept until taken. It has no ``tell`` or ``seek``, so
    :mod:`zipfile` writes straight through, each part's sizes after its data."""

    def __init__(self) -> None:
        self._pieces: list[bytes] = []
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._pieces.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def taken(self) -> bytes:
        piece = b"".join(self._pieces)
        self._pieces.clear()
        self.size = 0
        return piece


# Cell styles, by their place in styles.xml's cellXfs.
_PLAIN, _HEADING, _QUOTED, _QUOTED_HEADING, _DAY = range(5)
_EXCEL_DAY_ZERO = date(1899, 12, 30)  # day 1 is 1900-01-01 (Excel counts a 29 Feb 1900)
# Characters XML 1.0 cannot hold (or, for a carriage return, would not keep as it is),
# written as Excel writes them (_x000D_), and an underscore that would read as one of those,
# kept as itself (_x005F_).
_CANNOT_HOLD = r"\x00-\x08\x0b-\x1f\ufffe\uffff"
_NOT_XML = re.compile(f"[{_CANNOT_HOLD}]|_(?=x[0-9A-Fa-f]{{4}}_)")
# Anything in a text that is not written as it is: most texts have nothing, and one search
# tells.
_TO_ESCAPE = re.compile(f'[&<>"{_CANNOT_HOLD}]|_x[0-9A-Fa-f]{{4}}_')


def _cell(ref: str, column: Column, value: Cell) -> str:
    if type(value) is str:  # most cells: first
        return _text(ref, value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f'<c r="{ref}"><v>{figure(value)}</v></c>'
    if column.kind is not Kind.TEXT and (typed := _typed(ref, value)):
        return typed
    # Everything else is text, a datetime too (as written, its zone and all).
    return _text(ref, value.isoformat() if isinstance(value, datetime) else str(value))


def _typed(ref: str, value: Cell) -> str:
    """A yes/no, whole number or day as Excel's own; empty for anything else."""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if type(value) is date:
        return f'<c r="{ref}" s="{_DAY}"><v>{(value - _EXCEL_DAY_ZERO).days}</v></c>'
    return ""


def _text(ref: str, text: str, *, heading: bool = False) -> str:
    """A text cell, never a formula; marked quotePrefix (Excel's "this is text") when it
    starts like one, so that editing the cell keeps it text."""
    if could_be_formula(text):
        styled = f' s="{_QUOTED_HEADING if heading else _QUOTED}"'
    else:
        styled = f' s="{_HEADING}"' if heading else ""
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{_xml(text)}</t></is></c>'


def _xml(text: str) -> str:
    if not _TO_ESCAPE.search(text):
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace('"', "&quot;")  # for a sheet's name, in an attribute
    return _NOT_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _row(n: int, cells: Sequence[str]) -> bytes:
    return f'<row r="{n}">{"".join(cells)}</row>'.encode()


def _column_letters(index: int) -> str:
    """A, B, ... Z, AA, AB, ... for the 0-based ``index``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_SHEET_HEAD = (
    f'{_DECLARATION}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
    '<sheetViews><sheetView workbookViewId="0">{view}</sheetView></sheetViews><sheetData>'
)
_FROZEN_HEADING = '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
_SHEET_TAIL = b"</sheetData></worksheet>"
_SPREADSHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _workbook_parts(table: str, about: str) -> list[tuple[str, str]]:
    """Every part but the sheets' own: what the zip holds and how its parts relate, the
    workbook naming its two sheets, and the cell styles."""
    relationship = f"{_RELATIONSHIPS}/"
    return [
        (
            "[Content_Types].xml",
            f'{_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{_SPREADSHEETML}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{_SPREADSHEETML}.worksheet+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet2.xml" '
            f'ContentType="{_SPREADSHEETML}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{_SPREADSHEETML}.styles+xml"/>'
            "</Types>",
        ),
        (
            "_rels/.rels",
            f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{relationship}officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            f'{_DECLARATION}<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
            "<bookViews><workbookView/></bookViews><sheets>"
            f'<sheet name="{_xml(table)}" sheetId="1" r:id="rId1"/>'
            f'<sheet name="{_xml(about)}" sheetId="2" r:id="rId2"/></sheets></workbook>',
        ),
        (
            "xl/_rels/workbook.xml.rels",
            f'{_DECLARATION}<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
            f'<Relationship Id="rId1" Type="{relationship}worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relationship}worksheet" '
            'Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{relationship}styles" Target="styles.xml"/>'
            "</Relationships>",
        ),
        ("xl/styles.xml", _STYLES),
    ]


_FONT = '<sz val="11"/><name val="Calibri"/><family val="2"/>'
_XF = 'fontId="{font}" fillId="0" borderId="0" xfId="0"'
_STYLES = (
    f'{_DECLARATION}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    f'<fonts count="2"><font>{_FONT}</font><font><b/>{_FONT}</font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5">'  # in the order of _PLAIN, _HEADING, _QUOTED, _QUOTED_HEADING, _DAY
    f'<xf numFmtId="0" {_XF.format(font=0)}/>'
    f'<xf numFmtId="0" {_XF.format(font=1)} applyFont="1"/>'
    f'<xf numFmtId="0" {_XF.format(font=0)} quotePrefix="1"/>'
    f'<xf numFmtId="0" {_XF.format(font=1)} applyFont="1" quotePrefix="1"/>'
    f'<xf numFmtId="164" {_XF.format(font=0)} applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _sheet_name(title: str) -> str:
    """A sheet name Excel takes: none of []:*?/\\, no apostrophe at either end, 31 characters
    at most."""
    return title.translate(_SHEET_NAME_FORBIDDEN).strip(" '")[:31].rstrip(" '") or "Report"
