"""Alembic, run for one service: ``svl migrate`` and each service's ``migrations/env.py`` use it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, make_url, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(service: str, database_url: str) -> Config:
    """An alembic configuration for ``service``, whose migrations are ``<service>.migrations``."""
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Migrate one service's database to ``revision`` (and put a SQLite file in WAL mode)."""
    command.upgrade(alembic_config(service, database_url), revision)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        # Persistent for the file: readers then never wait for writers. Done here, once, with
        # no other connection open, rather than racing for the lock on every connect.
        with contextlib.closing(sqlite3.connect(url.database)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


def run_env(target_metadata: MetaData | None = None) -> None:
    """The body of every service's ``migrations/env.py``: migrate online over an async engine."""
    config = context.config
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `svl migrate`")

    def migrate(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    _run_coroutine(run())


def _run_coroutine(coro: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    # Called from inside a running loop (an async test): run on a fresh loop in a thread.
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
