"""Rebuilding reporting's read models from the JetStream log gives back the same figures."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from nats.js import JetStreamContext
from reporting.adapters import projections, tables
from reporting.adapters.read_models import ReadModels
from reporting.consumers import CONSUMERS, READ_MODEL_TABLES
from sqlalchemy import Table, select
from sqlalchemy.exc import IntegrityError
from svledger.bus import connect, provision, subject_for
from svledger.consumers import Outcome, apply_batch, apply_once
from svledger.database import Database, run_again_if_deadlocked
from svledger.eventstore import EventStore, Replay
from svledger.paging import Page
from svledger.rebuild import rebuild
from svledger.schema import consumer_positions

from tests.conftest import POSTGRES_ONLY, DatabaseFactory
from tests.harness import NatsServer, eventually
from tests.integration.test_reporting_portfolio import PRODUCER_OF, Scenario, consumer_for
from tests.integration.test_reporting_projections import PRODUCERS, Contract

# A consumer position: inserted twice in one statement, it clashes with itself.
ROW = {"consumer": "reporting-contracts", "stream_id": "contract-1", "version": 1}


@pytest.fixture
async def js(fresh_nats: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await connect(fresh_nats.url, name="test-rebuild")
    await provision(nc.jetstream())
    yield nc.jetstream()
    await nc.close()


@pytest.fixture
async def store(make_database: DatabaseFactory) -> AsyncIterator[EventStore]:
    database = Database(await make_database("reporting"))
    yield EventStore(database)
    await database.dispose()


async def publish(js: JetStreamContext, contracts: list[Contract]) -> int:
    count = 0
    for contract in contracts:
        for event in contract.first_quarter_behind():
            await js.publish(
                subject_for(PRODUCERS[event.aggregate], event),
                json.dumps(event.as_json()).encode(),
                headers={"Nats-Msg-Id": str(event.event_id)},
            )
            count += 1
    return count


async def test_a_rebuild_replays_every_event_into_the_same_figures(
    store: EventStore, js: JetStreamContext
) -> None:
    contracts = [Contract() for _ in range(5)]
    published = await publish(js, contracts)
    progressed: list[int] = []
    collector = gc.get_threshold()

    first = await rebuild(store, js, CONSUMERS, READ_MODEL_TABLES, progress=progressed.append)
    again = await rebuild(store, js, CONSUMERS, READ_MODEL_TABLES)

    # a rebuild collects garbage less often while it runs, and leaves its process as it was
    assert gc.get_threshold() == collector
    assert (first.events_seen, first.events_applied) == (published, published)
    assert sum(progressed) == published
    assert (again.events_seen, again.events_applied) == (published, published)
    read_models = ReadModels(store.database)
    for contract in contracts:
        progress = await read_models.contract_progress(contract.contract_id)
        assert progress is not None
        jobs = next(o for o in progress.obligations if o.measure == "NT1")
        assert (str(jobs.committed_total), str(jobs.delivered_to_date)) == ("16.0000", "2.0000")
        assert [a.alert_id for a in progress.open_alerts] == [contract.alert_id]


@POSTGRES_ONLY
async def test_a_rebuild_leaves_the_planner_statistics_of_what_it_filled_fresh(
    store: EventStore, js: JetStreamContext
) -> None:
    await publish(js, [Contract() for _ in range(3)])
    await rebuild(store, js, CONSUMERS, READ_MODEL_TABLES)

    async def analyzed() -> set[str]:
        async with store.database.reader.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
            )
            return {r.relname for r in rows}

    wanted = {t.name for t in READ_MODEL_TABLES} | {"consumer_positions"}
    await eventually(analyzed, until=lambda names: wanted <= names, what="every table analyzed")


async def test_rebuilding_from_an_empty_log_leaves_empty_read_models(
    store: EventStore, js: JetStreamContext
) -> None:
    report = await rebuild(store, js, CONSUMERS, READ_MODEL_TABLES)
    assert (report.events_seen, report.events_applied) == (0, 0)
    assert (await ReadModels(store.database).alerts_for("anyone", None, Page())).total == 0


async def rows_of(store: EventStore, table: Table) -> list[tuple[Any, ...]]:
    """Every row of a read model, in primary-key order."""
    query = select(table).order_by(*table.primary_key.columns)
    async with store.database.reader.connect() as conn:
        return [tuple(row) for row in (await conn.execute(query)).all()]


async def test_the_rebuilt_read_models_equal_the_live_ones_row_for_row(
    store: EventStore, js: JetStreamContext
) -> None:
    # Live: the consumers applied each event as it came, streams interleaved.
    scenario = Scenario()
    events = scenario.log.events
    outcomes = [await apply_once(store, consumer_for(e), e) for e in events]
    assert set(outcomes) == {Outcome.APPLIED}
    live = {t.name: await rows_of(store, t) for t in READ_MODEL_TABLES}
    for event in events:
        await js.publish(
            subject_for(PRODUCER_OF[event.aggregate], event),
            json.dumps(event.as_json()).encode(),
            headers={"Nats-Msg-Id": str(event.event_id)},
        )

    # Rebuilt: emptied, then replayed consumer by consumer from JetStream.
    report = await rebuild(store, js, CONSUMERS, READ_MODEL_TABLES)

    assert (report.events_seen, report.events_applied) == (len(events), len(events))
    rebuilt = {t.name: await rows_of(store, t) for t in READ_MODEL_TABLES}
    assert {name for name, rows in live.items() if rows} == {
        "contracts",
        "obligations",
        "obligation_targets",
        "schedule_periods",
        "returns",
        "return_lines",
        "alerts",
        "proxy_values",
        "pledges",
        "pledge_figures",
        "deliveries",
        "consumer_marks",
        "portfolio_cells",
        "contract_cells",
        "contract_sums",
        "framework_measures",
    }
    for name, rows in live.items():
        assert rebuilt[name] == rows, name


async def test_a_replay_sums_each_contract_once_after_its_last_event(
    store: EventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A replay's transactions leave the contracts' sums for its end, which sums them a few
    # contracts per transaction (two here, so the scenario's contracts take several).
    monkeypatch.setattr(projections, "_REPLAYED_PER_TRANSACTION", 2)
    scenario = Scenario()
    replay = Replay()
    for event in scenario.log.events:
        assert await apply_batch(store, consumer_for(event), [event], replay=replay) == [
            Outcome.APPLIED
        ]
    contracts = {row[0] for row in await rows_of(store, tables.contracts)}
    assert len(contracts) > 2
    assert await rows_of(store, tables.portfolio_cells) == []
    assert await rows_of(store, tables.contract_cells) == []
    assert await rows_of(store, tables.contract_sums) == []

    assert await replay.finish(store) is True

    assert {row[0] for row in await rows_of(store, tables.contract_cells)} == contracts
    assert {row[0] for row in await rows_of(store, tables.contract_sums)} == contracts
    assert await rows_of(store, tables.portfolio_cells) != []
    assert await replay.finish(store) is False  # the work is done once


@POSTGRES_ONLY
async def test_a_transaction_aborted_as_one_side_of_a_deadlock_is_run_again(
    store: EventStore,
) -> None:
    # A rebuild's transactions and the service's running consumers write the same rows in no
    # agreed order; PostgreSQL aborts one side of a deadlock, and the rebuild's is run again.
    db = store.database
    async with db.writer.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE crossed (id INT PRIMARY KEY, n INT NOT NULL)")
        await conn.exec_driver_sql("INSERT INTO crossed VALUES (1, 0), (2, 0)")
    consumer_holds_1 = asyncio.Event()
    attempts: list[int] = []

    async def consumer() -> None:  # takes row 1, then (once the rebuild waits for it) row 2
        async with db.writer.begin() as conn:
            await conn.exec_driver_sql("UPDATE crossed SET n = n + 1 WHERE id = 1")
            consumer_holds_1.set()
            await eventually(waiting_for_a_lock, what="the rebuild waiting for row 1")
            await conn.exec_driver_sql("UPDATE crossed SET n = n + 1 WHERE id = 2")

    async def rebuild_step() -> None:  # takes row 2, then row 1
        attempts.append(len(attempts) + 1)
        async with db.writer.begin() as conn:
            await conn.exec_driver_sql("UPDATE crossed SET n = n + 10 WHERE id = 2")
            await consumer_holds_1.wait()
            await conn.exec_driver_sql("UPDATE crossed SET n = n + 10 WHERE id = 1")

    async def waiting_for_a_lock() -> bool:
        async with db.reader.connect() as conn:
            found = await conn.exec_driver_sql("SELECT count(*) FROM pg_locks WHERE NOT granted")
            return bool(found.scalar_one())

    await asyncio.gather(consumer(), run_again_if_deadlocked(rebuild_step))

    async with db.reader.connect() as conn:
        rows = (await conn.exec_driver_sql("SELECT id, n FROM crossed ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 11), (2, 11)]  # both sides' writes, once each
    assert attempts == [1, 2]


async def test_a_failure_other_than_a_deadlock_is_not_run_again(store: EventStore) -> None:
    attempts: list[int] = []

    async def clash() -> None:
        attempts.append(1)
        async with store.database.writer.begin() as conn:
            await conn.execute(consumer_positions.insert(), [ROW, ROW])

    with pytest.raises(IntegrityError):
        await run_again_if_deadlocked(clash)
    assert attempts == [1]
