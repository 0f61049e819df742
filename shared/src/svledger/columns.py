"""Read-model building blocks: exact quantities, zone-aware instants, upserts; both backends.

Quantities stay exact: NUMERIC(18, 4) on PostgreSQL, text on SQLite, whose NUMERIC affinity
would store them as floating point. Never compare or sum :class:`Quantity` columns in SQL on
SQLite. Migrations spell the same shape as :data:`QUANTITY_DDL`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Dialect, Numeric, String, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
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


async def upsert(
    conn: AsyncConnection,
    table: Table,
    values: Mapping[str, Any],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
    where: ColumnElement[bool] | None = None,
) -> None:
    """Insert a row, or on a clash of ``key`` set the ``update`` columns (all others when
    None, nothing when empty) - if ``where`` holds for the existing row."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(**values)
    columns = [c for c in values if c not in key] if update is None else list(update)
    if not columns:
        await conn.execute(insert.on_conflict_do_nothing(index_elements=list(key)))
        return
    await conn.execute(
        insert.on_conflict_do_update(
            index_elements=list(key),
            set_={c: insert.excluded[c] for c in columns},
            where=where,
        )
    )
