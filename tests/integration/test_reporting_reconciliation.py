"""Reconciliation: every report's delivered totals equal the sum of accepted return lines.

Random contracts, obligations and returns (submitted, queried, amended, accepted, corrected
after acceptance) go in through the consumers; the totals come out over HTTP, grouped every
way a report groups them, and must equal what an auditor would add up from the accepted
returns' current lines by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reporting.main import create_app
from reporting.settings import load_settings
from svledger.clock import FixedClock
from svledger.consumers import apply_once

from tests.conftest import DatabaseFactory
from tests.integration.test_reporting_portfolio import (
    QUARTERS,
    Log,
    as_org,
    consumer_for,
    line,
    obligation,
)

MEASURES = {"NT1": "FTE", "NT10": "weeks", "NT14": "GBP", "NT17": "hours"}
SUPPLIERS = ["org-a", "org-b", "org-c"]
REVIEWS = ["submitted", "accepted", "queried", "amended", "amended-accepted", "corrected"]
ACCEPTED = {"accepted", "amended-accepted", "corrected"}

quantities = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False).map(str)


@dataclass
class Drawn:
    """One random portfolio, and what an auditor adds up from its accepted returns."""

    buyer: str
    log: Log = field(default_factory=Log)
    by_measure: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    by_quarter: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    by_supplier: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))


@st.composite
def portfolios(draw: st.DrawFn) -> Drawn:
    drawn = Drawn(buyer=f"org-buyer-{uuid.uuid4().hex[:8]}")
    for n in range(draw(st.integers(1, 3))):
        contract_id = str(uuid.uuid4())
        supplier = draw(st.sampled_from(SUPPLIERS))
        obligations = [
            obligation(measure, draw(quantities), unit=MEASURES[measure])
            for measure in draw(st.lists(st.sampled_from(sorted(MEASURES)), min_size=1, max_size=3))
        ]
        drawn.log.awarded(
            contract_id,
            reference=f"R-{n}",
            buyer=drawn.buyer,
            supplier=supplier,
            obligations=obligations,
        )
        for period in draw(st.lists(st.sampled_from(QUARTERS), unique=True, max_size=4)):
            review = draw(st.sampled_from(REVIEWS))
            first, second = (
                [line(ob, draw(quantities)) for ob in obligations if draw(st.booleans())]
                for _ in range(2)
            )
            final = _record(drawn.log, contract_id, period, review, first, second)
            if review in ACCEPTED:
                for returned in final:
                    ob = next(
                        o for o in obligations if o["obligation_id"] == returned["obligation_id"]
                    )
                    quantity = Decimal(returned["quantity"])
                    drawn.by_measure[ob["measure"]] += quantity
                    drawn.by_quarter[period] += quantity
                    drawn.by_supplier[supplier] += quantity
    return drawn


def _record(
    log: Log,
    contract_id: str,
    period: str,
    review: str,
    first: list[dict[str, Any]],
    second: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The return's events along one review path; the lines its current version holds."""
    day = date(2026, 12, 1)
    log.submitted(contract_id, period, first, day, due_on=date(2027, 5, 1))
    if review == "submitted":
        return first
    if review == "accepted":
        log.reviewed(contract_id, period, day)
        return first
    if review == "corrected":
        log.reviewed(contract_id, period, day)
        log.revised(contract_id, period, second, day, version=2, corrected=True)
        return second
    log.reviewed(contract_id, period, day, accepted=False)
    if review == "queried":
        return first
    log.revised(contract_id, period, second, day, version=2)
    if review == "amended-accepted":
        log.reviewed(contract_id, period, day, version=2)
    return second


def delivered(body: dict[str, Any]) -> dict[str, Decimal]:
    """Each group's delivered units, added over its measures (as an auditor would)."""
    return {
        g["key"]: sum((Decimal(m["delivered"]) for m in g["measures"]), Decimal(0))
        for g in body["groups"]
    }


def nonzero(totals: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: v for k, v in totals.items() if v != 0}


async def reconcile(database_url: str, drawn: Drawn) -> None:
    config = load_settings(
        database_url=database_url, environment="test", run_relay=False, run_consumers=False
    )
    app = create_app(config, FixedClock.at(date(2027, 6, 1)))
    try:
        service = app.state.service
        for event in drawn.log.events:
            await apply_once(service.store, consumer_for(event), event)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:

            async def report(path: str) -> dict[str, Any]:
                response = await client.get(path, headers=as_org(drawn.buyer))
                assert response.status_code == 200, response.text
                body: dict[str, Any] = response.json()
                return body

            by_measure = delivered(await report("/portfolio/by/measure"))
            by_quarter = delivered(await report("/portfolio/by/quarter"))
            by_supplier = delivered(await report("/portfolio/by/supplier"))
            by_year = delivered(await report("/portfolio/by/year"))
            portfolio = await report("/portfolio")
    finally:
        await app.state.runtime.stop()

    assert nonzero(by_measure) == nonzero(drawn.by_measure)
    assert nonzero(by_quarter) == nonzero(drawn.by_quarter)
    assert nonzero(by_supplier) == nonzero(drawn.by_supplier)
    everything = sum(drawn.by_measure.values(), Decimal(0))
    assert sum(by_year.values(), Decimal(0)) == everything
    assert len(portfolio["contracts"]) == len(
        {e.stream_id for e in drawn.log.events if e.aggregate == "contract"}
    )


@pytest.fixture
async def database_url(make_database: DatabaseFactory) -> str:
    return await make_database("reporting")


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=portfolios())
def test_report_totals_equal_the_sum_of_accepted_return_lines(
    database_url: str, drawn: Drawn
) -> None:
    # Each example has a buyer of its own, so examples sharing the database never meet.
    asyncio.run(reconcile(database_url, drawn))
