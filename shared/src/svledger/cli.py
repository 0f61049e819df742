"""``svl``: the operator's command line (tokens, streams, migrations, lag, local run)."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from svledger.auth import Role, issue_dev_token
from svledger.bus import SERVICES, ConsumerSpec, connect, provision
from svledger.settings import ServiceSettings

app = typer.Typer(help="Social Value Ledger operations.", no_args_is_help=True)
streams = typer.Typer(help="JetStream streams and consumers.", no_args_is_help=True)
app.add_typer(streams, name="streams")
ocds = typer.Typer(help="OCDS release packages.", no_args_is_help=True)
app.add_typer(ocds, name="ocds")
console = Console()

DEFAULT_PORTS = {"commitments": 8101, "measurement": 8102, "brokerage": 8103, "reporting": 8104}


def service_settings(service: str) -> ServiceSettings:
    """A service's settings as the service itself would read them."""
    if service not in DEFAULT_PORTS:
        raise typer.BadParameter(f"unknown service '{service}'; one of {', '.join(SERVICES)}")
    return ServiceSettings.for_service(service, DEFAULT_PORTS[service])


@app.command()
def token(
    org: Annotated[str, typer.Option(help="the organisation id the token speaks for")],
    role: Annotated[list[Role], typer.Option(help="a role; repeat for several")],
    sub: Annotated[str, typer.Option(help="the user id")] = "dev-user",
    hours: Annotated[int, typer.Option(help="hours until it expires")] = 12,
) -> None:
    """Issue a development token (signed with the development secret)."""
    settings = ServiceSettings()
    typer.echo(
        issue_dev_token(
            settings,
            subject=sub,
            organisation=org,
            roles=[r.value for r in role],
            ttl_s=hours * 3600,
        )
    )


@streams.command("provision")
def provision_streams(
    replicas: Annotated[int, typer.Option(help="stream replicas (3 in production)")] = 1,
) -> None:
    """Create or update every stream and every service's consumers."""

    async def run() -> list[str]:
        settings = ServiceSettings()
        nc = await connect(settings.nats_url, name="svl-provision")
        try:
            return await provision(
                nc.jetstream(), consumers=_declared_consumers(), replicas=replicas
            )
        finally:
            await nc.drain()

    for line in asyncio.run(run()):
        console.print(line)


def _declared_consumers() -> list[ConsumerSpec]:
    specs: list[ConsumerSpec] = []
    for service in SERVICES:
        module = importlib.import_module(f"{service}.consumers")
        specs.extend(c.spec for c in getattr(module, "CONSUMERS", ()))
    return specs


@ocds.command("validate")
def ocds_validate(
    packages: Annotated[
        list[Path], typer.Argument(help="OCDS release package files (JSON)", exists=True)
    ],
) -> None:
    """Check release packages before publishing: OCDS 1.1.5 with the metrics extension, offline."""
    from reporting.cli import validate_ocds

    validate_ocds(packages)


@app.command()
def migrate(
    service: Annotated[
        list[str] | None, typer.Argument(help="services to migrate (all by default)")
    ] = None,
) -> None:
    """Run each service's alembic migrations up to head."""
    from svledger.migrate import upgrade

    for name in service or list(SERVICES):
        settings = service_settings(name)
        upgrade(name, settings.resolved_database_url())
        console.print(f"{name}: migrated")


@app.command()
def lag() -> None:
    """How far each relay and each consumer is behind."""
    asyncio.run(_lag())


async def _lag() -> None:
    from nats.js.errors import NotFoundError

    from svledger.database import Database
    from svledger.eventstore import EventStore
    from svledger.relay import Relay

    table = Table("what", "name", "behind", "detail")
    nc = await connect(ServiceSettings().nats_url, name="svl-lag")
    js = nc.jetstream()
    try:
        for service in SERVICES:
            database = Database(service_settings(service).resolved_database_url())
            store = EventStore(database)
            status = await Relay(store, js, service).status()
            total = await store.count()
            table.add_row(
                "relay",
                service,
                str(status.behind),
                f"{total - status.behind} of {total} events published",
            )
            await database.dispose()
        for spec in _declared_consumers():
            try:
                info = await js.consumer_info(spec.stream, spec.name)
            except NotFoundError:
                table.add_row("consumer", spec.name, "?", "not provisioned")
                continue
            table.add_row(
                "consumer",
                spec.name,
                str(info.num_pending),
                f"unacked {info.num_ack_pending}, redelivered {info.num_redelivered}",
            )
    finally:
        await nc.drain()
    console.print(table)


@app.command()
def rebuild(
    service: Annotated[str, typer.Argument(help="the service whose read models to rebuild")],
) -> None:
    """Drop a service's read models and rebuild them by replaying JetStream from the start."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from svledger.database import Database
    from svledger.eventstore import EventStore
    from svledger.rebuild import rebuild as run_rebuild

    module = importlib.import_module(f"{service}.consumers")
    consumers = list(getattr(module, "CONSUMERS", ()))
    tables = list(getattr(module, "READ_MODEL_TABLES", ()))
    if not tables:
        raise typer.BadParameter(f"{service} declares no read models to rebuild")

    async def run() -> None:
        database = Database(service_settings(service).resolved_database_url())
        nc = await connect(ServiceSettings().nats_url, name=f"svl-rebuild-{service}")
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        try:
            with Progress(*columns, console=console) as bar:
                task = bar.add_task(f"rebuilding {service}", total=None)
                report = await run_rebuild(
                    EventStore(database),
                    nc.jetstream(),
                    consumers,
                    tables,
                    progress=lambda n: bar.advance(task, n),
                    on_total=lambda n: bar.update(task, total=n),
                )
        finally:
            await nc.drain()
            await database.dispose()
        console.print(
            f"{service}: {report.events_seen} events replayed, {report.events_applied} applied "
            f"by {report.consumers} consumers"
        )

    asyncio.run(run())


@app.command()
def worker(
    service: Annotated[str, typer.Argument(help="the service whose relay and consumers to run")],
) -> None:
    """Run a service's relay and consumers without its HTTP API."""
    from svledger.logs import configure_logging

    settings = service_settings(service)
    configure_logging(service, settings.log_level, as_json=settings.log_json)
    bootstrap = importlib.import_module(f"{service}.bootstrap").bootstrap

    async def run() -> None:
        wired = bootstrap(settings)
        await wired.runtime.start()
        try:
            await asyncio.Event().wait()
        finally:
            await wired.runtime.stop()

    asyncio.run(run())


@app.command()
def run() -> None:
    """Start NATS and the four services locally, and print where to look. Ctrl-C stops all."""
    from svledger.devrun import run_everything

    run_everything(DEFAULT_PORTS)
