"""Contracts as OCDS 1.1 releases, with the metrics extension: what was agreed, what was done.

Each contract is one release (tags ``contract`` and ``implementation``) holding its buyer and
supplier, its award and contract, ``agreedMetrics`` (one metric per obligation, an observation
per quarter's target) and ``implementation.metrics`` (the same metrics, an observation per
quarter's accepted delivery). Quantities are exact decimal strings in ``measure`` (the metrics
extension allows text or numbers there); money is an exact JSON number in GBP. Identifiers:
``ocid`` is the publisher's registered prefix and the contract id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from svledger.periods import Quarter
from svledger.quantities import figure

from reporting.adapters.exact_json import dumps_in_pieces
from reporting.adapters.ocds_validation import METRICS_EXTENSION_URL
from reporting.domain.portfolio import ContractFacts, ObligationFacts, Portfolio

OCDS_VERSION = "1.1"


def ocid(prefix: str, contract_id: str) -> str:
    """The contract's Open Contracting ID."""
    return f"{prefix}-{contract_id}"


@dataclass(frozen=True, slots=True)
class Package:
    """A release package to write as it is made: a portfolio's runs to tens of megabytes
    (74 MB for a buyer of 1,000 contracts), which whole took more memory than a service has."""

    head: dict[str, Any]  # the members before the releases
    releases: AsyncIterator[dict[str, Any]]  # each made (and read) when the writer reaches it

    def pieces(self) -> AsyncIterator[bytes]:
        """The package's JSON, a release at a time (amounts exact numbers)."""
        return dumps_in_pieces(self.head, "releases", self.releases)


def package_head(uri: str, publisher: str, published: datetime) -> dict[str, Any]:
    """A release package's members before its releases."""
    return {
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": [METRICS_EXTENSION_URL],
        "publishedDate": _instant(published),
        "publisher": {"name": publisher},
    }


def release(
    portfolio: Portfolio, contract: ContractFacts, prefix: str, published: datetime
) -> dict[str, Any]:
    """One contract as an OCDS release."""
    obligations = sorted(portfolio.obligations_of(contract.contract_id), key=lambda ob: ob.sequence)
    award_id = f"{contract.contract_id}-award"
    buyer = {"id": contract.buyer, "name": contract.buyer}
    supplier = {"id": contract.supplier, "name": contract.supplier}
    ended = contract.status != "active"
    period = {
        "startDate": _start(contract.starts_on),
        "endDate": _end(contract.ended_on or contract.ends_on),
    }
    value = (
        {}
        if contract.value_gbp is None
        else {"value": {"amount": contract.value_gbp, "currency": "GBP"}}
    )
    found: dict[str, Any] = {
        "ocid": ocid(prefix, contract.contract_id),
        "id": f"{contract.contract_id}-{published.astimezone(UTC):%Y%m%dT%H%M%SZ}",
        "date": _instant(published),
        "tag": ["contract", "implementation", *(["contractTermination"] if ended else [])],
        "initiationType": "tender",
        "language": "en",
        "parties": _parties(contract),
        "buyer": buyer,
    }
    if contract.tender_id is not None:
        found["tender"] = {"id": contract.tender_id}
    found["awards"] = [
        {
            "id": award_id,
            "status": "active",
            "date": _instant(contract.awarded_at),
            "suppliers": [supplier],
            "contractPeriod": period,
            **value,
        }
    ]
    found["contracts"] = [
        {
            "id": contract.contract_id,
            "awardID": award_id,
            "title": contract.title,
            "description": f"Buyer's reference {contract.reference}",
            "status": "terminated" if ended else "active",
            "period": period,
            **value,
            "agreedMetrics": [_agreed(portfolio, contract, ob) for ob in obligations],
            "implementation": {
                "metrics": [_delivered(portfolio, contract, ob) for ob in obligations]
            },
        }
    ]
    return found


def _parties(contract: ContractFacts) -> list[dict[str, Any]]:
    if contract.buyer == contract.supplier:
        return [{"id": contract.buyer, "name": contract.buyer, "roles": ["buyer", "supplier"]}]
    return [
        {"id": contract.buyer, "name": contract.buyer, "roles": ["buyer"]},
        {"id": contract.supplier, "name": contract.supplier, "roles": ["supplier"]},
    ]


def _metric(contract: ContractFacts, ob: ObligationFacts) -> dict[str, Any]:
    return {
        "id": ob.obligation_id,
        "title": f"{ob.measure}: {ob.description or ob.outcome}",
        "description": (
            f"{ob.theme}: {ob.outcome}. Social value counted in {ob.unit} under the "
            f"{contract.framework_version} measures"
            + (" (a Procurement Act 2023 KPI)." if ob.is_kpi else ".")
        ),
    }


def _dimensions(portfolio: Portfolio, ob: ObligationFacts) -> tuple[dict[str, str], dict[str, str]]:
    """An obligation's dimensions before and after its observation's quarter: the same for
    each of its quarters, so worked out once (a national buyer's package has 440,000)."""
    before = {"measure": ob.measure, "theme": ob.theme, "outcome": ob.outcome}
    after = {"keyPerformanceIndicator": "yes" if ob.is_kpi else "no"}
    rate = portfolio.rate(ob)
    if rate is not None:
        after["proxyValueGBPPerUnit"] = figure(rate)
    return before, after


def _agreed(portfolio: Portfolio, contract: ContractFacts, ob: ObligationFacts) -> dict[str, Any]:
    before, after = _dimensions(portfolio, ob)
    return {
        **_metric(contract, ob),
        "observations": [
            {
                "id": f"{ob.obligation_id}-{period}-target",
                "period": _quarter(period),
                "measure": figure(target),
                "unit": {"name": ob.unit},
                "dimensions": {**before, "quarter": period, **after},
            }
            for period, target in sorted(ob.targets.items())
        ],
    }


def _delivered(
    portfolio: Portfolio, contract: ContractFacts, ob: ObligationFacts
) -> dict[str, Any]:
    before, after = _dimensions(portfolio, ob)
    return {
        **_metric(contract, ob),
        "observations": [
            {
                "id": f"{ob.obligation_id}-{period}-delivered",
                "period": _quarter(period),
                "measure": figure(quantity),
                "unit": {"name": ob.unit},
                "dimensions": {**before, "quarter": period, **after},
                "notes": "Delivered as returned by the supplier and accepted by the buyer.",
            }
            for period, quantity in sorted(portfolio.delivered(ob).items())
        ],
    }


def _quarter(label: str) -> dict[str, str]:
    start, end = _bounds(label)
    return {"startDate": start, "endDate": end}


@lru_cache(maxsize=512)
def _bounds(label: str) -> tuple[str, str]:
    """A quarter's first and last instants (a portfolio's releases name each one many times)."""
    quarter = Quarter.parse(label)
    return _start(quarter.starts), _end(quarter.ends)


def _start(day: date) -> str:
    return _instant(datetime.combine(day, time(0, 0), UTC))


def _end(day: date) -> str:
    return _instant(datetime.combine(day, time(23, 59, 59), UTC))


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
