"""Reporting's portfolio reports, fed the events of the other three services, read over HTTP.

One scenario, as of 15 January 2027: Wirral Council let two contracts (one over GBP 5m with
KPIs, one small), another council let a third to the same supplier. Returns came in, some
accepted, some awaiting review, one late, one quarter overdue; proxy values were loaded for
two measures; the supplier pledged Partner VCFSE targets and its partners confirmed deliveries.
Events go in through the consumers (``apply_once``), figures come out as users read them.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from pydantic import BaseModel
from reporting.adapters.ocds_validation import parse, validate_package
from reporting.adapters.tables import contract_sums
from reporting.api.schemas import BreakdownOut, KpiRatingsOut, PortfolioOut
from reporting.bootstrap import Reporting
from reporting.consumers import CONSUMERS
from reporting.domain.cells import SUMMED_BY
from reporting.domain.kpi import KpiRule, rate_contract
from reporting.domain.portfolio import BY_CONTRACTS_SUMMED, Dimension, Portfolio, Tally
from reporting.main import create_app
from reporting.settings import load_settings
from sqlalchemy import delete, select
from svledger.auth import issue_dev_token
from svledger.clock import FixedClock
from svledger.consumers import Consumer, Outcome, apply_batch, apply_once
from svledger.envelope import EventEnvelope, Metadata

from tests.conftest import DatabaseFactory
from tests.harness import NatsServer

WIRRAL = "org-wirral-council"
OTHER_BUYER = "org-another-council"
BUILDERS = "org-mersey-builders"
CARE = "org-liverpool-care"
TODAY = date(2027, 1, 15)
QUARTERS = ["2026-27-Q1", "2026-27-Q2", "2026-27-Q3", "2026-27-Q4"]

PRODUCER_OF = {
    "contract": "commitments",
    "framework": "commitments",
    "pledge": "commitments",
    "schedule": "measurement",
    "alert": "measurement",
    "match": "brokerage",
}
CONSUMER_OF = {
    "contract": "reporting-contracts",
    "framework": "reporting-frameworks",
    "pledge": "reporting-pledges",
    "schedule": "reporting-schedules",
    "alert": "reporting-alerts",
    "match": "reporting-deliveries",
}


def consumer_for(event: EventEnvelope) -> Consumer:
    """The reporting consumer whose subjects carry this event."""
    return next(c for c in CONSUMERS if c.name == CONSUMER_OF[event.aggregate])


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


@dataclass
class Log:
    """Other services' events as reporting receives them: numbered per stream and producer."""

    events: list[EventEnvelope] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)

    def add(
        self, stream_id: str, type_: str, data: dict[str, Any], on: date = date(2026, 4, 1)
    ) -> EventEnvelope:
        producer = PRODUCER_OF[stream_id.split("-", 1)[0]]
        self.versions[stream_id] = self.versions.get(stream_id, 0) + 1
        self.positions[producer] = self.positions.get(producer, 0) + 1
        event = EventEnvelope(
            event_id=uuid.uuid4(),
            stream_id=stream_id,
            stream_version=self.versions[stream_id],
            type=type_,
            schema_version=1,
            data=data,
            metadata=Metadata(actor="someone"),
            recorded_at=at(on),
            position=self.positions[producer],
        )
        self.events.append(event)
        return event

    # -- commitments -------------------------------------------------------------------------

    def awarded(
        self,
        contract_id: str,
        *,
        reference: str,
        buyer: str,
        supplier: str,
        obligations: list[dict[str, Any]],
        value: str | None = "1250000.00",
        places: list[str] | None = None,
        tender_id: str | None = None,
        title: str = "Highways maintenance",
        starts_on: str = "2026-04-01",
        ends_on: str = "2027-03-31",
    ) -> EventEnvelope:
        return self.add(
            f"contract-{contract_id}",
            "ContractAwarded",
            {
                "contract_id": contract_id,
                "reference": reference,
                "title": title,
                "buyer": buyer,
                "supplier": supplier,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "value_gbp": value,
                "return_due_days": 30,
                "framework_version": "cm-toms-2023",
                "obligations": obligations,
                "places": places or [],
                "tender_id": tender_id,
                "bid_id": None,
            },
            date(2026, 3, 20),
        )

    def proxy_values(self, values: dict[str, str]) -> EventEnvelope:
        return self.add(
            "framework-cm-toms-2023",
            "ProxyValuesLoaded",
            {
                "version": "cm-toms-2023",
                "loaded_on": "2026-05-01",
                "proxy_values": [
                    {
                        "code": code,
                        "unit": "unit",
                        "gbp_per_unit": gbp,
                        "source": "test",
                        "year": "2026",
                    }
                    for code, gbp in values.items()
                ],
            },
        )

    def pledge(
        self,
        organisation: str,
        baseline: dict[str, str],
        targets: dict[str, dict[str, str]],
        revision: int | None = None,
    ) -> EventEnvelope:
        data: dict[str, Any] = {
            "organisation": organisation,
            "base_year": "2025-26",
            "baseline": baseline,
            "targets": targets,
            "framework_version": "cm-toms-2023",
            "recorded_on": "2026-04-02",
            "warnings": [],
        }
        if revision is not None:
            data |= {"reason": "more ambition", "revision": revision}
        return self.add(
            f"pledge-{organisation}",
            "PledgeRevised" if revision is not None else "PledgeRecorded",
            data,
        )

    # -- measurement -------------------------------------------------------------------------

    def schedule(self, contract_id: str, type_: str, data: dict[str, Any], on: date) -> None:
        self.add(f"schedule-{contract_id}", type_, {"contract_id": contract_id, **data}, on)

    def opened(self, contract_id: str, buyer: str, supplier: str) -> None:
        periods = [
            {"period": q, "due_on": due.isoformat()}
            for q, due in zip(
                QUARTERS,
                [date(2026, 7, 30), date(2026, 10, 30), date(2027, 1, 30), date(2027, 4, 30)],
                strict=True,
            )
        ]
        self.schedule(
            contract_id,
            "ScheduleOpened",
            {"buyer": buyer, "supplier": supplier, "periods": periods, "obligations": []},
            date(2026, 3, 20),
        )

    def submitted(
        self,
        contract_id: str,
        period: str,
        lines: list[dict[str, Any]],
        on: date,
        *,
        due_on: date,
        narrative: str = "",
    ) -> None:
        self.schedule(
            contract_id,
            "ReturnSubmitted",
            {
                "period": period,
                "version": 1,
                "submitted_on": on.isoformat(),
                "due_on": due_on.isoformat(),
                "late": on > due_on,
                "narrative": narrative,
                "lines": lines,
                "by": "finance@supplier",
            },
            on,
        )

    def revised(
        self,
        contract_id: str,
        period: str,
        lines: list[dict[str, Any]],
        on: date,
        *,
        version: int,
        corrected: bool = False,
    ) -> None:
        self.schedule(
            contract_id,
            "ReturnCorrected" if corrected else "ReturnAmended",
            {
                "period": period,
                "version": version,
                "revised_on": on.isoformat(),
                "late": False,
                "narrative": "",
                "reason": "answering the query",
                "lines": lines,
                "by": "finance@supplier",
            },
            on,
        )

    def reviewed(
        self, contract_id: str, period: str, on: date, *, version: int = 1, accepted: bool = True
    ) -> None:
        if accepted:
            data = {"period": period, "version": version, "accepted_on": on.isoformat()}
        else:
            data = {"period": period, "version": version, "comment": "?", "queried_on": str(on)}
        self.schedule(
            contract_id,
            "ReturnAccepted" if accepted else "ReturnQueried",
            {**data, "by": "cm@buyer"},
            on,
        )

    def alert(
        self,
        *,
        kind: str,
        contract_id: str | None,
        obligation_id: str | None,
        measure: str | None,
        period: str,
        buyer: str,
        supplier: str,
        raised_on: date,
    ) -> str:
        alert_id = str(uuid.uuid4())
        self.add(
            f"alert-{alert_id}",
            "AlertRaised",
            {
                "alert_id": alert_id,
                "contract_id": contract_id,
                "obligation_id": obligation_id,
                "measure": measure,
                "period": period,
                "kind": kind,
                "severity": "medium",
                "buyer": buyer,
                "supplier": supplier,
                "ratio": None if kind == "overdue_return" else "0.5000",
                "raised_on": raised_on.isoformat(),
                "level": 1,
                "escalated_to": "contract_manager",
                "detail": f"{kind} in {period}",
            },
            raised_on,
        )
        return alert_id

    # -- brokerage ---------------------------------------------------------------------------

    def delivery(
        self,
        *,
        supplier: str,
        measure: str,
        quantity: str,
        delivered_on: date,
        contract_id: str | None = None,
        obligation_id: str | None = None,
        disputed: bool = False,
    ) -> None:
        match_id, delivery_id = str(uuid.uuid4()), str(uuid.uuid4())
        common = {
            "match_id": match_id,
            "delivery_id": delivery_id,
            "supplier": supplier,
            "vcfse": "org-wirral-food-bank",
        }
        if disputed:
            self.add(
                f"match-{match_id}",
                "DeliveryDisputed",
                {
                    **common,
                    "reason": "never arrived",
                    "disputed_by": "x",
                    "disputed_on": "2026-12-01",
                },
            )
            return
        self.add(
            f"match-{match_id}",
            "DeliveryConfirmed",
            {
                **common,
                "contract_id": contract_id,
                "obligation_id": obligation_id,
                "measure": measure,
                "quantity": quantity,
                "unit": "hours",
                "delivered_on": delivered_on.isoformat(),
                "period": None,
                "confirmed_by": "volunteer@foodbank",
                "confirmed_on": delivered_on.isoformat(),
            },
            delivered_on,
        )


