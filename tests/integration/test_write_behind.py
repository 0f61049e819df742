"""Upserts held back in a consumer's batch: fewer round trips, the same rows, the same failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, event, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import (
    Instant,
    Quantity,
    execute_later,
    upsert,
    upsert_columns,
    upsert_many,
    write_behind,
)
from svledger.database import Database

from tests.conftest import POSTGRES_ONLY, DatabaseFactory

metadata = MetaData()
things = Table(
    "wb_things",
    metadata,
    Column("thing_id", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("label", String(20), unique=True),
)
others = Table("wb_others", metadata, Column("other_id", String(20), primary_key=True))
# One update built once: a run of it goes as one executemany.
BUMP = update(things).where(things.c.thing_id == bindparam("t")).values(n=bindparam("new_n"))
# A table whose only unique key is its primary key: an upsert touches the row of its key alone.
plain = Table(
    "wb_plain",
    metadata,
    Column("plain_id", String(20), primary_key=True),
    Column("n", Integer, nullable=False),
)
RELABEL = (
    update(things).where(things.c.thing_id == bindparam("t")).values(label=bindparam("new_label"))
)
SET_PLAIN = update(plain).where(plain.c.plain_id == bindparam("p")).values(n=bindparam("new_n"))


@pytest.fixture
async def database(make_database: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database(await make_database("commitments"))
    async with db.writer.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db
    await db.dispose()


class Statements:
    """Counts what reaches the database: statements, and the rows each carried."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []

    def __call__(
        self, _conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        self.sent.append((sql.split(maxsplit=1)[0].upper(), len(params) if many else 1))


@asynccontextmanager
async def held_writes(database: Database, seen: Statements) -> AsyncIterator[AsyncConnection]:
    """A transaction whose writes are held back, as in a consumer's batch; ``seen`` counts
    what reaches the database."""
    async with database.writer.begin() as conn:
        event.listen(conn.sync_connection, "before_cursor_execute", seen)
        async with write_behind(conn):
            yield conn


async def rows(database: Database) -> dict[str, tuple[int, str | None]]:
    async with database.reader.connect() as conn:
        found = await conn.execute(select(things.c.thing_id, things.c.n, things.c.label))
        return {r.thing_id: (r.n, r.label) for r in found}


async def test_a_run_of_upserts_reaches_the_database_as_one_statement(database: Database) -> None:
    seen = Statements()
    async with held_writes(database, seen) as conn:
        for i in range(50):
            await upsert(conn, things, {"thing_id": f"t{i}", "n": i}, key=("thing_id",))
        await upsert(conn, things, {"thing_id": "t7", "n": 700}, key=("thing_id",))
        await upsert(conn, others, {"other_id": "o1"}, key=("other_id",))
        await upsert_many(conn, others, [{"other_id": "o2"}], key=("other_id",))

    assert seen.sent == [("INSERT", 51), ("INSERT", 2)]
    found = await rows(database)
    assert len(found) == 50
    assert found["t7"] == (700, None)  # the later row of one key wins, as it would unbatched


async def test_writes_to_two_tables_keep_a_run_each_and_each_table_its_order(
    database: Database,
) -> None:
    seen = Statements()
    async with held_writes(database, seen) as conn:
        # One event's writes, as a projection makes them: a row in each of two tables.
        for i in range(20):
            await upsert(conn, things, {"thing_id": f"t{i}", "n": i}, key=("thing_id",))
            await upsert(conn, others, {"other_id": f"o{i}"}, key=("other_id",))
        # Another statement on the same table cuts its run; the other table's run goes on.
        await execute_later(conn, BUMP, [{"t": "t3", "new_n": 300}])
        await upsert(conn, others, {"other_id": "o20"}, key=("other_id",))
        # A later upsert of t3 lands after the update, as it was made.
        await upsert(conn, things, {"thing_id": "t3", "n": 3000}, key=("thing_id",))

    assert sorted(seen.sent) == [("INSERT", 1), ("INSERT", 20), ("INSERT", 21), ("UPDATE", 1)]
    assert (await rows(database))["t3"] == (3000, None)
    async with database.reader.connect() as conn:
        assert len((await conn.execute(select(others.c.other_id))).all()) == 21


async def test_changes_to_rows_raised_in_turn_go_as_one_run_each_in_the_order_made(
    database: Database,
) -> None:
    seen = Statements()
    async with held_writes(database, seen) as conn:
        # Each row inserted, then changed, as alerts are raised and resolved in turn.
        for i in range(10):
            await upsert(conn, plain, {"plain_id": f"p{i}", "n": i}, key=("plain_id",))
            await execute_later(
                conn, SET_PLAIN, [{"p": f"p{i}", "new_n": 100 + i}], keys=[(f"p{i}",)]
            )
        # A row changed, then upserted again: the upsert may not move before the change.
        await upsert(conn, plain, {"plain_id": "p3", "n": 3000}, key=("plain_id",))
        # A change without keys may touch any row: nothing later moves past it.
        await execute_later(conn, SET_PLAIN, [{"p": "p4", "new_n": 4000}])
        await upsert(conn, plain, {"plain_id": "p5", "n": 5000}, key=("plain_id",))

    assert seen.sent == [
        ("INSERT", 10),
        ("UPDATE", 10),
        ("INSERT", 1),  # p3 again
        ("UPDATE", 1),  # p4, keys unknown
        ("INSERT", 1),  # p5
    ]
    async with database.reader.connect() as conn:
        found = dict((await conn.execute(select(plain.c.plain_id, plain.c.n))).all())
    assert found == {f"p{i}": 100 + i for i in range(10)} | {"p3": 3000, "p4": 4000, "p5": 5000}


async def test_an_upsert_on_a_table_with_another_unique_key_moves_past_no_other_write(
    database: Database,
) -> None:
    seen = Statements()
    async with database.writer.begin() as conn:
        await upsert(conn, things, {"thing_id": "a", "n": 1, "label": "first"}, key=("thing_id",))
    async with held_writes(database, seen) as conn:
        await upsert(conn, things, {"thing_id": "b", "n": 2}, key=("thing_id",))
        # Frees the label "first"...
        await execute_later(conn, RELABEL, [{"t": "a", "new_label": None}], keys=[("a",)])
        # ...which this upsert takes: sent before the change, it would clash.
        await upsert(conn, things, {"thing_id": "c", "n": 3, "label": "first"}, key=("thing_id",))

    assert [sql for sql, _ in seen.sent] == ["INSERT", "UPDATE", "INSERT"]
    assert await rows(database) == {"a": (1, None), "b": (2, None), "c": (3, "first")}


async def test_any_other_statement_sees_the_held_rows_in_order(database: Database) -> None:
    async with database.writer.begin() as conn, write_behind(conn):
        await upsert(conn, things, {"thing_id": "a", "n": 1}, key=("thing_id",))
        await upsert(conn, things, {"thing_id": "b", "n": 1}, key=("thing_id",))
        # A read in the same transaction finds what was held...
        assert (
            await conn.execute(select(things.c.n).where(things.c.thing_id == "a"))
        ).scalar() == 1
        # ...and a write after an upsert applies after it, and before the next one.
        await conn.execute(update(things).where(things.c.thing_id == "b").values(n=things.c.n + 10))
        await upsert(conn, things, {"thing_id": "b", "n": 5}, key=("thing_id",), update=())

    assert await rows(database) == {"a": (1, None), "b": (11, None)}


async def test_a_held_upsert_that_fails_fails_the_transaction_and_writes_nothing(
    database: Database,
) -> None:
    async with database.writer.begin() as conn:
        await upsert(conn, things, {"thing_id": "x", "n": 1, "label": "taken"}, key=("thing_id",))

    async def clash() -> None:
        async with database.writer.begin() as conn, write_behind(conn):
            await upsert(conn, things, {"thing_id": "y", "n": 2}, key=("thing_id",))
            # Clashes on the label, not the key: only the database can tell, when it is sent.
            await upsert(
                conn, things, {"thing_id": "z", "n": 3, "label": "taken"}, key=("thing_id",)
            )

    with pytest.raises(IntegrityError):
        await clash()

    assert await rows(database) == {"x": (1, "taken")}


async def test_outside_the_block_upserts_are_sent_at_once(database: Database) -> None:
    seen = Statements()
    async with database.writer.begin() as conn:
        event.listen(conn.sync_connection, "before_cursor_execute", seen)
        async with write_behind(conn):
            await upsert(conn, things, {"thing_id": "a", "n": 1}, key=("thing_id",))
        assert seen.sent == [("INSERT", 1)]  # sent when the block ended
        await upsert(conn, things, {"thing_id": "b", "n": 2}, key=("thing_id",))
        assert seen.sent == [("INSERT", 1), ("INSERT", 1)]


async def test_a_run_of_one_update_built_once_is_one_statement(database: Database) -> None:
    async with database.writer.begin() as conn:
        for i in range(5):
            await upsert(conn, things, {"thing_id": f"t{i}", "n": 0}, key=("thing_id",))
    seen = Statements()
    async with held_writes(database, seen) as conn:
        for i in range(5):
            await execute_later(conn, BUMP, [{"t": f"t{i}", "new_n": i * 10}])
        await execute_later(conn, BUMP, [{"t": "t1", "new_n": 11}])

    assert seen.sent == [("UPDATE", 6)]
    assert await rows(database) == {
        "t0": (0, None),
        "t1": (11, None),
        "t2": (20, None),
        "t3": (30, None),
        "t4": (40, None),
    }


# Quantities and an instant, for upserts given column by column.
measured = Table(
    "wb_measured",
    metadata,
    Column("measured_id", String(20), primary_key=True),
    Column("quantity", Quantity, nullable=False),
    Column("n", Integer, nullable=False),
    Column("at", Instant, nullable=True),
)


async def measured_rows(database: Database) -> dict[str, tuple[str, int]]:
    async with database.reader.connect() as conn:
        found = await conn.execute(
            select(measured.c.measured_id, measured.c.quantity, measured.c.n)
        )
        return {r.measured_id: (format(r.quantity, "f"), r.n) for r in found}


async def test_rows_given_column_by_column_are_inserted_then_set_whole(
    database: Database,
) -> None:
    seen = Statements()
    async with held_writes(database, seen) as conn:
        await upsert(conn, things, {"thing_id": "held", "n": 1}, key=["thing_id"])
        await upsert_columns(
            conn,
            measured,
            {"measured_id": ["a", "b"], "quantity": [Decimal("1.5"), Decimal(2)], "n": [1, 2]},
            key=["measured_id"],
        )
        await upsert_columns(
            conn,
            measured,
            {"measured_id": ["b", "c"], "quantity": [Decimal("0.25"), Decimal(3)], "n": [5, 3]},
            key=["measured_id"],
        )

    assert await measured_rows(database) == {
        "a": ("1.5000", 1),
        "b": ("0.2500", 5),
        "c": ("3.0000", 3),
    }
    assert (await rows(database))["held"] == (1, None)  # held writes went first
    if database.url.get_backend_name() == "postgresql":
        assert seen.sent == [("INSERT", 1), ("INSERT", 1), ("INSERT", 1)]  # one per call


@POSTGRES_ONLY
async def test_rows_given_column_by_column_add_to_the_columns_asked(database: Database) -> None:
    async with database.writer.begin() as conn:
        for quantity, n in (("1.5", 1), ("2.25", 2)):
            await upsert_columns(
                conn,
                measured,
                {"measured_id": ["a"], "quantity": [Decimal(quantity)], "n": [n]},
                key=["measured_id"],
                add=["quantity"],
            )

    assert await measured_rows(database) == {"a": ("3.7500", 2)}


# Awkward values for columns sent as one array literal each (text and numbers).
worded = Table(
    "wb_worded",
    metadata,
    Column("worded_id", Integer, primary_key=True),
    Column("words", String(40), nullable=True),
    Column("amount", Quantity, nullable=True),
)
AWKWARD_WORDS = [
    "plain",
    'a "quoted" word',
    "back\\slash\\",
    "comma, {brace}",
    "",
    "NULL",
    None,
    "  spaced  ",
    "ünïcødé",
]
AWKWARD_AMOUNTS = [
    Decimal("1E+3"),
    Decimal("-0.0001"),
    None,
    Decimal("12345678901234.5678"),
    Decimal(7),
    Decimal("0.5"),
    Decimal(0),
    Decimal("-3"),
    None,
]


@pytest.mark.parametrize("with_none", [True, False], ids=["with-none", "without-none"])
async def test_awkward_text_and_numbers_given_column_by_column_are_kept_as_given(
    database: Database, with_none: bool
) -> None:
    kept = [
        (i, words, amount)
        for i, (words, amount) in enumerate(zip(AWKWARD_WORDS, AWKWARD_AMOUNTS, strict=True))
        if with_none or (words is not None and amount is not None)
    ]
    async with database.writer.begin() as conn:
        await upsert_columns(
            conn,
            worded,
            {
                "worded_id": [i for i, _, _ in kept],
                "words": [words for _, words, _ in kept],
                "amount": [amount for _, _, amount in kept],
            },
            key=["worded_id"],
        )

    async with database.reader.connect() as conn:
        found = (await conn.execute(select(worded).order_by(worded.c.worded_id))).all()
    assert [(r.worded_id, r.words, r.amount) for r in found] == kept


async def test_a_quantity_with_more_places_is_refused_given_column_by_column(
    database: Database,
) -> None:
    with pytest.raises((ValueError, StatementError), match="more than 4 decimal places"):
        async with database.writer.begin() as conn:
            await upsert_columns(
                conn,
                measured,
                {
                    "measured_id": ["a", "b"],
                    "quantity": [Decimal(1), Decimal("0.00001")],
                    "n": [1, 1],
                },
                key=["measured_id"],
            )

    assert await measured_rows(database) == {}


@POSTGRES_ONLY
async def test_a_column_whose_values_need_converting_is_not_sent_as_an_array(
    database: Database,
) -> None:
    with pytest.raises(TypeError, match=r"wb_measured\.at"):
        async with database.writer.begin() as conn:
            await upsert_columns(
                conn,
                measured,
                {"measured_id": ["a"], "quantity": [Decimal(1)], "n": [1], "at": [None]},
                key=["measured_id"],
            )
