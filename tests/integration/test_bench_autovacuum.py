"""The benchmark's stand-in for autovacuum, on a PostgreSQL server: it analyzes the tables
autovacuum would, by autovacuum's rule, and leaves the others."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from bench.system import StandInAutovacuum
from tests.conftest import POSTGRES_ONLY, DatabaseFactory
from tests.harness import eventually, postgres_admin_url

pytestmark = POSTGRES_ONLY


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _statistics(conn: asyncpg.Connection, table: str) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT s.n_mod_since_analyze, s.last_analyze, c.reltuples FROM pg_stat_user_tables s "
        "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1",
        table,
    )
    assert row is not None
    return row


async def test_only_tables_changed_past_autovacuums_threshold_are_analyzed(
    backend: str, make_database: DatabaseFactory
) -> None:
    admin = postgres_admin_url()
    assert admin is not None
    url = await make_database("commitments")
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("CREATE TABLE filled (id integer PRIMARY KEY)")
        await conn.execute("CREATE TABLE touched (id integer PRIMARY KEY)")
        await conn.execute("INSERT INTO filled SELECT generate_series(1, 500)")
        # 50 rows and 10% of none: autovacuum's threshold, not past it.
        await conn.execute("INSERT INTO touched SELECT generate_series(1, 50)")
        await eventually(
            lambda: _statistics(conn, "filled"),
            until=lambda row: row["n_mod_since_analyze"] == 500,
            what="the server to count the inserted rows",
        )
        stand_in = StandInAutovacuum(admin, [url])

        await stand_in.analyze_changed(url)

        filled = await _statistics(conn, "filled")
        touched = await _statistics(conn, "touched")
        assert filled["last_analyze"] is not None
        assert filled["reltuples"] == 500  # the planner now knows its size
        assert filled["n_mod_since_analyze"] == 0
        assert touched["last_analyze"] is None
        assert touched["n_mod_since_analyze"] == 50
        assert stand_in.analyzed == 1  # the migrated tables hold next to nothing
        assert stand_in.failed == []
    finally:
        await conn.close()