def obligation(
    measure: str,
    per_quarter: str,
    *,
    is_kpi: bool = False,
    theme: str = "Jobs",
    outcome: str = "More local people in employment",
    unit: str = "FTE",
    place: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    quantity = Decimal(per_quarter)
    return {
        "obligation_id": str(uuid.uuid4()),
        "measure": measure,
        "theme": theme,
        "outcome": outcome,
        "unit": unit,
        "description": description or f"{measure} on the contract",
        "is_kpi": is_kpi,
        "targets": dict.fromkeys(QUARTERS, per_quarter),
        "total": str(quantity * 4),
        "place": place,
    }


def line(ob: dict[str, Any], quantity: str, **story: Any) -> dict[str, Any]:
    return {
        "obligation_id": ob["obligation_id"],
        "quantity": quantity,
        "narrative": story.get("narrative", ""),
        "case_study": story.get("case_study", ""),
        "beneficiaries": story.get("beneficiaries"),
        "places": story.get("places", []),
        "evidence": story.get("evidence", []),
    }


INJECTION = '=HYPERLINK("http://evil.example","click")'


@dataclass
class Scenario:
    """The portfolio every test here reads (see the module's docstring)."""

    log: Log = field(default_factory=Log)
    big: str = field(default_factory=lambda: str(uuid.uuid4()))
    small: str = field(default_factory=lambda: str(uuid.uuid4()))
    elsewhere: str = field(default_factory=lambda: str(uuid.uuid4()))
    tender_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    jobs: dict[str, Any] = field(
        default_factory=lambda: obligation("NT1", "4", is_kpi=True, place="Wirral")
    )
    weeks: dict[str, Any] = field(
        default_factory=lambda: obligation(
            "NT10",
            "13",
            is_kpi=True,
            theme="Skills",
            outcome="More opportunities for disadvantaged people",
            unit="weeks",
        )
    )
    vcfse: dict[str, Any] = field(
        default_factory=lambda: obligation(
            "NT14",
            "1000",
            theme="Social",
            outcome="Stronger voluntary sector",
            unit="GBP",
        )
    )
    care_jobs: dict[str, Any] = field(default_factory=lambda: obligation("NT1", "2"))
    elsewhere_jobs: dict[str, Any] = field(default_factory=lambda: obligation("NT1", "50"))
    alerts: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        log = self.log
        log.awarded(
            self.big,
            reference="WC-001",
            buyer=WIRRAL,
            supplier=BUILDERS,
            obligations=[self.jobs, self.weeks, self.vcfse],
            value="6000000",
            places=["Wirral"],
            tender_id=self.tender_id,
        )
        log.awarded(
            self.small,
            reference="WC-002",
            title="Home care",
            buyer=WIRRAL,
            supplier=CARE,
            obligations=[self.care_jobs],
            value="200000",
            places=["Liverpool", "Sefton"],
        )
        log.awarded(
            self.elsewhere,
            reference="AC-900",
            buyer=OTHER_BUYER,
            supplier=BUILDERS,
            obligations=[self.elsewhere_jobs],
        )
        log.proxy_values({"NT1": "1000.50", "NT10": "250"})
        for contract, buyer, supplier in (
            (self.big, WIRRAL, BUILDERS),
            (self.small, WIRRAL, CARE),
            (self.elsewhere, OTHER_BUYER, BUILDERS),
        ):
            log.opened(contract, buyer, supplier)
        q1_due, q2_due = date(2026, 7, 30), date(2026, 10, 30)
        # The big contract: Q1 accepted; Q2 in late and not yet reviewed.
        log.submitted(
            self.big,
            "2026-27-Q1",
            [
                line(
                    self.jobs,
                    "3",
                    narrative="Three local people hired",
                    case_study=INJECTION,
                    beneficiaries=3,
                    places=["Birkenhead"],
                    evidence=["payroll-q1.pdf"],
                ),
                line(self.weeks, "13"),
                line(self.vcfse, "1000"),
            ],
            date(2026, 7, 10),
            due_on=q1_due,
            narrative="A good first quarter.",
        )
        log.reviewed(self.big, "2026-27-Q1", date(2026, 7, 20))
        log.submitted(
            self.big,
            "2026-27-Q2",
            [line(self.jobs, "4"), line(self.weeks, "6")],
            date(2026, 11, 5),
            due_on=q2_due,
        )
        # The small contract: Q1 queried, amended, accepted; Q2 never came.
        log.submitted(
            self.small, "2026-27-Q1", [line(self.care_jobs, "1")], date(2026, 7, 1), due_on=q1_due
        )
        log.reviewed(self.small, "2026-27-Q1", date(2026, 7, 3), accepted=False)
        log.revised(
            self.small, "2026-27-Q1", [line(self.care_jobs, "2")], date(2026, 7, 5), version=2
        )
        log.reviewed(self.small, "2026-27-Q1", date(2026, 7, 6), version=2)
        log.schedule(
            self.small,
            "ReturnOverdue",
            {
                "period": "2026-27-Q2",
                "due_on": "2026-10-30",
                "detected_on": "2026-10-31",
                "days_overdue": 1,
                "alert_id": "x",
            },
            date(2026, 10, 31),
        )
        # Another council's contract with the same supplier.
        log.submitted(
            self.elsewhere,
            "2026-27-Q1",
            [line(self.elsewhere_jobs, "50")],
            date(2026, 7, 2),
            due_on=q1_due,
        )
        log.reviewed(self.elsewhere, "2026-27-Q1", date(2026, 7, 3))
        # Alerts: on an obligation, on a whole return (no obligation, no measure), on a pledge
        # (no contract either).
        self.alerts["under_delivery"] = log.alert(
            kind="under_delivery",
            contract_id=self.big,
            obligation_id=self.jobs["obligation_id"],
            measure="NT1",
            period="2026-27-Q1",
            buyer=WIRRAL,
            supplier=BUILDERS,
            raised_on=date(2026, 7, 20),
        )
        self.alerts["overdue_return"] = log.alert(
            kind="overdue_return",
            contract_id=self.small,
            obligation_id=None,
            measure=None,
            period="2026-27-Q2",
            buyer=WIRRAL,
            supplier=CARE,
            raised_on=date(2026, 10, 31),
        )
        self.alerts["pledge_behind"] = log.alert(
            kind="pledge_behind",
            contract_id=None,
            obligation_id=None,
            measure="NT14",
            period="2026-27-Q2",
            buyer=BUILDERS,
            supplier=BUILDERS,
            raised_on=date(2026, 11, 1),
        )
        log.add(
            f"alert-{self.alerts['under_delivery']}",
            "AlertAcknowledged",
            {
                "alert_id": self.alerts["under_delivery"],
                "contract_id": self.big,
                "acknowledged_on": "2026-07-25",
                "by": "cm@wirral",
                "note": "talking to them",
            },
        )
        # The supplier's Partner VCFSE pledge, and what its partners confirmed.
        log.pledge(
            BUILDERS,
            {"NT14": "2000", "NT17": "100"},
            {"2026-27": {"NT14": "8000", "NT17": "400"}},
        )
        log.delivery(
            supplier=BUILDERS,
            measure="NT14",
            quantity="600",
            delivered_on=date(2026, 5, 1),
            contract_id=self.big,
            obligation_id=self.vcfse["obligation_id"],
        )
        log.delivery(
            supplier=BUILDERS,
            measure="NT14",
            quantity="500",
            delivered_on=date(2026, 8, 1),
            contract_id=self.big,
            obligation_id=self.vcfse["obligation_id"],
        )
        log.delivery(
            supplier=BUILDERS, measure="NT17", quantity="80", delivered_on=date(2026, 9, 1)
        )
        log.delivery(
            supplier=BUILDERS,
            measure="NT17",
            quantity="50",
            delivered_on=date(2026, 9, 2),
            disputed=True,
        )


@pytest.fixture
async def app(make_database: DatabaseFactory, nats_server: NatsServer) -> AsyncIterator[FastAPI]:
    settings = load_settings(
        database_url=await make_database("reporting"),
        nats_url=nats_server.url,
        environment="test",
        run_relay=False,
        run_consumers=False,
    )
    app = create_app(settings, FixedClock.at(TODAY))
    yield app
    await app.state.runtime.stop()


@pytest.fixture
def service(app: FastAPI) -> Reporting:
    reporting: Reporting = app.state.service
    return reporting


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
        yield client


async def feed(service: Reporting, events: list[EventEnvelope]) -> list[Outcome]:
    return [await apply_once(service.store, consumer_for(e), e) for e in events]


@pytest.fixture
async def scenario(service: Reporting) -> Scenario:
    made = Scenario()
    assert set(await feed(service, made.log.events)) == {Outcome.APPLIED}
    return made


def as_org(organisation: str, role: str = "buyer") -> dict[str, str]:
    token = issue_dev_token(
        load_settings(), subject=f"user@{organisation}", organisation=organisation, roles=[role]
    )
    return {"Authorization": f"Bearer {token}"}


async def get(
    client: httpx.AsyncClient, url: str, org: str = WIRRAL, role: str = "buyer", **params: Any
) -> Any:
    response = await client.get(url, headers=as_org(org, role), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def by_key(groups: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {g["key"]: g for g in groups}


# -- the portfolio ---------------------------------------------------------------------------


async def test_a_buyer_sees_each_contract_it_let_with_delivery_ratio_value_and_alerts(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await get(client, "/portfolio")

    assert [c["reference"] for c in body["contracts"]] == ["WC-001", "WC-002"]
    big, small = body["contracts"]
    assert (big["supplier"], big["value_gbp"], big["status"]) == (BUILDERS, "6000000", "active")
    # NT1 3 of 8 due, NT10 13 of 26, NT14 1000 of 2000: (0.375 + 0.5 + 0.5) / 3
    assert big["delivery_ratio"] == "0.4583"
    assert (big["obligations"], big["obligations_assessed"], big["obligations_on_track"]) == (
        3,
        3,
        0,
    )
    assert big["gbp"]["delivered_gbp"] == "6251.5"  # 3 x 1000.50 + 13 x 250
    assert big["gbp"]["fully_valued"] is False  # NT14 has no proxy value
    assert big["open_alerts"] == 1  # acknowledged, not resolved
    assert (small["delivery_ratio"], small["open_alerts"]) == ("0.5", 1)
    totals = body["totals"]
    assert (totals["committed_gbp"], totals["delivered_gbp"]) == ("37012", "8252.5")
    assert (totals["obligations"], totals["obligations_valued"]) == (4, 3)
    assert body["as_of"] == "2027-01-15"


async def test_by_measure_counts_only_accepted_lines_as_delivered(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    groups = by_key((await get(client, "/portfolio/by/measure"))["groups"])

    assert list(groups) == ["NT1", "NT10", "NT14"]
    [jobs] = groups["NT1"]["measures"]
    assert (jobs["committed"], jobs["due_to_date"], jobs["delivered"]) == ("24", "12", "5")
    assert jobs["awaiting_review"] == "4"  # the late Q2 return, not yet accepted
    assert jobs["delivery_ratio"] == "0.4167"
    assert (jobs["gbp"]["committed_gbp"], jobs["gbp"]["delivered_gbp"]) == ("24012", "5002.5")
    [weeks] = groups["NT10"]["measures"]
    assert (weeks["unit"], weeks["delivered"], weeks["awaiting_review"]) == ("weeks", "13", "6")
    [vcfse] = groups["NT14"]["measures"]
    assert (vcfse["delivered"], vcfse["gbp"]["fully_valued"]) == ("1000", False)


async def test_by_theme_outcome_supplier_and_place_group_obligations_without_adding_units(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    themes = by_key((await get(client, "/portfolio/by/theme"))["groups"])
    suppliers = by_key((await get(client, "/portfolio/by/supplier"))["groups"])
    places = by_key((await get(client, "/portfolio/by/place"))["groups"])
    outcomes = by_key((await get(client, "/portfolio/by/outcome"))["groups"])

    assert list(themes) == ["Jobs", "Skills", "Social"]
    assert [m["measure"] for m in themes["Jobs"]["measures"]] == ["NT1"]
    assert themes["Jobs"]["measures"][0]["obligations"] == 2
    assert themes["Jobs"]["gbp"]["delivered_gbp"] == "5002.5"
    assert list(suppliers) == [CARE, BUILDERS]
    assert [m["delivered"] for m in suppliers[BUILDERS]["measures"]] == ["3", "13", "1000"]
    # Jobs on the big contract are delivered in Wirral; the rest of it inherits the contract's
    # only place; the care contract names two places, so its place is not stated.
    assert list(places) == ["Wirral", "not stated"]
    assert [m["measure"] for m in places["Wirral"]["measures"]] == ["NT1", "NT10", "NT14"]
    assert places["not stated"]["measures"][0]["delivered"] == "2"
    assert "More local people in employment" in outcomes


@pytest.mark.parametrize("dimension", [d.value for d in Dimension])
async def test_a_breakdowns_body_is_exactly_what_its_documented_schema_says(
    client: httpx.AsyncClient, scenario: Scenario, dimension: str
) -> None:
    # The body is written without the models that document it: every field they name, of
    # the type they give, and nothing besides.
    body = await get(client, f"/portfolio/by/{dimension}")
    assert body["groups"]
    assert all(g["measures"] for g in body["groups"])
    assert BreakdownOut.model_validate(body).model_dump(mode="json") == body


@pytest.mark.parametrize(
    ("path", "documented"),
    [("/portfolio", PortfolioOut), ("/portfolio/kpi-ratings", KpiRatingsOut)],
)
async def test_a_portfolio_wide_body_is_exactly_what_its_documented_schema_says(
    client: httpx.AsyncClient, scenario: Scenario, path: str, documented: type[BaseModel]
) -> None:
    # Written from dicts too, one per contract: every field the models name, of their type.
    body = await get(client, path)
    assert len(body["contracts"]) == 2
    assert documented.model_validate(body).model_dump(mode="json") == body


async def test_by_quarter_and_year_put_each_quarters_target_and_delivery_in_its_period(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    quarters = by_key((await get(client, "/portfolio/by/quarter"))["groups"])
    years = by_key((await get(client, "/portfolio/by/year"))["groups"])

    assert list(quarters) == QUARTERS
    q1 = {m["measure"]: m for m in quarters["2026-27-Q1"]["measures"]}
    assert (q1["NT1"]["committed"], q1["NT1"]["due_to_date"], q1["NT1"]["delivered"]) == (
        "6",
        "6",
        "5",
    )
    q2 = {m["measure"]: m for m in quarters["2026-27-Q2"]["measures"]}
    assert (q2["NT1"]["delivered"], q2["NT1"]["awaiting_review"]) == ("0", "4")
    q3 = {m["measure"]: m for m in quarters["2026-27-Q3"]["measures"]}
    assert (q3["NT1"]["committed"], q3["NT1"]["due_to_date"]) == ("6", "0")  # not due yet
    assert list(years) == ["2026-27"]
    year = {m["measure"]: m for m in years["2026-27"]["measures"]}
    assert (year["NT1"]["committed"], year["NT1"]["delivered"]) == ("24", "5")
    assert year["NT1"]["obligations"] == 2


async def test_a_supplier_sees_its_contracts_with_every_buyer_and_nobody_elses(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    as_supplier = await get(client, "/portfolio", BUILDERS, "supplier")
    other_buyer = await get(client, "/portfolio", OTHER_BUYER)
    stranger = await get(client, "/portfolio", "org-nobody")

    assert [c["reference"] for c in as_supplier["contracts"]] == ["AC-900", "WC-001"]
    assert [c["reference"] for c in other_buyer["contracts"]] == ["AC-900"]
    assert stranger["contracts"] == []
    assert stranger["totals"]["committed_gbp"] == "0"


async def test_an_auditor_reads_its_own_organisations_reports_and_a_vcfse_cannot(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    audited = await get(client, "/portfolio", WIRRAL, "auditor")
    vcfse = await client.get("/portfolio", headers=as_org(WIRRAL, "vcfse"))

    assert [c["reference"] for c in audited["contracts"]] == ["WC-001", "WC-002"]
    assert vcfse.status_code == 403


async def test_every_report_states_up_to_which_events_it_reflects(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await get(client, "/portfolio")

    sources = {s["consumer"]: s for s in body["freshness"]["sources"]}
    assert set(sources) == {c.name for c in CONSUMERS}
    assert sources["reporting-contracts"]["stream"] == "SVL_COMMITMENTS"
    newest = max(
        e.position
        for e in scenario.log.events
        if e.aggregate in ("contract", "framework", "pledge")
    )
    assert (
        max(
            sources[c]["position"]
            for c in ("reporting-contracts", "reporting-frameworks", "reporting-pledges")
        )
        == newest
    )
    assert sources["reporting-deliveries"]["stream"] == "SVL_BROKERAGE"
    assert body["freshness"]["as_of"].startswith("2027-01-15")


# -- alerts, late returns, stories, league table -----------------------------------------------


async def test_alerts_about_a_whole_return_or_a_pledge_are_kept_with_their_age(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    for_buyer = (await get(client, "/alerts"))["alerts"]
    for_supplier = (await get(client, "/alerts", BUILDERS, "supplier", status="open"))["alerts"]

    by_kind = {a["kind"]: a for a in for_buyer}
    assert set(by_kind) == {"under_delivery", "overdue_return"}
    overdue = by_kind["overdue_return"]
    assert (overdue["obligation_id"], overdue["measure"]) == (None, None)
    assert (overdue["status"], overdue["age_days"]) == ("open", 76)
    assert by_kind["under_delivery"]["status"] == "acknowledged"
    assert by_kind["under_delivery"]["acknowledged_on"] == "2026-07-25"
    [pledge] = for_supplier
    assert (pledge["kind"], pledge["contract_id"], pledge["measure"]) == (
        "pledge_behind",
        None,
        "NT14",
    )
    assert pledge["age_days"] == 75


@pytest.mark.parametrize(
    ("path", "items", "column", "field"),
    [
        ("/alerts", "alerts", "Alert id", "alert_id"),
        ("/stories", "stories", "Narrative", "narrative"),
    ],
)
async def test_a_list_comes_a_page_at_a_time_and_exports_whole(
    client: httpx.AsyncClient, scenario: Scenario, path: str, items: str, column: str, field: str
) -> None:
    everything = await get(client, path)
    first, second, beyond = [await get(client, path, limit=1, offset=n) for n in (0, 1, 2)]
    exported = await client.get(path, params={"format": "csv", "limit": 1}, headers=as_org(WIRRAL))
    too_many = await client.get(path, params={"limit": 501}, headers=as_org(WIRRAL))
    too_far = await client.get(path, params={"offset": -1}, headers=as_org(WIRRAL))

    assert everything["total"] == len(everything[items]) == 2
    assert (first["total"], second["total"], beyond["total"]) == (2, 2, 2)
    assert first[items] + second[items] == everything[items]
    assert beyond[items] == []
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r[column] for r in rows] == [item[field] for item in everything[items]]
    for refused, name in ((too_many, "limit"), (too_far, "offset")):
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in refused.json()["errors"]] == [name]


async def test_late_and_overdue_returns_are_listed_most_overdue_first(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    returns = (await get(client, "/returns/late"))["returns"]

    assert [(r["reference"], r["period"], r["state"], r["days"]) for r in returns] == [
        ("WC-002", "2026-27-Q2", "overdue", 77),
        ("WC-001", "2026-27-Q2", "late", 6),
    ]
    assert returns[1]["submitted_on"] == "2026-11-05"


async def test_the_stories_feed_shows_narratives_and_case_studies_newest_first(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    stories = (await get(client, "/stories"))["stories"]
    accepted = (await get(client, "/stories", accepted_only="true"))["stories"]
    jobs_only_page = await get(client, "/stories", measure="NT1", limit=1)
    jobs_only = jobs_only_page["stories"]

    assert [(s["reference"], s["period"], s["measure"]) for s in stories] == [
        ("WC-001", "2026-27-Q1", "NT1"),
        ("WC-001", "2026-27-Q1", None),
    ]
    hired = stories[0]
    assert (hired["narrative"], hired["beneficiaries"], hired["places"]) == (
        "Three local people hired",
        3,
        ["Birkenhead"],
    )
    assert (hired["evidence"], hired["accepted"]) == (["payroll-q1.pdf"], True)
    assert stories[1]["narrative"] == "A good first quarter."
    assert len(accepted) == 2
    assert [s["measure"] for s in jobs_only] == ["NT1"]
    assert jobs_only_page["total"] == 1
    assert (await get(client, "/stories", OTHER_BUYER))["stories"] == []


async def test_the_league_table_ranks_a_buyers_suppliers_and_a_supplier_sees_only_itself(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    for_buyer = (await get(client, "/portfolio/league-table"))["suppliers"]
    for_supplier = (await get(client, "/portfolio/league-table", CARE, "supplier"))["suppliers"]

    assert [(s["rank"], s["supplier"], s["delivery_ratio"]) for s in for_buyer] == [
        (1, CARE, "0.5"),
        (2, BUILDERS, "0.4583"),
    ]
    assert [(s["rank"], s["supplier"]) for s in for_supplier] == [(1, CARE)]


async def test_a_suppliers_standing_is_for_itself_and_its_buyers_and_404_for_anyone_else(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    own = await client.get(f"/suppliers/{CARE}/standing", headers=as_org(CARE, "supplier"))
    buyers = await client.get(f"/suppliers/{CARE}/standing", headers=as_org(WIRRAL))
    rival = await client.get(f"/suppliers/{CARE}/standing", headers=as_org(BUILDERS, "supplier"))
    stranger = await client.get(f"/suppliers/{CARE}/standing", headers=as_org(OTHER_BUYER))

    assert own.status_code == buyers.status_code == 200
    assert own.json()["standing"]["delivery_ratio"] == "0.5"
    assert [c["reference"] for c in buyers.json()["contracts"]] == ["WC-002"]
    assert rival.status_code == stranger.status_code == 404
    assert rival.json()["type"].endswith("/not-found")


# -- Partner VCFSE -------------------------------------------------------------------------


async def test_partner_vcfse_progress_counts_accepted_returns_and_confirmed_deliveries(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await get(client, "/partner-vcfse", BUILDERS, "supplier")

    rows = {(y["year"], y["measure"]): y for y in body["years"]}
    assert (body["base_year"], body["organisation"]) == ("2025-26", BUILDERS)
    base = rows[("2025-26", "NT14")]
    assert (base["baseline"], base["target"], base["status"]) == ("2000", None, None)
    spend = rows[("2026-27", "NT14")]
    # Q1: the return's 1000 and the partner's 600 corroborate each other: 1000 counts.
    # Q2: no accepted return yet, the partner confirmed 500.
    assert (spend["from_returns"], spend["from_deliveries"], spend["actual"]) == (
        "1000",
        "1100",
        "1500",
    )
    assert (spend["target"], spend["quarters_due"], spend["expected_to_date"]) == (
        "8000",
        2,
        "4000",
    )
    assert (spend["ratio"], spend["status"], spend["on_track"]) == ("0.375", "behind", False)
    volunteering = rows[("2026-27", "NT17")]
    assert (volunteering["from_deliveries"], volunteering["actual"]) == (
        "80",
        "80",
    )  # disputed 50 not


async def test_a_pledge_revision_replaces_the_targets(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    revision = scenario.log.pledge(
        BUILDERS, {"NT14": "2000"}, {"2026-27": {"NT14": "3000"}}, revision=1
    )
    await feed(service, [revision])

    body = await get(client, "/partner-vcfse", BUILDERS, "auditor")

    spend = next(y for y in body["years"] if (y["year"], y["measure"]) == ("2026-27", "NT14"))
    assert (spend["target"], spend["expected_to_date"], spend["status"]) == (
        "3000",
        "1500",
        "on_track",
    )
    assert body["revision"] == 1
    assert {y["measure"] for y in body["years"]} == {"NT14"}


async def test_an_organisation_without_a_pledge_gets_not_found(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    response = await client.get("/partner-vcfse", headers=as_org(WIRRAL))
    assert response.status_code == 404


# -- KPI rating and the performance notice -----------------------------------------------------


async def test_a_contract_over_five_million_is_rated_on_its_kpis_both_ways(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await get(client, f"/contracts/{scenario.big}/kpi-rating")

    assert (body["period_start"], body["period_end"]) == ("2026-04-01", "2026-09-30")
    assert body["periods"] == ["2026-27-Q1", "2026-27-Q2"]
    kpis = {k["measure"]: k for k in body["kpis"]}
    assert set(kpis) == {"NT1", "NT10"}  # NT14 is not a KPI
    assert (kpis["NT1"]["target"], kpis["NT1"]["delivered"], kpis["NT1"]["ratio"]) == (
        "8",
        "3",
        "0.375",
    )
    assert kpis["NT1"]["rating"] == "Inadequate"
    assert kpis["NT10"]["rating"] == "Requires improvement"  # exactly 0.5
    assert body["target_based"] == {
        "basis": "target",
        "score": "0",
        "rating": "Inadequate",
        "measured_in": "share of KPIs",
        "explanation": "0 of 2 KPIs on track",
    }
    # GBP 6251.50 of 14504 committed over the two quarters
    assert (body["value_based"]["score"], body["value_based"]["measured_in"]) == ("0.431", "GBP")
    assert body["value_based"]["rating"] == "Inadequate"
    assert (body["rating"], body["basis"]) == ("Inadequate", "target")
    assert body["notice_required"] is True
    assert body["warnings"] == ["a contract over GBP 5m needs at least 3 KPIs; this one has 2"]
    assert body["rule"]["kpi"]["good"] == "0.95"


async def test_a_contract_without_kpis_is_rated_other(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    body = await get(client, f"/contracts/{scenario.small}/kpi-rating")
    ratings = (await get(client, "/portfolio/kpi-ratings"))["contracts"]

    assert (body["rating"], body["target_based"]["explanation"]) == (
        "Other",
        "the contract has no KPIs",
    )
    assert body["notice_required"] is False
    assert [(r["reference"], r["rating"]) for r in ratings] == [
        ("WC-001", "Inadequate"),
        ("WC-002", "Other"),
    ]


async def test_kpi_ratings_read_only_the_quarters_assessed_and_rate_as_over_every_quarter(
    service: Reporting, scenario: Scenario
) -> None:
    rule = KpiRule(quarters=1)  # the last quarter due by TODAY: 2026-27-Q2
    every_quarter = await service.read_models.portfolio(WIRRAL, TODAY)
    assessed = await service.read_models.portfolio(WIRRAL, TODAY, kpi_rule=rule)

    assert {p for ob in assessed.obligations for p in ob.targets} == {"2026-27-Q2"}
    assert {ob.measure for ob in assessed.obligations} == {"NT1", "NT10"}  # the KPIs alone

    def rated(portfolio: Portfolio) -> list[tuple[object, ...]]:
        ratings = [rate_contract(portfolio, c, rule) for c in portfolio.contracts]
        return [
            (
                r.contract.contract_id,
                r.periods,
                [(k.obligation.obligation_id, k.target, k.delivered, k.rating) for k in r.kpis],
                r.target_based,
                r.value_based,
            )
            for r in sorted(ratings, key=lambda r: r.contract.reference)
        ]

    assert rated(assessed) == rated(every_quarter)
    assert [r[1] for r in rated(assessed)] == [("2026-27-Q2",), ("2026-27-Q2",)]


async def test_the_performance_notice_carries_what_the_act_asks_for(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    notice = await get(client, f"/contracts/{scenario.big}/performance-notice")

    assert notice["authority"] == {"id": WIRRAL, "name": WIRRAL}
    assert notice["procurement_identifier"] == scenario.tender_id
    assert notice["contract"]["id"] == scenario.big
    assert notice["contract"]["ocid"] == f"ocds-svl000-{scenario.big}"
    assert (notice["contract"]["reference"], notice["contract"]["value_gbp"]) == (
        "WC-001",
        "6000000",
    )
    assert notice["supplier"]["id"] == BUILDERS
    assert (notice["period_assessed_start"], notice["period_assessed_end"]) == (
        "2026-04-01",
        "2026-09-30",
    )
    assert [k["measure"] for k in notice["kpis"]] == ["NT1", "NT10"]
    assert (notice["rating"], notice["notice_required"]) == ("Inadequate", True)


async def test_another_organisations_contract_is_not_found_in_every_contract_report(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    for path in ("kpi-rating", "performance-notice", "ocds", "progress"):
        response = await client.get(
            f"/contracts/{scenario.big}/{path}", headers=as_org(OTHER_BUYER)
        )
        assert response.status_code == 404, path
        assert "WC-001" not in response.text


# -- exports -------------------------------------------------------------------------------


REPORTS = [
    "/portfolio",
    "/portfolio/by/measure",
    "/portfolio/by/outcome",
    "/portfolio/by/theme",
    "/portfolio/by/supplier",
    "/portfolio/by/buyer",
    "/portfolio/by/place",
    "/portfolio/by/year",
    "/portfolio/by/quarter",
    "/portfolio/league-table",
    "/portfolio/kpi-ratings",
    "/alerts",
    "/returns/late",
    "/stories",
]


@pytest.mark.parametrize("path", REPORTS)
async def test_every_report_downloads_as_csv_and_as_xlsx(
    client: httpx.AsyncClient, scenario: Scenario, path: str
) -> None:
    as_csv = await client.get(path, params={"format": "csv"}, headers=as_org(WIRRAL))
    as_xlsx = await client.get(path, params={"format": "xlsx"}, headers=as_org(WIRRAL))

    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"].endswith('.csv"')
    assert "reporting-contracts=SVL_COMMITMENTS:" in as_csv.headers["reflects-events"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert len(rows) >= 2  # a heading and at least one line
    assert as_xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    table, about = workbook.worksheets
    assert [c.value for c in table[1]] == rows[0]
    assert table.max_row == len(rows)
    assert str(about["A2"].value).startswith("As of 2027-01-15")


@pytest.mark.parametrize(
    ("path", "org", "role"),
    [
        ("/contracts/{big}/progress", WIRRAL, "buyer"),
        ("/contracts/{big}/kpi-rating", WIRRAL, "buyer"),
        ("/contracts/{big}/performance-notice", WIRRAL, "buyer"),
        ("/suppliers/" + CARE + "/standing", WIRRAL, "buyer"),
        ("/partner-vcfse", BUILDERS, "supplier"),
    ],
)
async def test_the_reports_on_one_thing_download_too(
    client: httpx.AsyncClient, scenario: Scenario, path: str, org: str, role: str
) -> None:
    url = path.format(big=scenario.big)
    for export, media in (
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ):
        response = await client.get(url, params={"format": export}, headers=as_org(org, role))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == media


async def test_csv_exports_hold_the_figures_users_see_and_neutralise_formulas(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    measures = await client.get(
        "/portfolio/by/measure", params={"format": "csv"}, headers=as_org(WIRRAL)
    )
    stories = await client.get("/stories", params={"format": "csv"}, headers=as_org(WIRRAL))

    rows = list(csv.DictReader(io.StringIO(measures.content.decode("utf-8-sig"))))
    jobs = next(r for r in rows if r["Measure"] == "NT1")
    assert (jobs["Committed"], jobs["Delivered (accepted)"], jobs["Delivery ratio"]) == (
        "24",
        "5",
        "0.4167",
    )
    assert (jobs["Delivered (GBP)"], jobs["Fully valued"]) == ("5002.5", "true")
    [hired, *_] = list(csv.DictReader(io.StringIO(stories.content.decode("utf-8-sig"))))
    assert hired["Case study"] == "'" + INJECTION  # shown, never run


async def test_xlsx_exports_keep_exact_figures_and_never_run_a_formula(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    portfolio = await client.get("/portfolio", params={"format": "xlsx"}, headers=as_org(WIRRAL))
    stories = await client.get("/stories", params={"format": "xlsx"}, headers=as_org(WIRRAL))

    sheet = load_workbook(io.BytesIO(portfolio.content)).worksheets[0]
    headings = [c.value for c in sheet[1]]
    big = {h: c.value for h, c in zip(headings, sheet[2], strict=True)}
    assert big["Reference"] == "WC-001"
    assert big["Value (GBP)"] == 6000000
    assert Decimal(str(big["Delivered (GBP)"])) == Decimal("6251.5")
    story_sheet = load_workbook(io.BytesIO(stories.content)).worksheets[0]
    headings = [c.value for c in story_sheet[1]]
    cell = story_sheet.cell(row=2, column=headings.index("Case study") + 1)
    assert cell.value == INJECTION  # the text as given...
    assert cell.data_type == "s"  # ...as text, not a formula
    assert cell.quotePrefix is True


async def test_a_story_pasted_with_a_line_break_word_makes_still_downloads_as_xlsx(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    pasted = "Two carers hired\x0bboth from Sefton"  # Word's line break within a paragraph
    before = len(scenario.log.events)
    scenario.log.submitted(
        scenario.small,
        "2026-27-Q1",
        [line(scenario.care_jobs, "2", narrative=pasted)],
        date(2026, 7, 12),
        due_on=date(2026, 7, 30),
    )
    assert set(await feed(service, scenario.log.events[before:])) == {Outcome.APPLIED}

    stories = await client.get("/stories", params={"format": "xlsx"}, headers=as_org(WIRRAL))

    assert stories.status_code == 200, stories.text
    sheet = load_workbook(io.BytesIO(stories.content)).worksheets[0]
    headings = [c.value for c in sheet[1]]
    narratives = [row[headings.index("Narrative")] for row in sheet.iter_rows(values_only=True)]
    # Written as Excel writes a character XML cannot hold; Excel and LibreOffice show the
    # line break, openpyxl reads the escape as it is.
    assert "Two carers hired_x000B_both from Sefton" in narratives


# -- OCDS ------------------------------------------------------------------------------------


async def test_a_contracts_ocds_package_validates_with_its_targets_and_deliveries(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    response = await client.get(f"/contracts/{scenario.big}/ocds", headers=as_org(WIRRAL))

    assert response.status_code == 200
    package = parse(response.text)
    validation = validate_package(package)
    assert validation.errors == []
    assert validation.warnings == []
    [release] = package["releases"]
    assert release["ocid"] == f"ocds-svl000-{scenario.big}"
    assert release["tender"] == {"id": scenario.tender_id}
    [contract] = release["contracts"]
    assert contract["value"] == {"amount": Decimal("6000000"), "currency": "GBP"}
    assert '"amount":6000000' in response.text  # an exact JSON number
    agreed = {m["id"]: m for m in contract["agreedMetrics"]}
    jobs = agreed[scenario.jobs["obligation_id"]]
    assert [o["measure"] for o in jobs["observations"]] == ["4", "4", "4", "4"]
    assert jobs["observations"][0]["period"] == {
        "startDate": "2026-04-01T00:00:00Z",
        "endDate": "2026-06-30T23:59:59Z",
    }
    delivered = {m["id"]: m for m in contract["implementation"]["metrics"]}
    # Only accepted returns count: Q2's return awaits review.
    assert [
        (o["dimensions"]["quarter"], o["measure"]) for o in delivered[jobs["id"]]["observations"]
    ] == [("2026-27-Q1", "3")]
    assert (
        delivered[jobs["id"]]["observations"][0]["dimensions"]["proxyValueGBPPerUnit"] == "1000.5"
    )


async def test_a_portfolio_ocds_package_holds_a_release_per_contract_and_validates(
    client: httpx.AsyncClient, scenario: Scenario
) -> None:
    for org, role, references in (
        (WIRRAL, "buyer", ["WC-001", "WC-002"]),
        (BUILDERS, "supplier", ["AC-900", "WC-001"]),
    ):
        response = await client.get("/portfolio/ocds", headers=as_org(org, role))
        assert response.status_code == 200
        package = parse(response.text)
        validation = validate_package(package)
        assert (validation.errors, validation.warnings) == ([], [])
        assert package["publisher"] == {"name": org}
        assert package["uri"] == "http://reporting/portfolio/ocds"
        descriptions = [r["contracts"][0]["description"] for r in package["releases"]]
        assert descriptions == [f"Buyer's reference {ref}" for ref in references]


async def test_a_portfolio_larger_than_one_read_publishes_every_contract_once_in_order(
    client: httpx.AsyncClient, service: Reporting
) -> None:
    # The package is read a hundred contracts at a time as it is written: this one takes three.
    log = Log()
    numbers = [(n * 37) % 230 for n in range(230)]  # every number once, not in order
    awarded = {}
    for n in numbers:
        contract_id = str(uuid.uuid4())
        ob = obligation("NT1", str(1 + n % 5))
        awarded[f"NB-{n:03d}"] = (contract_id, ob["obligation_id"], ob["targets"]["2026-27-Q1"])
        log.awarded(
            contract_id, reference=f"NB-{n:03d}", buyer=WIRRAL, supplier=BUILDERS, obligations=[ob]
        )
    log.awarded(
        str(uuid.uuid4()), reference="NB-000", buyer=OTHER_BUYER, supplier=BUILDERS, obligations=[]
    )
    contracts = next(c for c in CONSUMERS if c.name == "reporting-contracts")
    for start in range(0, len(log.events), 100):
        await apply_batch(service.store, contracts, log.events[start : start + 100], traced=False)

    response = await client.get("/portfolio/ocds", headers=as_org(WIRRAL))

    assert response.status_code == 200
    package = parse(response.text)
    assert validate_package(package).errors == []
    published = [
        (
            c["description"].removeprefix("Buyer's reference "),
            c["id"],
            [m["id"] for m in c["agreedMetrics"]],
            c["agreedMetrics"][0]["observations"][0]["measure"],
        )
        for r in package["releases"]
        for c in r["contracts"]
    ]
    assert published == [
        (reference, contract_id, [obligation_id], first_target)
        for reference, (contract_id, obligation_id, first_target) in sorted(awarded.items())
    ]


async def test_a_terminated_contracts_release_says_so_and_keeps_only_the_targets_left(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    cut = dict.fromkeys(QUARTERS[:3], "2")
    ended = scenario.log.add(
        f"contract-{scenario.small}",
        "ContractTerminated",
        {
            "contract_id": scenario.small,
            "terminated_on": "2026-12-31",
            "reason": "provider withdrew",
            "cancelled_periods": ["2026-27-Q4"],
            "obligations": [
                {"obligation_id": scenario.care_jobs["obligation_id"], "targets": cut, "total": "6"}
            ],
        },
    )
    await feed(service, [ended])

    response = await client.get(f"/contracts/{scenario.small}/ocds", headers=as_org(WIRRAL))
    portfolio = await get(client, "/portfolio")

    package = parse(response.text)
    assert validate_package(package).errors == []
    [release] = package["releases"]
    assert "contractTermination" in release["tag"]
    [contract] = release["contracts"]
    assert contract["status"] == "terminated"
    assert contract["period"]["endDate"] == "2026-12-31T23:59:59Z"
    assert len(contract["agreedMetrics"][0]["observations"]) == 3
    small = next(c for c in portfolio["contracts"] if c["reference"] == "WC-002")
    assert (small["status"], small["ended_on"]) == ("terminated", "2026-12-31")


async def test_a_variation_changes_what_is_committed_from_then_on(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    varied_targets = {"2026-27-Q1": "2", "2026-27-Q2": "2", "2026-27-Q3": "4", "2026-27-Q4": "4"}
    varied = scenario.log.add(
        f"contract-{scenario.big}",
        "ObligationVaried",
        {
            "contract_id": scenario.big,
            "obligation_id": scenario.jobs["obligation_id"],
            "targets": varied_targets,
            "previous_targets": dict.fromkeys(QUARTERS, "4"),
            "total": "12",
            "previous_total": "16",
            "reason": "recruitment freeze",
            "agreed_on": "2026-08-01",
        },
    )
    await feed(service, [varied])

    groups = by_key((await get(client, "/portfolio/by/measure"))["groups"])
    rating = await get(client, f"/contracts/{scenario.big}/kpi-rating")

    [jobs] = groups["NT1"]["measures"]
    assert (jobs["committed"], jobs["due_to_date"]) == ("20", "8")  # 12 + the care contract's 8
    nt1 = next(k for k in rating["kpis"] if k["measure"] == "NT1")
    assert (nt1["target"], nt1["ratio"], nt1["rating"]) == ("4", "0.75", "Requires improvement")
    # reports over whole contracts read each obligation's totals: the same figures
    by_supplier = by_key((await get(client, "/portfolio/by/supplier"))["groups"])
    builders_jobs = next(m for m in by_supplier[BUILDERS]["measures"] if m["measure"] == "NT1")
    assert (builders_jobs["committed"], builders_jobs["due_to_date"]) == ("12", "4")


async def test_events_redelivered_change_no_report(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    before = [await get(client, path) for path in REPORTS]

    again = await feed(service, scenario.log.events)

    assert set(again) == {Outcome.DUPLICATE}
    assert [await get(client, path) for path in REPORTS] == before


def test_report_paths_are_documented_with_their_export_formats(tmp_path: Path) -> None:
    spec = create_app(load_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db")).openapi()
    for path in REPORTS:
        operation = spec["paths"][re.sub(r"/by/\w+$", "/by/{dimension}", path)]["get"]
        assert "?format=csv|xlsx" in operation["summary"], path
        assert {"text/csv"} <= set(operation["responses"]["200"]["content"]), path
    assert json.dumps(spec)  # the schema serialises


async def test_an_escalated_then_resolved_alert_leaves_the_open_list_with_its_final_age(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    alert_id = scenario.alerts["overdue_return"]
    common = {"alert_id": alert_id, "contract_id": scenario.small}
    escalated = scenario.log.add(
        f"alert-{alert_id}",
        "AlertEscalated",
        {
            **common,
            "from_level": 1,
            "level": 2,
            "escalated_to": "head_of_procurement",
            "escalated_on": "2026-11-14",
        },
    )
    await feed(service, [escalated])
    while_escalated = {a["alert_id"]: a for a in (await get(client, "/alerts"))["alerts"]}
    resolved = scenario.log.add(
        f"alert-{alert_id}",
        "AlertResolved",
        {
            **common,
            "resolution": "recovered",
            "plan": None,
            "agreed_on": None,
            "reason": None,
            "resolved_on": "2026-11-20",
            "by": "measurement",
            "automatic": True,
        },
    )
    await feed(service, [resolved])

    still_open = (await get(client, "/alerts", status="open"))["alerts"]
    closed = (await get(client, "/alerts", status="resolved"))["alerts"]
    portfolio = await get(client, "/portfolio")

    assert (while_escalated[alert_id]["level"], while_escalated[alert_id]["escalated_to"]) == (
        2,
        "head_of_procurement",
    )
    assert alert_id not in {a["alert_id"] for a in still_open}
    [done] = closed
    assert (done["resolution"], done["resolved_on"], done["age_days"]) == (
        "recovered",
        "2026-11-20",
        20,
    )
    small = next(c for c in portfolio["contracts"] if c["reference"] == "WC-002")
    assert small["open_alerts"] == 0


# -- sums kept as events arrive agree with the quarters they sum --------------------------------


async def test_sums_kept_agree_with_the_quarters_on_every_day(
    service: Reporting, scenario: Scenario
) -> None:
    """Reports over whole contracts read each contract summed, and the breakdowns by quarter,
    year, measure, theme and outcome each organisation's portfolio cells, kept summed as
    events arrive; the rules are applied in Python to every quarter otherwise. All must give
    the same figures on any day:
    before anything is due, on a due day (not yet due), the day after, with a return accepted
    before it was due, after a correction, a variation, a termination, and a return that came
    before its contract."""
    log = Log(versions=dict(scenario.log.versions), positions=dict(scenario.log.positions))
    # Q3 of the big contract accepted on 20 December, before its 30 January due day.
    log.submitted(
        scenario.big,
        "2026-27-Q3",
        [line(scenario.jobs, "2"), line(scenario.weeks, "7")],
        date(2026, 12, 18),
        due_on=date(2027, 1, 30),
    )
    log.reviewed(scenario.big, "2026-27-Q3", date(2026, 12, 20))
    # Another council's accepted return corrected (it stays accepted, at the new figure).
    log.revised(
        scenario.elsewhere,
        "2026-27-Q1",
        [line(scenario.elsewhere_jobs, "45.5")],
        date(2026, 8, 1),
        version=2,
        corrected=True,
    )
    # The small contract's target varied; then terminated with its last quarter cut.
    log.add(
        f"contract-{scenario.small}",
        "ObligationVaried",
        {
            "contract_id": scenario.small,
            "obligation_id": scenario.care_jobs["obligation_id"],
            "targets": {
                "2026-27-Q1": "2",
                "2026-27-Q2": "3.25",
                "2026-27-Q3": "0",
                "2026-27-Q4": "1",
            },
            "agreed_on": "2026-09-01",
        },
    )
    log.add(
        f"contract-{scenario.small}",
        "ContractTerminated",
        {
            "contract_id": scenario.small,
            "terminated_on": "2026-12-31",
            "reason": "merged services",
            "obligations": [
                {
                    "obligation_id": scenario.care_jobs["obligation_id"],
                    "targets": {"2026-27-Q1": "2", "2026-27-Q2": "3.25", "2026-27-Q3": "0"},
                }
            ],
        },
    )
    # A return for a contract reporting has not heard of yet, then the contract.
    late_contract = str(uuid.uuid4())
    late_jobs = obligation("NT1", "1.5")
    log.submitted(
        late_contract,
        "2026-27-Q1",
        [line(late_jobs, "1.25")],
        date(2026, 7, 9),
        due_on=date(2026, 7, 30),
    )
    log.reviewed(late_contract, "2026-27-Q1", date(2026, 7, 12))
    log.awarded(
        late_contract, reference="WC-003", buyer=WIRRAL, supplier=CARE, obligations=[late_jobs]
    )
    assert set(await feed(service, log.events)) == {Outcome.APPLIED}

    days = [
        date(2026, 5, 1),  # nothing due yet
        date(2026, 7, 30),  # Q1's due day: not yet due
        date(2026, 7, 31),  # Q1 due
        date(2026, 10, 30),  # Q2's due day, its return not in: not yet due
        date(2026, 12, 21),  # Q3 accepted early
        TODAY,
        date(2027, 6, 1),  # every quarter due
    ]
    organisations = (WIRRAL, OTHER_BUYER, BUILDERS, CARE)
    quarters_on: dict[tuple[date, str], Portfolio] = {}
    sums_compared = 0
    for day in days:
        for org in organisations:
            quarters = quarters_on[(day, org)] = await service.read_models.portfolio(org, day)
            await whole_contracts_agree(service, org, day, quarters)
            for dimension in SUMMED_BY:
                summed, gbp = await service.read_models.breakdown_from_cells(org, day, dimension)
                assert summed == quarters.breakdown(dimension), (day, org, dimension)
                assert gbp == quarters.totals(), (day, org, dimension)
                sums_compared += bool(summed)
    assert sums_compared == len(SUMMED_BY) * len(days) * 4
    # Without the contracts' sums (after the migration that brought them, before a rebuild),
    # the reports sum each contract's obligations as they read them, to the same figures.
    async with service.store.database.writer.begin() as conn:
        stretches = (await conn.execute(select(contract_sums.c.contract_id))).all()
        # Wirral's big contract: one stretch before anything is due, one after each due day.
        assert len([r for r in stretches if r.contract_id == scenario.big]) > 2
        await conn.execute(delete(contract_sums))
    for (day, org), quarters in quarters_on.items():
        await whole_contracts_agree(service, org, day, quarters)
    # The early acceptance counts Q3's target as due on 21 December, as the rules say.
    wirral = quarters_on[(date(2026, 12, 21), WIRRAL)]
    jobs = next(
        ob for ob in wirral.obligations if ob.obligation_id == scenario.jobs["obligation_id"]
    )
    assert wirral.figures(jobs).due == 3 * Decimal(scenario.jobs["targets"]["2026-27-Q1"])


async def whole_contracts_agree(
    service: Reporting, org: str, day: date, quarters: Portfolio
) -> None:
    """The reports over whole contracts read the organisation's contracts summed, and say what
    summing every quarter of every obligation says."""
    whole = await service.read_models.whole_contracts(org, day)
    assert whole.summaries({}) == quarters.summaries({}), (day, org)
    assert whole.league_table() == quarters.league_table(), (day, org)
    # The reports add up the contracts' (or groups') GBP rather than sum again.
    assert sum((s.gbp for s in whole.summaries({})), Tally()) == quarters.totals(), day
    for dimension in BY_CONTRACTS_SUMMED:
        groups = await service.read_models.breakdown_from_sums(org, day, dimension)
        assert groups == quarters.breakdown(dimension), (day, org, dimension)
        assert sum((g.total for g in groups), Tally()) == quarters.totals(), (day, dimension)


async def test_proxy_values_loaded_again_count_at_once_in_contracts_summed_before(
    service: Reporting, scenario: Scenario
) -> None:
    """A contract's sums are valued in GBP when they are written; once its framework's proxy
    values are loaded again, a report values them with the new figures, not the old."""
    before = await service.read_models.whole_contracts(WIRRAL, TODAY)
    log = Log(versions=dict(scenario.log.versions), positions=dict(scenario.log.positions))
    log.proxy_values({"NT1": "999.25", "NT10": "250", "NT14": "1.5"})
    assert set(await feed(service, log.events)) == {Outcome.APPLIED}

    after = await service.read_models.whole_contracts(WIRRAL, TODAY)
    quarters = await service.read_models.portfolio(WIRRAL, TODAY)

    assert after.summaries({}) == quarters.summaries({})
    assert after.league_table() == quarters.league_table()
    assert [s.gbp for s in after.summaries({})] != [s.gbp for s in before.summaries({})]


async def test_the_late_returns_report_reads_only_the_periods_that_may_be_on_it(
    service: Reporting, scenario: Scenario
) -> None:
    # Every period of Wirral's two contracts is scheduled; most are not due yet on TODAY, or
    # were returned on time. Only what may be late or overdue is read.
    contracts, periods, came_in = await service.read_models.late_or_overdue(WIRRAL, TODAY)

    assert sorted((contracts[p.contract_id].reference, p.period) for p in periods) == [
        ("WC-001", "2026-27-Q2"),
        ("WC-002", "2026-27-Q2"),
    ]
    assert [(r.period, r.late) for r in came_in.values()] == [("2026-27-Q2", True)]
    assert sorted(c.reference for c in contracts.values()) == ["WC-001", "WC-002"]


async def test_blank_text_tells_no_story_and_a_case_study_alone_does(
    client: httpx.AsyncClient, service: Reporting, scenario: Scenario
) -> None:
    log = scenario.log
    due = date(2027, 1, 30)
    log.submitted(
        scenario.big,
        "2026-27-Q3",
        [line(scenario.weeks, "5", case_study="A care leaver's first placement")],
        date(2027, 1, 10),
        due_on=due,
        narrative=" \n\t ",
    )
    log.submitted(
        scenario.small,
        "2026-27-Q3",
        [line(scenario.care_jobs, "2", narrative="  \n", case_study="\t")],
        date(2027, 1, 12),
        due_on=due,
    )
    await feed(service, log.events[-2:])

    stories = (await get(client, "/stories"))["stories"]
    weeks_only = (await get(client, "/stories", measure="NT10"))["stories"]

    assert [(s["reference"], s["period"], s["measure"]) for s in stories] == [
        ("WC-001", "2026-27-Q3", "NT10"),
        ("WC-001", "2026-27-Q1", "NT1"),
        ("WC-001", "2026-27-Q1", None),
    ]
    placement = stories[0]
    assert (placement["narrative"], placement["case_study"]) == (
        "",
        "A care leaver's first placement",
    )
    assert (placement["review"], placement["accepted"], placement["submitted_on"]) == (
        "submitted",
        False,
        "2027-01-10",
    )
    assert weeks_only == [placement]
