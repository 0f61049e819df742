"""Queries over the read models, each on a read connection of its own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.database import Database

from reporting.adapters.tables import alerts, contracts, obligations, returns
from reporting.domain.progress import (
    Alert,
    AlertStatus,
    AwardedContract,
    ContractProgress,
    ObligationProgress,
    SubmittedReturn,
)


class ReadModels:
    """What reporting has projected, read back in the shapes the application returns."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def contract_progress(self, contract_id: str) -> ContractProgress | None:
        """A contract with its obligations, returns and open alerts; None when unknown."""
        async with self.database.reader.connect() as conn:
            row = (
                await conn.execute(select(contracts).where(contracts.c.contract_id == contract_id))
            ).first()
            if row is None:
                return None
            return ContractProgress(
                contract=_contract(row),
                obligations=await _obligations(conn, contract_id),
                returns=await _returns(conn, contract_id),
                open_alerts=await _alerts(
                    conn, alerts.c.contract_id == contract_id, AlertStatus.OPEN
                ),
            )

    async def alerts_for(self, organisation: str, status: AlertStatus | None) -> list[Alert]:
        """Alerts on contracts the organisation let or delivers, optionally in one status."""
        party = or_(alerts.c.buyer == organisation, alerts.c.supplier == organisation)
        async with self.database.reader.connect() as conn:
            return await _alerts(conn, party, status)


async def _obligations(conn: AsyncConnection, contract_id: str) -> list[ObligationProgress]:
    query = (
        select(obligations)
        .where(obligations.c.contract_id == contract_id)
        .order_by(
            obligations.c.sequence.is_(None),  # assessed but not yet known from the contract
            obligations.c.sequence,
            obligations.c.obligation_id,
        )
    )
    return [
        ObligationProgress(
            obligation_id=r.obligation_id,
            measure=r.measure,
            theme=r.theme,
            outcome=r.outcome,
            unit=r.unit,
            description=r.description,
            is_kpi=r.is_kpi,
            committed_total=r.committed_total,
            committed_to_date=r.committed_to_date,
            delivered_to_date=r.delivered_to_date,
            ratio=r.ratio,
            status=r.status,
            last_period_assessed=r.last_period_assessed,
        )
        for r in (await conn.execute(query)).all()
    ]


async def _returns(conn: AsyncConnection, contract_id: str) -> list[SubmittedReturn]:
    query = select(returns).where(returns.c.contract_id == contract_id).order_by(returns.c.period)
    return [
        SubmittedReturn(
            contract_id=r.contract_id, period=r.period, late=r.late, submitted_at=r.submitted_at
        )
        for r in (await conn.execute(query)).all()
    ]


async def _alerts(
    conn: AsyncConnection, which: ColumnElement[bool], status: AlertStatus | None
) -> list[Alert]:
    query = select(alerts).where(which).order_by(alerts.c.raised_on, alerts.c.alert_id)
    if status is not None:
        query = query.where(alerts.c.status == status.value)
    return [_alert(r) for r in (await conn.execute(query)).all()]


def _contract(r: Row[Any]) -> AwardedContract:
    return AwardedContract(
        contract_id=r.contract_id,
        reference=r.reference,
        title=r.title,
        buyer=r.buyer,
        supplier=r.supplier,
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        value_gbp=r.value_gbp,
        framework_version=r.framework_version,
        awarded_at=r.awarded_at,
    )


def _alert(r: Row[Any]) -> Alert:
    return Alert(
        alert_id=r.alert_id,
        contract_id=r.contract_id,
        obligation_id=r.obligation_id,
        measure=r.measure,
        period=r.period,
        kind=r.kind,
        severity=r.severity,
        status=AlertStatus(r.status),
        buyer=r.buyer,
        supplier=r.supplier,
        ratio=r.ratio,
        raised_on=r.raised_on,
    )
