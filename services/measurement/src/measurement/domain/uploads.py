"""Return lines from an uploaded sheet (CSV or XLSX): every bad row is reported, none stored.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first line row 2.
A line names its obligation by ``obligation_id`` or by ``measure`` (when the contract has one
obligation on that measure). ``places`` and ``evidence`` hold several values split by ``;``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from svledger.errors import FieldProblem, ValidationFailed

from measurement.domain.schedule import Obligation, ReturnLine

COLUMNS = (
    "obligation_id",
    "measure",
    "quantity",
    "narrative",
    "case_study",
    "beneficiaries",
    "places",
    "evidence",
)
MAX_ROWS = 500
_MAX_PLACES = 4
_MAX_DIGITS = 18


@dataclass(frozen=True, slots=True)
class UploadRow:
    """One data row of a sheet: its row number and its cells by column name."""

    number: int
    cells: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one row (and which column of it) cannot be taken."""

    row: int
    column: str
    message: str


def lines_from_rows(
    header: Sequence[str], rows: Sequence[UploadRow], obligations: Mapping[str, Obligation]
) -> list[ReturnLine]:
    """Every row as a return line, or :class:`ValidationFailed` listing every bad row."""
    problems = _header_problems(header)
    if len(rows) > MAX_ROWS:
        problems.append(RowProblem(1, "", f"an upload holds at most {MAX_ROWS} lines"))
    if not rows:
        problems.append(RowProblem(1, "", "the file has no lines under its header"))
    lines: list[ReturnLine] = []
    if not problems:
        by_measure: dict[str, list[str]] = {}
        for ob in obligations.values():
            by_measure.setdefault(ob.measure.upper(), []).append(ob.obligation_id)
        seen: dict[str, int] = {}
        for row in rows:
            line = _line(row, obligations, by_measure, seen, problems)
            if line is not None:
                lines.append(line)
    if problems:
        raise ValidationFailed(
            f"{len({p.row for p in problems})} row(s) of the upload are invalid; "
            "nothing was stored",
            errors=[
                FieldProblem(f"rows.{p.row}.{p.column}".rstrip("."), p.message) for p in problems
            ],
            extra={
                "invalid_rows": [
                    {"row": p.row, "column": p.column, "message": p.message} for p in problems
                ]
            },
        )
    return lines


def _header_problems(header: Sequence[str]) -> list[RowProblem]:
    problems = [
        RowProblem(1, name, f"unknown column '{name}'; columns are {', '.join(COLUMNS)}")
        for name in header
        if name and name not in COLUMNS
    ]
    if "quantity" not in header:
        problems.append(RowProblem(1, "quantity", "the header needs a quantity column"))
    if "obligation_id" not in header and "measure" not in header:
        problems.append(
            RowProblem(1, "obligation_id", "the header needs an obligation_id or measure column")
        )
    return problems


def _line(
    row: UploadRow,
    obligations: Mapping[str, Obligation],
    by_measure: Mapping[str, list[str]],
    seen: dict[str, int],
    problems: list[RowProblem],
) -> ReturnLine | None:
    before = len(problems)
    obligation_id = _obligation(row, obligations, by_measure, problems)
    quantity = _quantity(row, problems)
    beneficiaries = _beneficiaries(row, problems)
    if obligation_id is not None:
        if obligation_id in seen:
            problems.append(
                RowProblem(
                    row.number,
                    "obligation_id",
                    f"this obligation is already reported in row {seen[obligation_id]}",
                )
            )
        seen.setdefault(obligation_id, row.number)
    if len(problems) > before or obligation_id is None or quantity is None:
        return None
    return ReturnLine(
        obligation_id=obligation_id,
        quantity=quantity,
        narrative=row.cells.get("narrative", ""),
        case_study=row.cells.get("case_study", ""),
        beneficiaries=beneficiaries,
        places=_several(row.cells.get("places", "")),
        evidence=_several(row.cells.get("evidence", "")),
    )


def _obligation(
    row: UploadRow,
    obligations: Mapping[str, Obligation],
    by_measure: Mapping[str, list[str]],
    problems: list[RowProblem],
) -> str | None:
    given = row.cells.get("obligation_id", "").strip()
    if given:
        if given not in obligations:
            problems.append(
                RowProblem(
                    row.number, "obligation_id", f"{given} is not an obligation of this contract"
                )
            )
            return None
        return given
    measure = row.cells.get("measure", "").strip()
    if not measure:
        problems.append(RowProblem(row.number, "obligation_id", "name the obligation or measure"))
        return None
    found = by_measure.get(measure.upper(), [])
    if len(found) != 1:
        reason = "no obligation" if not found else "several obligations; give the obligation_id"
        problems.append(
            RowProblem(row.number, "measure", f"the contract has {reason} on {measure}")
        )
        return None
    return found[0]


def _quantity(row: UploadRow, problems: list[RowProblem]) -> Decimal | None:
    raw = row.cells.get("quantity", "").strip().replace(",", "")
    if not raw:
        problems.append(RowProblem(row.number, "quantity", "a quantity is required (0 for nil)"))
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        problems.append(RowProblem(row.number, "quantity", f"'{raw}' is not a number"))
        return None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int):
        problems.append(RowProblem(row.number, "quantity", f"'{raw}' is not a finite number"))
    elif value < 0:
        problems.append(RowProblem(row.number, "quantity", "a quantity cannot be negative"))
    elif -exponent > _MAX_PLACES or len(value.as_tuple().digits) > _MAX_DIGITS:
        problems.append(
            RowProblem(
                row.number, "quantity", f"'{raw}' has more than {_MAX_PLACES} decimal places"
            )
        )
    else:
        return value
    return None


def _beneficiaries(row: UploadRow, problems: list[RowProblem]) -> int | None:
    raw = row.cells.get("beneficiaries", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        problems.append(RowProblem(row.number, "beneficiaries", f"'{raw}' is not a whole number"))
        return None
    return int(raw)


def _several(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(";") if part.strip())
