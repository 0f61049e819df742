"""Read-model building blocks: exact quantities, zone-aware instants, upserts; both backends.

Quantities stay exact: NUMERIC(18, 4) on PostgreSQL, text on SQLite, whose NUMERIC affinity
would store them as floating point. Never compare or sum :class:`Quantity` columns in SQL on
SQLite. Migrations spell the same shape as :data:`QUANTITY_DDL`.

Consumers write a row per event, and a statement's round trip costs far more than its row.
Inside :func:`write_behind` (a consumer's batch), upserts and other writes nobody reads the
result of (:func:`execute_later`) are held back and sent together: a run of rows for the same
statement goes in one ``executemany``. Runs are kept per table, so one event's writes to two
tables do not cut each other's runs; each table still receives its writes in the order they
were made. Any other statement on the connection sends everything held first, so whatever it
reads or writes sees every earlier write.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Dialect,
    Enum,
    Executable,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    event,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.base import ReadOnlyColumnCollection
from sqlalchemy.sql.elements import KeyedColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 4
PRECISION = 18
_STEP = Decimal(1).scaleb(-SCALE)


class Quantity(TypeDecorator[Decimal]):
    """An exact decimal with four places: ``NUMERIC(18, 4)`` on PostgreSQL, text elsewhere.

    A value with more places is refused rather than rounded, so a figure is never silently
    changed on its way into a report.
    """

    impl = Numeric(PRECISION, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """NUMERIC where the database keeps decimals exactly, else a string."""
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(PRECISION, SCALE, asdecimal=True))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Check the value fits four places, and write it as text where needed."""
        if value is None:
            return None
        if not value.is_finite():
            raise ValueError(f"{value} is not a figure that can be reported")
        exact = value.quantize(_STEP)
        if exact != value:
            raise ValueError(f"{value} has more than {SCALE} decimal places")
        return exact if dialect.name == "postgresql" else format(exact, "f")

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], Decimal | None] | None:
        """Nothing to do on PostgreSQL, whose drivers hand NUMERIC back as a Decimal: a report
        by quarter reads 200,000 figures for a national buyer, a call each."""
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        """Read back as a Decimal on every backend."""
        return None if value is None else Decimal(value)


class Instant(TypeDecorator[datetime]):
    """A point in time stored in UTC; SQLite keeps no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        """Store in UTC."""
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Always hand back an aware datetime."""
        if value is None:
            return None
        instant: datetime = value
        return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant


def quantity_ddl() -> TypeEngine[Any]:
    """The column type a migration creates for a :class:`Quantity` column."""
    return Numeric(PRECISION, SCALE).with_variant(String(40), "sqlite")


# The row an upsert proposes (``excluded``), for conditions on the row it would replace.
Proposed = ReadOnlyColumnCollection[str, KeyedColumnElement[Any]]
Condition = ColumnElement[bool] | Callable[[Proposed], ColumnElement[bool]]


def _build(
    dialect: str,
    table: Table,
    key: tuple[str, ...],
    update: tuple[str, ...],
    where: Condition | None,
) -> Executable:
    insert = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    if not update:
        return insert.on_conflict_do_nothing(index_elements=list(key) or None)
    condition = where(insert.excluded) if callable(where) else where
    return insert.on_conflict_do_update(
        index_elements=list(key), set_={c: insert.excluded[c] for c in update}, where=condition
    )


# Statements whose condition, if any, is a function of the proposed row: built once each.
_cached = lru_cache(maxsize=512)(_build)


def _statement(
    conn: AsyncConnection,
    table: Table,
    names: Sequence[str],
    *,
    key: Sequence[str],
    update: Sequence[str] | None,
    where: Condition | None,
) -> Executable:
    """The upsert for rows with columns ``names``; values come as execute parameters."""
    columns = tuple(c for c in names if c not in key) if update is None else tuple(update)
    build = _cached if where is None or callable(where) else _build
    return build(conn.dialect.name, table, tuple(key), columns, where)


async def upsert(
    conn: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
    where: Condition | None = None,
) -> None:
    """Insert a row, or on a clash of ``key`` set the ``update`` columns (all others when
    None, nothing when empty) - if ``where`` holds for the existing row. An empty ``key`` with
    an empty ``update`` inserts unless the row clashes with any unique key.

    Give ``where`` as a function of the proposed row (``lambda new: table.c.n < new.n``, a
    module-level function) rather than as an expression holding values, and the statement is
    compiled once for every call instead of on each one: consumers write a row per event.
    """
    statement = _statement(conn, table, list(values), key=key, update=update, where=where)
    row = dict(values)
    await execute_later(conn, statement, [row], keys=_row_keys(table, key, [row]))


async def upsert_many(
    conn: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
    where: Callable[[Proposed], ColumnElement[bool]] | None = None,
) -> None:
    """:func:`upsert` for rows of one shape, sent in one round trip (``executemany``)."""
    if not rows:
        return
    statement = _statement(conn, table, list(rows[0]), key=key, update=update, where=where)
    given = [dict(row) for row in rows]
    await execute_later(conn, statement, given, keys=_row_keys(table, key, given))


