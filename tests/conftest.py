"""Fixtures shared by every tier: the real NATS server and databases on each backend."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from svledger.auth import issue_dev_token
from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.eventstore import EventStore
from svledger.migrate import upgrade
from svledger.settings import ServiceSettings

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


# For behaviour only PostgreSQL has (driver connections, a connection ceiling): such a test runs
# on PostgreSQL alone rather than being collected on SQLite and skipped there.
POSTGRES_ONLY = pytest.mark.parametrize(
    "backend", [b for b in BACKENDS if b == "postgresql"], indirect=True
)


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


@pytest.fixture
async def store(make_database: DatabaseFactory) -> AsyncIterator[EventStore]:
    """An event store on a new commitments database, on the current backend."""
    database = Database(await make_database("commitments"))
    yield EventStore(database)
    await database.dispose()


@pytest.fixture
def fresh_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of the test's own, for tests that count messages or kill the server."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    yield server
    server.stop()


ClientFactory = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def service_client(
    make_database: DatabaseFactory, nats_server: NatsServer
) -> AsyncIterator[ClientFactory]:
    """Starts a service in-process (real database, real NATS) and gives an HTTP client to it."""
    stack = contextlib.AsyncExitStack()

    async def factory(
        service: str, clock: Clock = system_clock, **settings: Any
    ) -> httpx.AsyncClient:
        main = importlib.import_module(f"{service}.main")
        load = importlib.import_module(f"{service}.settings").load_settings
        config = load(
            database_url=await make_database(service),
            nats_url=nats_server.url,
            environment="test",
            **settings,
        )
        app = main.create_app(config, clock)
        await stack.enter_async_context(app.router.lifespan_context(app))
        return await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        )

    yield factory
    await _bounded(stack.aclose(), seconds=60, what="stopping the in-process services")


async def _bounded(step: Awaitable[None], *, seconds: float, what: str) -> None:
    """Run a teardown step, or fail naming what every task was waiting on when it hung."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        task.result()
        return
    for other in asyncio.all_tasks():
        print(f"--- task {other.get_name()} ---", file=sys.stderr)
        other.print_stack(file=sys.stderr)
    task.cancel()
    raise AssertionError(f"{what} took longer than {seconds:.0f}s (task stacks above)")


def bearer(organisation: str, *roles: str, subject: str = "someone") -> dict[str, str]:
    """Authorization headers with a development token."""
    token = issue_dev_token(
        ServiceSettings(), subject=subject, organisation=organisation, roles=list(roles)
    )
    return {"Authorization": f"Bearer {token}"}
