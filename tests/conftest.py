"""Fixtures shared by every tier: the real NATS server and databases on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from svledger.migrate import upgrade

from tests.harness import (
    NatsServer,
    create_postgres_database,
    drop_postgres_database,
    postgres_admin_url,
)

BACKENDS = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])

DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One nats-server for the session, on a free port with a temporary store."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database backend the machine has: SQLite always, PostgreSQL when given."""
    return str(request.param)


@pytest.fixture
async def make_database(backend: str, tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Creates an empty, migrated database for a service on the current backend."""
    made: list[str] = []
    admin = postgres_admin_url()

    async def factory(service: str) -> str:
        if backend == "postgresql":
            assert admin is not None
            url = await create_postgres_database(admin, f"svl_test_{service}")
        else:
            url = f"sqlite+aiosqlite:///{tmp_path / f'{service}.db'}"
        made.append(url)
        upgrade(service, url)
        return url

    yield factory
    if backend == "postgresql" and admin is not None:
        for url in made:
            await drop_postgres_database(admin, url)