async def upsert_columns(
    conn: AsyncConnection,
    table: Table,
    columns: Mapping[str, Sequence[Any]],
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    quantities_fit: bool = False,
) -> None:
    """Upsert rows given column by column (a list of values per column, the rows in the same
    order in each), whose ``key`` values all differ: on a clash of ``key``, set the other
    columns, or add to those named in ``add``.

    On PostgreSQL that is one statement taking each column as one array (``unnest``): the
    server runs one insert for all the rows, where ``executemany`` runs one per row, and the
    values skip SQLAlchemy's per-row processing. A :class:`Quantity` is still checked, unless
    ``quantities_fit`` says they cannot have more places (sums of quantities read from such
    columns). It runs at once (sending anything :func:`write_behind` holds first). Elsewhere
    the rows go through :func:`upsert_many`, which cannot add.
    """
    names = tuple(columns)
    if not names or not columns[names[0]]:
        return
    if conn.dialect.name != "postgresql":
        if add:
            raise NotImplementedError("adding to a clashing row needs PostgreSQL")
        rows = [
            dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
        await upsert_many(conn, table, rows, key=key)
        return
    given: dict[str, Any] = {}
    for name, values in columns.items():
        column_type = table.c[name].type
        checked = (
            [column_type.process_bind_param(v, conn.dialect) for v in values]
            if isinstance(column_type, Quantity) and not quantities_fit
            else values
        )
        literal = _literal_writer(_element_type(table, name))
        given[name] = list(checked) if literal is None else literal(checked)
    await conn.execute(_unnest_upsert(table, names, tuple(key), tuple(add)), given)


@lru_cache(maxsize=64)
def _unnest_upsert(
    table: Table, names: tuple[str, ...], key: tuple[str, ...], add: tuple[str, ...]
) -> Executable:
    arrays = func.unnest(*(_array_parameter(table, n) for n in names)).table_valued(*names)
    insert = pg_insert(table).from_select(names, select(*arrays.render_derived().c))
    rest = [n for n in names if n not in key]
    if not rest:
        return insert.on_conflict_do_nothing(index_elements=list(key))
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={n: table.c[n] + insert.excluded[n] if n in add else insert.excluded[n] for n in rest},
    )


def _array_parameter(table: Table, name: str) -> ColumnElement[Any]:
    """The array parameter of ``name``'s values: a PostgreSQL array literal, cast on the
    server, where :func:`_literal_writer` writes one; else the list of values."""
    element = _element_type(table, name)
    if _literal_writer(element) is not None:
        return cast(bindparam(name, type_=Text()), ARRAY(element))
    return bindparam(name, type_=ARRAY(element))


def _element_type(table: Table, name: str) -> TypeEngine[Any]:
    """The type of ``name``'s values in an array: a column type of our own is refused unless
    its values need no processing on the way to the database (a Quantity's is its check)."""
    column_type = table.c[name].type
    if isinstance(column_type, Quantity):
        return column_type.impl_instance
    if isinstance(column_type, TypeDecorator):
        raise TypeError(f"{table.name}.{name} ({column_type!r}) cannot be sent as an array")
    return column_type


def _literal_writer(element: TypeEngine[Any]) -> Callable[[Sequence[Any]], str] | None:
    """How to write values of ``element`` as one array literal, where that costs less than
    asyncpg's encoding of a list, which checks every value for nested arrays (3 to 5 times
    less for numbers and strings; not for dates and integers); else None."""
    if isinstance(element, Numeric):
        return _numbers_literal
    if isinstance(element, String) and not isinstance(element, Enum):
        return _strings_literal
    return None


def _numbers_literal(values: Sequence[Any]) -> str:
    """Numbers (or None) as an array literal: their text is PostgreSQL's own numeric input."""
    text = ",".join(map(str, values))
    if "None" in text:  # no number's text has it; cheaper than asking each value
        text = ",".join("NULL" if v is None else str(v) for v in values)
    return "{" + text + "}"


def _strings_literal(values: Sequence[Any]) -> str:
    """Strings (or None) as an array literal: each quoted, a quote or backslash in one
    escaped."""
    if None not in values:
        together = "".join(values)
        if '"' not in together and "\\" not in together:
            return '{"' + '","'.join(values) + '"}'
    quoted = (
        "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for v in values
    )
    return "{" + ",".join(quoted) + "}"


