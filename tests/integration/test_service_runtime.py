"""A service's runtime, as its process sees it: what start-up sets aside, and what stopping
leaves behind."""

from __future__ import annotations

import gc

from brokerage.main import create_app
from brokerage.settings import load_settings

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer


async def test_a_running_service_collects_garbage_less_often_and_stops_as_it_started(
    make_database: DatabaseFactory, nats_server: NatsServer
) -> None:
    settings = load_settings(
        database_url=await make_database("brokerage"),
        nats_url=nats_server.url,
        environment="test",
        run_relay=False,
    )
    runtime = create_app(settings).state.service.runtime
    before = gc.get_threshold()

    await runtime.start()
    try:
        running = gc.get_threshold()
        set_aside = gc.get_freeze_count()
    finally:
        await runtime.stop()

    # start-up's objects are set aside, and the youngest objects are collected far less often
    assert set_aside > 0
    assert running == (50_000, *before[1:])
    # a process that starts services again (the tests) is left as it was
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
