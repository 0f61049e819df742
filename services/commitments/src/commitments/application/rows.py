"""Reading typed values out of uploaded rows, collecting every problem with its row number."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from svledger.errors import FieldProblem, ValidationFailed

from commitments.adapters.spreadsheets import Cell, Row

MAX_PLACES = 4
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


class RowReader:
    """Reads the cells of one row; a bad cell adds a problem named ``rows.<n>.<column>``."""

    def __init__(self, row: Row, problems: list[FieldProblem]) -> None:
        self.row = row
        self.problems = problems

    def field(self, column: str) -> str:
        """The problem field for a column of this row."""
        return f"rows.{self.row.number}.{column}"

    def problem(self, column: str, message: str) -> None:
        """Record a problem with a column of this row."""
        self.problems.append(FieldProblem(self.field(column), f"row {self.row.number}: {message}"))

    def raw(self, column: str) -> Cell:
        """The cell as read."""
        return self.row.cells.get(column)

    def text(self, column: str, *, required: bool = True, max_length: int = 300) -> str:
        """A text cell; empty is a problem when required."""
        value = self.raw(column)
        text = "" if value is None else str(value).strip()
        if required and not text:
            self.problem(column, f"{column} is required")
        elif len(text) > max_length:
            self.problem(column, f"{column} is longer than {max_length} characters")
        return text

    def optional_text(self, column: str, max_length: int = 300) -> str | None:
        """A text cell that may be empty (None)."""
        return self.text(column, required=False, max_length=max_length) or None

    def day(self, column: str) -> date | None:
        """A date cell (YYYY-MM-DD in CSV, a date in XLSX)."""
        value = self.raw(column)
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value or "").strip())
        except ValueError:
            self.problem(column, f"'{value or ''}' is not a date like 2026-04-01")
            return None

    def quantity(self, column: str, *, required: bool = True) -> Decimal | None:
        """A non-negative decimal with at most four places."""
        value = self.raw(column)
        if value is None:
            if required:
                self.problem(column, f"{column} is required")
            return None
        if isinstance(value, bool):
            self.problem(column, f"'{value}' is not a number")
            return None
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            self.problem(column, f"'{value}' is not a number")
            return None
        if not number.is_finite() or number < 0:
            self.problem(column, f"'{value}' is not a number of zero or more")
            return None
        if -int(number.as_tuple().exponent) > MAX_PLACES:
            self.problem(column, f"'{value}' has more than {MAX_PLACES} decimal places")
            return None
        return number

    def integer(self, column: str, default: int, low: int, high: int) -> int:
        """A whole number within ``low``..``high``; ``default`` when empty."""
        value = self.raw(column)
        if value is None:
            return default
        try:
            number = int(str(value).strip())
        except ValueError:
            self.problem(column, f"'{value}' is not a whole number")
            return default
        if not low <= number <= high:
            self.problem(column, f"{number} is not between {low} and {high}")
        return number

    def flag(self, column: str) -> bool:
        """yes/no, true/false, 1/0; empty is no."""
        value = self.raw(column)
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.problem(column, f"'{value}' is not yes or no")
        return False


def refuse_rows(problems: list[FieldProblem], checked: list[FieldProblem] | None = None) -> None:
    """Refuse the whole upload if anything is wrong, naming every row with a problem.

    ``problems`` come from reading cells, ``checked`` from the domain's rules; a cell already
    found unreadable is named once. Problems are listed by row.
    """
    seen = {p.field for p in problems}
    problems = problems + [_numbered(p) for p in checked or [] if p.field not in seen]
    if not problems:
        return
    problems.sort(key=_row_number)
    rows = sorted({n for p in problems if (n := _row_number(p)) > 0})
    listed = ", ".join(str(r) for r in rows)
    raise ValidationFailed(
        f"rows {listed} have problems; nothing was stored" if rows else "the upload has problems",
        errors=problems,
    )


def _row_number(problem: FieldProblem) -> int:
    parts = problem.field.split(".")
    return int(parts[1]) if parts[0] == "rows" and len(parts) > 1 and parts[1].isdigit() else 0


def _numbered(problem: FieldProblem) -> FieldProblem:
    """The domain's message, prefixed with the row it is about (as cell problems are)."""
    number = _row_number(problem)
    if number == 0 or problem.message.startswith(f"row {number}:"):
        return problem
    return FieldProblem(problem.field, f"row {number}: {problem.message}")