def _row_keys(
    table: Table, key: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[Hashable] | None:
    """The rows an upsert of ``rows`` touches, by primary key; None when a clash could be on
    another unique key too (then only the database knows which rows it touches)."""
    columns = _primary_key(table, frozenset(key))
    if columns is None:
        return None
    return [tuple(row[c] for c in columns) for row in rows]


@lru_cache(maxsize=256)
def _primary_key(table: Table, key: frozenset[str]) -> tuple[str, ...] | None:
    """``table``'s primary key columns, in order, if ``key`` is that key and the table has
    no other unique key; else None."""
    columns = tuple(c.name for c in table.primary_key.columns)
    if not key or key != frozenset(columns):
        return None
    others = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
    return None if others or any(index.unique for index in table.indexes) else columns


async def execute_later(
    conn: AsyncConnection,
    statement: Executable,
    rows: list[dict[str, Any]],
    *,
    keys: Sequence[Hashable] | None = None,
) -> None:
    """Execute a write whose result nobody reads, once for each of ``rows`` (its parameters):
    now, or inside :func:`write_behind` with the next statement. Build ``statement`` once and
    pass the same object each time, so that a run of calls goes as one ``executemany``.

    Inside the block, a held write may be sent after later writes to *other* tables, never
    after later writes to its own. So it must write one table and read no other: an insert,
    upsert, update or delete whose conditions name only its table.

    ``keys``, one for each row, name the only row of the table each one touches: its primary
    key, as a tuple of values in the table's order of the key's columns (what upserts pass
    for themselves, where the table has no other unique key). With them, a row can join an
    earlier run of its statement past runs of other statements on the same table that
    touched none of its rows: alerts raised and resolved in turn go as two statements, not
    one per change.
    """
    held = _held.get(conn.sync_connection) if conn.sync_connection is not None else None
    if held is None:
        await conn.execute(statement, rows[0] if len(rows) == 1 else rows)
    else:
        await held.add(conn, statement, rows, keys)


class _Run:
    """Rows held for one statement, and the rows of the table they touch (None: unknown)."""

    __slots__ = ("keys", "rows", "statement")

    def __init__(
        self, statement: Executable, rows: list[dict[str, Any]], keys: set[Hashable] | None
    ) -> None:
        self.statement, self.rows, self.keys = statement, rows, keys

    def join(self, rows: list[dict[str, Any]], keys: Sequence[Hashable] | None) -> None:
        self.rows.extend(rows)
        if keys is None:
            self.keys = None
        elif self.keys is not None:
            self.keys.update(keys)


class _HeldWrites:
    """The writes held back on one connection: per table, runs of rows for one statement."""

    __slots__ = ("runs",)

    def __init__(self) -> None:
        # table (or, for a statement without one, the statement) -> its runs, in order
        self.runs: dict[Any, list[_Run]] = {}

    def take(self) -> list[_Run]:
        """Every held run, leaving nothing held: each table's in order, table by table."""
        taken = [run for runs in self.runs.values() for run in runs]
        self.runs.clear()
        return taken

    async def add(
        self,
        conn: AsyncConnection,
        statement: Executable,
        rows: list[dict[str, Any]],
        keys: Sequence[Hashable] | None,
    ) -> None:
        """Hold ``rows`` for ``statement``, in the latest run of it they can join, else in a
        new run (for a statement that names no table, everything held is sent first)."""
        table = getattr(statement, "table", None)
        if table is None:
            await self.send(conn)
            table = statement
        runs = self.runs.setdefault(table, [])
        joined = _joinable(runs, statement, keys)
        if joined is not None:
            joined.join(rows, keys)
        else:
            runs.append(_Run(statement, list(rows), None if keys is None else set(keys)))

    async def send(self, conn: AsyncConnection) -> None:
        """Send what is held (executing anything else on ``conn`` does this too)."""
        for run in self.take():
            await conn.execute(run.statement, run.rows)

    def before_execute(self, conn: Connection, *_: Any) -> None:
        """Send what is held before any other statement (SQLAlchemy's ``before_execute``).

        The event store's own statements go round this (``exec_driver_sql``, the driver); they
        touch only the event log, never a table a held upsert writes.
        """
        for run in self.take():
            conn.execute(run.statement, run.rows)


def _joinable(
    runs: Sequence[_Run], statement: Executable, keys: Sequence[Hashable] | None
) -> _Run | None:
    """The run new rows for ``statement`` can join: the last one if it is the statement's, or
    (the rows' keys known) the statement's latest run, if every run after it is known to
    touch none of those rows."""
    if runs and runs[-1].statement is statement:
        return runs[-1]
    if keys is None:
        return None
    wanted = set(keys)
    for run in reversed(runs):
        if run.statement is statement:
            return run
        if run.keys is None or not run.keys.isdisjoint(wanted):
            return None
    return None


_held: WeakKeyDictionary[Connection, _HeldWrites] = WeakKeyDictionary()


@asynccontextmanager
async def write_behind(conn: AsyncConnection) -> AsyncIterator[None]:
    """Hold back :func:`upsert`, :func:`upsert_many` and :func:`execute_later` on ``conn``
    until another statement runs or the block ends, sending a run of rows for one statement in
    one ``executemany``.

    A failing held upsert raises from the statement that sent it (or the end of the block),
    still inside the transaction, so the transaction fails as it would have.
    """
    sync = conn.sync_connection
    if sync is None or sync in _held:
        yield
        return
    held = _held[sync] = _HeldWrites()
    event.listen(sync, "before_execute", held.before_execute)
    try:
        yield
        await held.send(conn)
    finally:
        event.remove(sync, "before_execute", held.before_execute)
        del _held[sync]
