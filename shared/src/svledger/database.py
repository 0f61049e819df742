"""Database engines for a service: one PostgreSQL engine, or a writer and a reader on SQLite.

SQLite allows one writer at a time. A transaction that reads and then writes (load a stream,
append to it) must take the write lock up front (``BEGIN IMMEDIATE``), or a concurrent commit
makes its upgrade fail. The writer engine therefore begins every transaction immediately and
keeps one connection, so writers in one process queue instead of spinning on ``busy_timeout``;
readers get their own pool and never wait for writers (WAL mode).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


class Database:
    """The engines a service writes and reads with."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            self.writer = _sqlite_engine(url, echo=echo, immediate=True)
            self.reader = _sqlite_engine(url, echo=echo, immediate=False)
        else:
            # No pre-ping: it costs a round trip on every append; stale connections are
            # recycled instead, and a failed statement surfaces as an error to retry.
            self.writer = create_async_engine(
                url,
                echo=echo,
                pool_size=20,
                max_overflow=20,
                pool_recycle=1800,
                pool_reset_on_return=None,  # every use is a begin() that commits or rolls back
            )
            self.reader = self.writer

    @property
    def is_postgres(self) -> bool:
        """True on PostgreSQL, where commit order needs the visibility horizon."""
        return self.dialect == "postgresql"

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


def _sqlite_engine(url: str, *, echo: bool, immediate: bool) -> AsyncEngine:
    kwargs: dict[str, Any] = {"echo": echo, "pool_reset_on_return": None}
    if immediate:
        kwargs.update(pool_size=1, max_overflow=0)
    else:
        kwargs.update(poolclass=NullPool)
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # busy_timeout first: every later statement may meet a writer's lock. WAL mode is a
        # property of the file, set once by `svl migrate` (svledger.migrate.upgrade): setting it
        # here, on every connection, could fail with "database is locked" under load.
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    begin_sql = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

    return engine
