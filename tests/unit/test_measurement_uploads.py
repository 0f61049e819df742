"""Reading uploaded sheets into return lines: every bad row named, exact decimals only."""

import io
from decimal import Decimal

import pytest
from measurement.adapters.uploads import read_sheet
from measurement.domain.schedule import Obligation
from measurement.domain.uploads import UploadRow, lines_from_rows
from openpyxl import Workbook
from svledger.errors import ValidationFailed

OBLIGATIONS = {
    "ob-1": Obligation("ob-1", "NT1", "FTE", {}),
    "ob-2": Obligation("ob-2", "NT10", "weeks", {}),
    "ob-3": Obligation("ob-3", "NT10", "weeks", {}),
}


def rows(*cells: dict[str, str]) -> list[UploadRow]:
    return [UploadRow(n, c) for n, c in enumerate(cells, start=2)]


def problems(header: list[str], found: list[UploadRow]) -> list[tuple[int, str]]:
    with pytest.raises(ValidationFailed) as refused:
        lines_from_rows(header, found, OBLIGATIONS)
    return [(r["row"], r["column"]) for r in refused.value.extra["invalid_rows"]]


def test_every_bad_row_is_reported_with_its_number_and_column() -> None:
    found = rows(
        {"obligation_id": "ob-1", "quantity": "1.23456"},
        {"measure": "NT10", "quantity": "1"},
        {"obligation_id": "ob-1", "quantity": "-1"},
        {"obligation_id": "ob-9", "quantity": ""},
        {"obligation_id": "ob-2", "quantity": "3", "beneficiaries": "many"},
    )

    assert problems(["obligation_id", "measure", "quantity", "beneficiaries"], found) == [
        (2, "quantity"),
        (3, "measure"),
        (4, "quantity"),
        (4, "obligation_id"),
        (5, "obligation_id"),
        (5, "quantity"),
        (6, "beneficiaries"),
    ]


def test_a_header_without_quantity_or_with_an_unknown_column_is_refused() -> None:
    assert problems(["measure", "qty"], rows({"measure": "NT1", "qty": "1"})) == [
        (1, "qty"),
        (1, "quantity"),
    ]


def test_good_rows_become_lines_with_exact_quantities_and_lists() -> None:
    lines = lines_from_rows(
        ["measure", "quantity", "places", "evidence"],
        rows({"measure": "nt1", "quantity": "2.5", "places": "Wirral; Sefton", "evidence": ""}),
        OBLIGATIONS,
    )

    assert [(x.obligation_id, x.quantity, x.places) for x in lines] == [
        ("ob-1", Decimal("2.5"), ("Wirral", "Sefton"))
    ]


def test_a_csv_with_a_byte_order_mark_and_blank_lines_reads_by_row_number() -> None:
    header, found = read_sheet(
        "q1.csv", "text/csv", "\ufeffQuantity,Measure\n3,NT1\n\n4,NT10\n".encode()
    )

    assert header == ["quantity", "measure"]
    assert [(r.number, dict(r.cells)) for r in found] == [
        (2, {"quantity": "3", "measure": "NT1"}),
        (4, {"quantity": "4", "measure": "NT10"}),
    ]


def test_xlsx_numbers_are_read_as_their_decimal_text_not_as_floats() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["measure", "quantity"])
    sheet.append(["NT1", 0.1])
    sheet.append(["NT10", 7])
    out = io.BytesIO()
    workbook.save(out)

    _, found = read_sheet("q1.xlsx", None, out.getvalue())

    assert [r.cells["quantity"] for r in found] == ["0.1", "7"]


def test_a_file_that_is_not_a_workbook_is_refused_naming_the_file() -> None:
    with pytest.raises(ValidationFailed) as refused:
        read_sheet("q1.xlsx", None, b"PK\x03\x04 not really a zip")

    assert refused.value.errors[0].field == "file"
