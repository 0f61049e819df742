"""CSV and XLSX exports: figures exact, text that a spreadsheet could run never run."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from reporting.adapters.exports import csv_pieces, neutralise, xlsx_pieces
from reporting.api.rendering import file_name
from reporting.domain.report import (
    Cell,
    Freshness,
    Mark,
    Tabular,
    day,
    figure,
    flag,
    integer,
    text,
)

FRESHNESS = Freshness(
    datetime(2027, 1, 15, 12, tzinfo=UTC),
    (Mark("reporting-contracts", "SVL_COMMITMENTS", 42, datetime(2027, 1, 14, tzinfo=UTC)),),
)


def to_csv(report: Tabular) -> bytes:
    return b"".join(csv_pieces(report))


def to_xlsx(report: Tabular) -> bytes:
    return b"".join(xlsx_pieces(report))


def report(*rows: dict[str, Cell]) -> Tabular:
    return table(list(rows))


def table(rows: Iterable[dict[str, Cell]]) -> Tabular:
    return Tabular(
        "test",
        "Test: a report [1]",
        (
            text("name", "Name"),
            figure("amount", "Amount"),
            integer("count", "Count"),
            day("on", "On"),
            flag("ok", "OK"),
        ),
        rows,
        FRESHNESS,
        notes=("-a note that starts like a formula",),
    )


@pytest.mark.parametrize(
    "dangerous",
    ["=1+1", "+44 151", "-2", "@SUM(A1)", "\tTAB", "\rCR", '=HYPERLINK("http://x","y")'],
)
def test_text_a_spreadsheet_could_run_is_neutralised_in_csv(dangerous: str) -> None:
    out = to_csv(report({"name": dangerous, "amount": Decimal("-5.5")}))

    [heading, row] = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert heading == ["Name", "Amount", "Count", "On", "OK"]
    assert row[0] == "'" + dangerous
    assert row[1] == "-5.5"  # a figure is a figure, not text that could be a formula


def test_harmless_text_is_left_alone() -> None:
    assert neutralise("Wirral Council") == "Wirral Council"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"


def test_csv_writes_figures_dates_and_flags_plainly() -> None:
    out = to_csv(
        report(
            {
                "name": "x",
                "amount": Decimal("1250000.0000"),
                "count": 3,
                "on": date(2026, 7, 1),
                "ok": True,
            },
            {"name": "y", "amount": None, "count": None, "on": None, "ok": False},
        )
    )

    assert out.startswith("\ufeff".encode())  # so Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert rows[1:] == [["x", "1250000", "3", "2026-07-01", "true"], ["y", "", "", "", "false"]]


class Counted:
    """``many`` rows, each made when it is read, counting how many have been."""

    def __init__(self, many: int) -> None:
        self.many = many
        self.taken = 0

    def __iter__(self) -> Iterator[dict[str, Cell]]:
        for n in range(self.many):
            self.taken += 1
            yield {"name": f"contract {n}", "amount": Decimal(n) / 4, "count": n, "ok": n % 2 == 0}


def test_a_long_csv_is_made_a_piece_at_a_time_as_its_rows_are_read() -> None:
    rows = Counted(2_000)

    pieces = csv_pieces(table(rows), piece_size=4096)
    first = [next(pieces), next(pieces)]
    taken_for_first = rows.taken
    rest = list(pieces)

    assert first[0] == "\ufeff".encode()  # the byte-order mark comes first, on its own
    assert 4096 <= len(first[1]) < 4096 + 100  # a piece is about the size asked for
    assert taken_for_first < 200  # the rows after the first piece were not read for it
    assert len(rest) > 10
    whole = b"".join([*first, *rest]).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(whole, newline="")))
    assert parsed[0] == ["Name", "Amount", "Count", "On", "OK"]
    assert [r[0] for r in parsed[1:]] == [f"contract {n}" for n in range(2_000)]
    assert parsed[-1] == ["contract 1999", "499.75", "1999", "", "false"]


def test_xlsx_keeps_formula_like_text_as_text_marked_as_such() -> None:
    out = to_xlsx(report({"name": "=1+1"}, {"name": "plain"}))

    sheet = load_workbook(io.BytesIO(out)).worksheets[0]
    dangerous, plain = sheet["A2"], sheet["A3"]
    assert (dangerous.value, dangerous.data_type, dangerous.quotePrefix) == ("=1+1", "s", True)
    assert (plain.value, plain.quotePrefix) == ("plain", False)
    with zipfile.ZipFile(io.BytesIO(out)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("code", ["#N/A", "#DIV/0!", "#REF!"])
def test_xlsx_keeps_text_that_reads_like_an_error_code_as_text(code: str) -> None:
    out = to_xlsx(report({"name": code}, {"name": "#3 in the league"}))

    sheet = load_workbook(io.BytesIO(out)).worksheets[0]
    assert [(c.value, c.data_type) for c in (sheet["A2"], sheet["A3"])] == [
        (code, "s"),
        ("#3 in the league", "s"),
    ]


def test_xlsx_figures_are_numbers_whose_stored_digits_are_exact() -> None:
    exact = Decimal("12345678901234.5678")  # more digits than a float keeps
    out = to_xlsx(report({"name": "x", "amount": exact, "count": 2, "on": date(2026, 7, 1)}))

    with zipfile.ZipFile(io.BytesIO(out)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<v>12345678901234.5678</v>" in xml
    sheet = load_workbook(io.BytesIO(out)).worksheets[0]
    assert sheet["B2"].data_type == "n"
    assert sheet["C2"].value == 2
    assert sheet["D2"].value == datetime(2026, 7, 1)
    assert sheet["D2"].number_format == "yyyy-mm-dd"  # a day, shown without a time


def test_xlsx_headings_are_bold_and_stay_in_view() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(report({"name": "x"})))).worksheets[0]

    assert [c.value for c in sheet[1]] == ["Name", "Amount", "Count", "On", "OK"]
    assert all(c.font.b for c in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"


def test_xlsx_says_how_fresh_the_report_is_on_an_about_sheet() -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(report())))

    table, about = workbook.worksheets
    assert table.title == "Test  a report  1"  # characters a sheet name cannot hold are gone
    lines = [row[0].value for row in about.iter_rows()]
    assert lines[:2] == ["Test: a report [1]", "As of 2027-01-15T12:00:00+00:00"]
    assert "reporting-contracts: SVL_COMMITMENTS up to position 42" in str(lines[2])
    assert about["A4"].value == "-a note that starts like a formula"
    assert about["A4"].quotePrefix is True


def test_a_long_xlsx_is_made_a_piece_at_a_time_as_its_rows_are_read() -> None:
    rows = Counted(10_000)

    pieces = xlsx_pieces(table(rows), piece_size=4096)
    first = next(pieces)
    taken_for_first = rows.taken
    rest = list(pieces)

    # The compressor gives its output out a block (some tens of KB) at a time, so a piece is
    # at least one block: what matters is that none holds the whole file.
    whole = b"".join([first, *rest])
    assert taken_for_first < 2_000  # the rows after the first piece were not read for it
    assert len(rest) >= 5
    assert max(len(p) for p in [first, *rest]) < len(whole) / 5
    sheet = load_workbook(io.BytesIO(whole)).worksheets[0]
    found = list(sheet.iter_rows(values_only=True))
    assert found[0] == ("Name", "Amount", "Count", "On", "OK")
    assert [r[0] for r in found[1:]] == [f"contract {n}" for n in range(10_000)]
    assert found[-1] == ("contract 9999", 2499.75, 9999, None, False)


def test_xlsx_keeps_text_that_xml_cannot_hold_as_excel_writes_it() -> None:
    given = "bell\x07, _x0041_ & <b>"
    out = to_xlsx(report({"name": given}))

    with zipfile.ZipFile(io.BytesIO(out)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    # A character XML 1.0 cannot hold is written _xHHHH_, and an underscore that would read
    # as one is written as itself (_x005F_), as Excel does; the rest is escaped as XML.
    assert "<t>bell_x0007_, _x005F_x0041_ &amp; &lt;b&gt;</t>" in xml
    assert load_workbook(io.BytesIO(out)).worksheets[0]["A2"].data_type == "s"


def test_xlsx_sheets_are_named_as_excel_allows() -> None:
    named = Tabular("t", "'About'", (text("name", "Name"),), [], FRESHNESS)

    workbook = load_workbook(io.BytesIO(to_xlsx(named)))

    assert workbook.sheetnames == ["About", "About this report"]


def test_a_download_is_named_safely_whatever_the_reference_holds() -> None:
    assert file_name('kpi-rating-WC/001 "x"\r\nSet-Cookie: a') == "kpi-rating-WC-001-x-Set-Cookie-a"
    assert file_name("///") == "report"
