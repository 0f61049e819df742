"""Database engines for a service: one PostgreSQL engine, or a writer and a reader on SQLite.

SQLite allows one writer at a time. A transaction that reads and then writes (load a stream,
append to it) must take the write lock up front (``BEGIN IMMEDIATE``), or a concurrent commit
makes its upgrade fail. The writer engine therefore begins every transaction immediately and
keeps one connection, so writers in one process queue instead of spinning on ``busy_timeout``;
readers get their own pool and never wait for writers (WAL mode).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, suppress
from types import TracebackType
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Table, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, PoolProxiedConnection

T = TypeVar("T")


class Database:
    """The engines a service writes and reads with."""

    # On PostgreSQL at most POOL_SIZE + POOL_OVERFLOW + DRIVER_CONNECTIONS connections are open
    # (deploy/ sizes each role's connection limit for that many per pod).
    POOL_SIZE = 20
    POOL_OVERFLOW = 10
    DRIVER_CONNECTIONS = 10

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
                pool_size=self.POOL_SIZE,
                max_overflow=self.POOL_OVERFLOW,
                pool_recycle=1800,
                pool_reset_on_return=None,  # every use is a begin() that commits or rolls back
                # No JIT: the services' statements are short, and the reports over a national
                # buyer's contracts are just costly enough in the planner's eyes to be compiled
                # first, which took 60-120 ms of a 240-420 ms statement and saved nothing.
                connect_args={"server_settings": {"jit": "off"}},
            )
            self.reader = self.writer
        self._drivers = (
            _DriverConnections(self.writer, self.DRIVER_CONNECTIONS) if self.is_postgres else None
        )

    @property
    def is_postgres(self) -> bool:
        """True on PostgreSQL, where commit order needs the visibility horizon."""
        return self.dialect == "postgresql"

    def driver_connection(self) -> AbstractAsyncContextManager[asyncpg.Connection]:
        """An asyncpg connection outside any transaction, so each statement on it commits on
        its own (PostgreSQL only).

        For hot paths that are one statement (event-store appends and reads), where
        SQLAlchemy's connection, transaction and pool checkout cost several times the
        statement itself. The connections come from a small set of their own, beside the pool.
        """
        if self._drivers is None:
            raise TypeError(f"driver connections are for PostgreSQL, not {self.dialect}")
        return _DriverLease(self._drivers)

    async def analyze(self, tables: Sequence[Table] = ()) -> None:
        """Refresh the query planner's statistics of ``tables`` (of every table, given none):
        after they were emptied and filled again at once (a rebuild, a bulk load), the planner
        would otherwise go on estimating from what they held before, until autovacuum gets
        round to them."""
        quote = self.writer.dialect.identifier_preparer.quote
        statements = [f"ANALYZE {quote(t.name)}" for t in tables] or ["ANALYZE"]
        async with self.writer.begin() as conn:
            for statement in statements:
                await conn.exec_driver_sql(statement)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._drivers is not None:
            await self._drivers.close()
        await self.writer.dispose()
        if self.reader is not self.writer:
            await self.reader.dispose()


class _DriverConnections:
    """A few asyncpg connections kept out of SQLAlchemy's pool, lent one caller at a time.

    Each is opened through the engine (so it gets the same connect arguments and JSON codecs)
    and then detached from the pool. At most ``size`` exist; callers beyond that wait.
    """

    def __init__(
        self, engine: AsyncEngine, size: int, recycle_s: float = 1800, close_timeout_s: float = 5
    ) -> None:
        self.engine = engine
        self.slots = asyncio.Semaphore(size)
        self.idle: list[tuple[asyncpg.Connection, float]] = []
        self.recycle_s = recycle_s
        # How long a lease given up mid-statement waits for the server before dropping the socket.
        self.close_timeout_s = close_timeout_s

    async def open(self) -> tuple[asyncpg.Connection, float]:
        """A new connection and when it was opened."""
        fairy = await self.engine.raw_connection()
        driver = _driver(fairy)
        fairy.detach()
        return driver, time.monotonic()

    async def close(self) -> None:
        """Close the idle connections."""
        idle, self.idle = self.idle, []
        for driver, _ in idle:
            await driver.close()


class _DriverLease:
    """One use of a connection from :class:`_DriverConnections` (a class rather than a
    generator-based context manager: this is on the path of every append)."""

    __slots__ = ("_driver", "_opened", "_set")

    def __init__(self, drivers: _DriverConnections) -> None:
        self._set = drivers

    async def __aenter__(self) -> asyncpg.Connection:
        drivers = self._set
        await drivers.slots.acquire()
        try:
            driver, opened = drivers.idle.pop() if drivers.idle else await drivers.open()
            if time.monotonic() - opened > drivers.recycle_s:
                driver.terminate()
                driver, opened = await drivers.open()
        except BaseException:
            drivers.slots.release()
            raise
        self._driver, self._opened = driver, opened
        return driver

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        driver = self._driver
        # A statement the server refused leaves the connection sound; anything else (a lost
        # connection, a task cancelled mid-statement) leaves it in a state nobody knows.
        if exc is None or (isinstance(exc, asyncpg.PostgresError) and not driver.is_closed()):
            self._set.idle.append((driver, self._opened))
            self._set.slots.release()
            return
        # Closed gracefully, not terminated: dropping the socket of a cancelled statement leaves
        # the server running it, so a cancelled append would commit after its caller had moved
        # on, and the slot would be refilled while the old server process still counted
        # against the connection limit. close() first waits for the server to answer asyncpg's
        # cancel request. If close() fails it has terminated the connection instead, and the
        # caller's own exception is the one to raise.
        try:
            with suppress(Exception):
                await driver.close(timeout=self._set.close_timeout_s)
        finally:
            self._set.slots.release()


# What PostgreSQL says when it aborts a transaction that another one's locks would otherwise
# wait on for ever (deadlock), or that cannot be serialised with them: run it again and it
# commits.
_RUN_AGAIN = frozenset({"40P01", "40001"})


async def run_again_if_deadlocked(
    work: Callable[[], Awaitable[T]], *, attempts: int = 5, first_wait: float = 0.05
) -> T:
    """Run the transaction ``work`` opens, and run it again (up to ``attempts`` times, waiting
    longer each time) if PostgreSQL aborted it as one side of a deadlock. Only for work that
    writes nothing outside that transaction, so that running it again is safe."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _RUN_AGAIN or attempt == attempts:
                raise
        await asyncio.sleep(first_wait * 2 ** (attempt - 1))
    raise AssertionError("unreachable: the last attempt returns or raises")


async def driver_of(conn: AsyncConnection) -> asyncpg.Connection:
    """The asyncpg connection under a SQLAlchemy connection on PostgreSQL; statements on it
    run in the connection's transaction once SQLAlchemy has begun it."""
    return _driver(await conn.get_raw_connection())


def _driver(connection: PoolProxiedConnection) -> asyncpg.Connection:
    driver = connection.driver_connection
    if not isinstance(driver, asyncpg.Connection):
        raise TypeError(f"expected an asyncpg connection, got {type(driver).__name__}")
    return driver


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
