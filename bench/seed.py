"""A seeded generator of contracts and returns, appended straight into the producing
services' event stores (commitments' contracts, measurement's returns) with svledger; the
services' relays and consumers carry them to everyone else."""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from commitments.adapters.frameworks import Frameworks, load_default_framework
from commitments.domain.contract import Contract, ContractTerms, ObligationTerms, TargetsGiven
from measurement.application.returns import ReturnDraft, review_return, submit_return
from measurement.domain.assessment import Thresholds
from measurement.domain.schedule import ReturnLine
from measurement.settings import MeasurementSettings
from svledger.auth import Principal, Role
from svledger.clock import system_clock
from svledger.database import Database
from svledger.envelope import Metadata
from svledger.eventstore import EventStore

RETURN_DUE_DAYS = 365


def quarter_start(day: date) -> date:
    """The first day of the calendar quarter (and so financial quarter) containing ``day``."""
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarters_back(start: date, n: int) -> date:
    """The quarter start ``n`` quarters before ``start``."""
    months = start.year * 12 + start.month - 1 - 3 * n
    return date(months // 12, months % 12 + 1, 1)


def period_of(start: date) -> str:
    """The reporting period (UK financial year quarter) starting on ``start``: 2026-27-Q1."""
    fy = start.year if start.month >= 4 else start.year - 1
    return f"{fy}-{(fy + 1) % 100:02d}-Q{(start.month - 4) % 12 // 3 + 1}"


# Contracts run five years (twenty quarters) from four quarters before today's, with returns
# due a year after each quarter: five quarters may be returned now and none is overdue yet
# (so registering a contract does not raise a storm of overdue alerts).
_TODAY = date.today()
STARTS_ON = quarters_back(quarter_start(_TODAY), 4)
ENDS_ON = date(STARTS_ON.year + 5, STARTS_ON.month, 1) - timedelta(days=1)
PAST_PERIODS = [period_of(quarters_back(quarter_start(_TODAY), n)) for n in range(4, -1, -1)]
SHARES = [Decimal(x) for x in ("0.3", "0.6", "0.9", "1.0", "1.2")]


@dataclass(frozen=True, slots=True)
class SeededContract:
    """What a benchmark needs to know about a contract it made."""

    contract_id: str
    buyer: str
    supplier: str
    obligations: tuple[tuple[str, Decimal], ...]  # (obligation id, target per quarter)


async def _framework_measures(store: EventStore) -> tuple[object, list[str]]:
    frameworks = Frameworks(load_default_framework())
    framework = await frameworks.pinned(store.load, None, "framework_version")
    return framework, sorted(framework.measures)


async def seed_contracts(
    url: str,
    count: int,
    *,
    obligations: int,
    buyers: list[str],
    suppliers: list[str],
    seed: int,
    prefix: str,
    batch: int = 200,
) -> list[SeededContract]:
    """Append ``count`` ContractAwarded events (one contract each) to commitments' store,
    ``batch`` contracts a transaction; buyers and suppliers are dealt round robin."""
    rng = random.Random(seed)  # noqa: S311 (a seeded generator, not for secrets)
    database = Database(url)
    store = EventStore(database)
    framework, measures = await _framework_measures(store)
    made: list[SeededContract] = []
    try:
        for start in range(0, count, batch):
            async with store.transaction() as tx:
                for i in range(start, min(count, start + batch)):
                    buyer, supplier = buyers[i % len(buyers)], suppliers[i % len(suppliers)]
                    chosen = rng.sample(measures, k=min(obligations, len(measures)))
                    targets = [Decimal(rng.randint(2, 40)) for _ in chosen]
                    terms = ContractTerms(
                        reference=f"{prefix}-{i:07d}",
                        title=f"Benchmark contract {i}",
                        buyer=buyer,
                        supplier=supplier,
                        starts_on=STARTS_ON,
                        ends_on=ENDS_ON,
                        value_gbp=Decimal(rng.randint(100, 50_000) * 1000),
                        return_due_days=RETURN_DUE_DAYS,
                        obligations=[
                            ObligationTerms(m, TargetsGiven(per_quarter=t), is_kpi=k == 0)
                            for k, (m, t) in enumerate(zip(chosen, targets, strict=True))
                        ],
                    )
                    contract_id = uuid.uuid4()
                    event = Contract.award(contract_id, terms, framework)  # type: ignore[arg-type]
                    meta = Metadata(actor="bench-seeder", organisation=buyer)
                    await tx.append(Contract.stream_id(str(contract_id)), 0, [event], meta)
                    obs = tuple(
                        (str(ob["obligation_id"]), t)
                        for ob, t in zip(event.data["obligations"], targets, strict=True)
                    )
                    made.append(SeededContract(str(contract_id), buyer, supplier, obs))
    finally:
        await database.dispose()
    return made


async def seed_returns(
    url: str,
    contracts: list[SeededContract],
    periods: list[str],
    *,
    seed: int,
    accepted: int = 0,
    concurrency: int = 8,
) -> tuple[int, list[SeededContract]]:
    """Submit a return for each contract and period through measurement's own application
    code on its event store (assessed, alerts raised), bypassing HTTP, and have the buyer
    accept the first ``accepted`` periods' returns; how many returns were stored, and the
    last contract each writer finished (to poll for).

    An accepted return's targets are due to date and its lines delivered, so the reports
    weigh delivery against them as they do in a portfolio some way into its contracts."""
    rng = random.Random(seed)  # noqa: S311 (a seeded generator, not for secrets)
    settings = MeasurementSettings()
    thresholds = Thresholds(settings.green_threshold, settings.amber_threshold)
    database = Database(url)
    store = EventStore(database)
    order = list(contracts)
    rng.shuffle(order)
    queue: asyncio.Queue[SeededContract] = asyncio.Queue()
    for item in order:
        queue.put_nowait(item)
    stored = 0
    last: list[SeededContract] = []

    async def worker() -> None:
        # One contract at a time, its periods in order: no two writers on one schedule.
        nonlocal stored
        done: SeededContract | None = None
        while not queue.empty():
            contract = queue.get_nowait()
            supplier = Principal(
                subject="bench-seeder",
                organisation=contract.supplier,
                roles=frozenset([Role.SUPPLIER]),
            )
            buyer = Principal(
                subject="bench-seeder", organisation=contract.buyer, roles=frozenset([Role.BUYER])
            )
            for n, period in enumerate(periods):
                lines = [
                    ReturnLine(ob, (target * rng.choice(SHARES)).quantize(Decimal("0.01")))
                    for ob, target in contract.obligations
                ]
                await submit_return(
                    store,
                    system_clock,
                    thresholds,
                    supplier=supplier,
                    contract_id=uuid.UUID(contract.contract_id),
                    draft=ReturnDraft(period, lines, "seeded by the benchmark"),
                )
                if n < accepted:
                    await review_return(
                        store,
                        system_clock,
                        buyer,
                        contract_id=uuid.UUID(contract.contract_id),
                        period=period,
                        query=None,
                    )
                stored += 1
            done = contract
        if done is not None:
            last.append(done)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await database.dispose()
    return stored, last
