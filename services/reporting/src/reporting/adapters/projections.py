"""Writes to the read models, inside the consuming transaction.

Every write is an upsert that sets values rather than adding to them, so replaying an event
(a rebuild, or a redelivery past the tracking table) leaves the same rows. Events from
different streams arrive in no particular order relative to each other; each write therefore
works whether or not the rows another stream fills exist yet.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.columns import upsert

from reporting.adapters.tables import alerts, contracts, obligations, returns
from reporting.domain.progress import (
    Alert,
    Assessment,
    AwardedContract,
    Commitment,
    SubmittedReturn,
)

_COMMITMENT_COLUMNS = (
    "sequence",
    "measure",
    "theme",
    "outcome",
    "unit",
    "description",
    "is_kpi",
    "committed_total",
)
_ASSESSMENT_COLUMNS = (
    "committed_to_date",
    "delivered_to_date",
    "ratio",
    "status",
    "last_period_assessed",
    "assessed_at",
)


async def record_contract(
    conn: AsyncConnection, contract: AwardedContract, commitments: Sequence[Commitment]
) -> None:
    """Record an awarded contract and what each of its obligations commits."""
    await upsert(
        conn,
        contracts,
        {
            "contract_id": contract.contract_id,
            "reference": contract.reference,
            "title": contract.title,
            "buyer": contract.buyer,
            "supplier": contract.supplier,
            "starts_on": contract.starts_on,
            "ends_on": contract.ends_on,
            "value_gbp": contract.value_gbp,
            "framework_version": contract.framework_version,
            "awarded_at": contract.awarded_at,
        },
        key=("contract_id",),
    )
    for c in commitments:
        await upsert(
            conn,
            obligations,
            {
                "contract_id": c.contract_id,
                "obligation_id": c.obligation_id,
                "sequence": c.sequence,
                "measure": c.measure,
                "theme": c.theme,
                "outcome": c.outcome,
                "unit": c.unit,
                "description": c.description,
                "is_kpi": c.is_kpi,
                "committed_total": c.committed_total,
            },
            key=("contract_id", "obligation_id"),
            update=_COMMITMENT_COLUMNS,
        )


async def record_assessment(conn: AsyncConnection, assessment: Assessment) -> None:
    """Show an obligation's latest assessment.

    An assessment of an earlier period than the one shown (a past return amended and
    reassessed) does not replace it: the figures shown are cumulative to the latest period.
    """
    later_or_same = or_(
        obligations.c.last_period_assessed.is_(None),
        obligations.c.last_period_assessed <= assessment.period,
    )
    await upsert(
        conn,
        obligations,
        {
            "contract_id": assessment.contract_id,
            "obligation_id": assessment.obligation_id,
            "measure": assessment.measure,
            "unit": assessment.unit,
            "committed_to_date": assessment.committed_to_date,
            "delivered_to_date": assessment.delivered_to_date,
            "ratio": assessment.ratio,
            "status": assessment.status,
            "last_period_assessed": assessment.period,
            "assessed_at": assessment.assessed_at,
        },
        key=("contract_id", "obligation_id"),
        update=_ASSESSMENT_COLUMNS,
        where=later_or_same,
    )


async def record_return(conn: AsyncConnection, submitted: SubmittedReturn) -> None:
    """Note that a period's return is in."""
    await upsert(
        conn,
        returns,
        {
            "contract_id": submitted.contract_id,
            "period": submitted.period,
            "late": submitted.late,
            "submitted_at": submitted.submitted_at,
        },
        key=("contract_id", "period"),
    )


async def record_alert(conn: AsyncConnection, alert: Alert) -> None:
    """Record a raised alert; raising it again never reopens one that has moved on."""
    await upsert(
        conn,
        alerts,
        {
            "alert_id": alert.alert_id,
            "contract_id": alert.contract_id,
            "obligation_id": alert.obligation_id,
            "measure": alert.measure,
            "period": alert.period,
            "kind": alert.kind,
            "severity": alert.severity,
            "status": alert.status.value,
            "buyer": alert.buyer,
            "supplier": alert.supplier,
            "ratio": alert.ratio,
            "raised_on": alert.raised_on,
        },
        key=("alert_id",),
        update=(),
    )
