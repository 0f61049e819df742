"""Bring the read models up to date with newly recorded events, in the same transaction.

The unit of work calls :func:`project` after its appends, so the read models never disagree
with the log they are drawn from. Events that change nothing listed (evaluations, policies,
unit corrections) only move the row's version, if they have a row at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.envelope import EventEnvelope
from svledger.errors import Conflict

from commitments.adapters.tables import (
    bids,
    contract_obligations,
    contracts,
    framework_versions,
    obligation_targets,
    pledge_figures,
    pledges,
    tender_measures,
    tender_places,
    tenders,
)
from commitments.domain import bid as bid_events
from commitments.domain import contract as contract_events
from commitments.domain import framework as framework_events
from commitments.domain import pledge as pledge_events
from commitments.domain import tender as tender_events

Projection = Callable[[AsyncConnection, EventEnvelope], Awaitable[None]]


async def project(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply each event to the read models it affects."""
    for envelope in envelopes:
        projection = _PROJECTIONS.get(envelope.type)
        if projection is not None:
            await projection(conn, envelope)
        elif envelope.aggregate == "tender":
            await _tender_version(conn, envelope)


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _quantity(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _framework_published(conn: AsyncConnection, e: EventEnvelope) -> None:
    await conn.execute(
        insert(framework_versions).values(
            version=e.data["version"],
            title=e.data["title"],
            published_on=_day(e.data["published_on"]),
        )
    )


def _tender_row(e: EventEnvelope) -> dict[str, Any]:
    d = e.data
    return {
        "title": d["title"],
        "estimated_value_gbp": _quantity(d["estimated_value_gbp"]),
        "contract_starts_on": _day(d["contract_starts_on"]),
        "contract_ends_on": _day(d["contract_ends_on"]),
        "vcfse_relevant": bool(d["vcfse_relevant"]),
        "closes_on": _day(d["closes_on"]),
    }


async def _tender_lists(conn: AsyncConnection, e: EventEnvelope) -> None:
    tender_id = e.data["tender_id"]
    await conn.execute(delete(tender_measures).where(tender_measures.c.tender_id == tender_id))
    await conn.execute(delete(tender_places).where(tender_places.c.tender_id == tender_id))
    await conn.execute(
        insert(tender_measures),
        [
            {"tender_id": tender_id, "measure": m}
            for m in dict.fromkeys(e.data["relevant_measures"])
        ],
    )
    await conn.execute(
        insert(tender_places),
        [{"tender_id": tender_id, "place": p} for p in dict.fromkeys(e.data["places"])],
    )


async def _tender_drafted(conn: AsyncConnection, e: EventEnvelope) -> None:
    await conn.execute(
        insert(tenders).values(
            tender_id=e.data["tender_id"],
            buyer=e.data["buyer"],
            status=tender_events.TenderStatus.DRAFT.value,
            framework_version=e.data["framework_version"],
            version=e.stream_version,
            updated_at=e.recorded_at,
            **_tender_row(e),
        )
    )
    await _tender_lists(conn, e)


async def _tender_revised(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(conn, e, **_tender_row(e))
    await _tender_lists(conn, e)


async def _tender_published(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(
        conn,
        e,
        status=tender_events.TenderStatus.PUBLISHED.value,
        published_on=_day(e.data["published_on"]),
    )


async def _tender_closed(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(conn, e, status=tender_events.TenderStatus.CLOSED.value)


async def _tender_cancelled(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(conn, e, status=tender_events.TenderStatus.CANCELLED.value)
    live = and_(bids.c.tender_id == e.data["tender_id"], bids.c.status == "submitted")
    await conn.execute(update(bids).where(live).values(status="cancelled"))


async def _tender_awarded(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(conn, e, status=tender_events.TenderStatus.AWARDED.value)
    live = and_(bids.c.tender_id == e.data["tender_id"], bids.c.status == "submitted")
    await conn.execute(
        update(bids).where(live, bids.c.bid_id == e.data["bid_id"]).values(status="awarded")
    )
    await conn.execute(update(bids).where(live).values(status="unsuccessful"))


async def _tender_version(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_tender(conn, e)


async def _update_tender(conn: AsyncConnection, e: EventEnvelope, **values: Any) -> None:
    await conn.execute(
        update(tenders)
        .where(tenders.c.tender_id == e.data["tender_id"])
        .values(version=e.stream_version, updated_at=e.recorded_at, **values)
    )


async def _bid_submitted(conn: AsyncConnection, e: EventEnvelope) -> None:
    await conn.execute(
        insert(bids).values(
            bid_id=e.data["bid_id"],
            tender_id=e.data["tender_id"],
            supplier=e.data["supplier"],
            buyer=e.data["buyer"],
            status="submitted",
            revision=int(e.data["revision"]),
            total_proxy_value_gbp=_quantity(e.data["total_proxy_value_gbp"]),
            submitted_on=_day(e.data["submitted_on"]),
            version=e.stream_version,
        )
    )


async def _bid_revised(conn: AsyncConnection, e: EventEnvelope) -> None:
    await conn.execute(
        update(bids)
        .where(bids.c.bid_id == e.data["bid_id"])
        .values(
            revision=int(e.data["revision"]),
            total_proxy_value_gbp=_quantity(e.data["total_proxy_value_gbp"]),
            submitted_on=_day(e.data["submitted_on"]),
            version=e.stream_version,
        )
    )


async def _bid_withdrawn(conn: AsyncConnection, e: EventEnvelope) -> None:
    await conn.execute(
        update(bids)
        .where(bids.c.bid_id == e.data["bid_id"])
        .values(status="withdrawn", version=e.stream_version)
    )


async def _contract_awarded(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    try:
        await conn.execute(
            insert(contracts).values(
                contract_id=d["contract_id"],
                reference=d["reference"],
                title=d["title"],
                buyer=d["buyer"],
                supplier=d["supplier"],
                status=contract_events.ContractStatus.ACTIVE.value,
                starts_on=_day(d["starts_on"]),
                ends_on=_day(d["ends_on"]),
                value_gbp=_quantity(d["value_gbp"]),
                framework_version=d["framework_version"],
                tender_id=d.get("tender_id"),
                version=e.stream_version,
                awarded_at=e.recorded_at,
            )
        )
    except IntegrityError as exc:
        raise Conflict(
            f"a contract with reference {d['reference']} is already registered",
            field="reference",
        ) from exc
    await conn.execute(
        insert(contract_obligations),
        [
            {
                "obligation_id": ob["obligation_id"],
                "contract_id": d["contract_id"],
                "sequence": i,
                "measure": ob["measure"],
                "theme": ob["theme"],
                "outcome": ob["outcome"],
                "unit": ob["unit"],
                "description": ob["description"],
                "is_kpi": bool(ob["is_kpi"]),
                "place": ob.get("place"),
                "vcfse_partner": ob.get("vcfse_partner"),
                "total": _quantity(ob["total"]),
            }
            for i, ob in enumerate(d["obligations"])
        ],
    )
    targets = [
        {
            "obligation_id": ob["obligation_id"],
            "period": period,
            "target": _quantity(target),
            "cancelled": False,
        }
        for ob in d["obligations"]
        for period, target in ob["targets"].items()
    ]
    if targets:
        await conn.execute(insert(obligation_targets), targets)


async def _obligation_varied(conn: AsyncConnection, e: EventEnvelope) -> None:
    obligation_id = e.data["obligation_id"]
    await conn.execute(
        delete(obligation_targets).where(obligation_targets.c.obligation_id == obligation_id)
    )
    rows = [
        {"obligation_id": obligation_id, "period": p, "target": _quantity(t), "cancelled": False}
        for p, t in e.data["targets"].items()
    ]
    if rows:
        await conn.execute(insert(obligation_targets), rows)
    await conn.execute(
        update(contract_obligations)
        .where(contract_obligations.c.obligation_id == obligation_id)
        .values(total=_quantity(e.data["total"]))
    )
    await _update_contract(conn, e)


async def _contract_completed(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_contract(conn, e, status=contract_events.ContractStatus.COMPLETED.value)


async def _contract_terminated(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _update_contract(conn, e, status=contract_events.ContractStatus.TERMINATED.value)
    for ob in e.data["obligations"]:
        await conn.execute(
            update(obligation_targets)
            .where(
                obligation_targets.c.obligation_id == ob["obligation_id"],
                obligation_targets.c.period.in_(e.data["cancelled_periods"]),
            )
            .values(cancelled=True)
        )
        await conn.execute(
            update(contract_obligations)
            .where(contract_obligations.c.obligation_id == ob["obligation_id"])
            .values(total=_quantity(ob["total"]))
        )


async def _update_contract(conn: AsyncConnection, e: EventEnvelope, **values: Any) -> None:
    await conn.execute(
        update(contracts)
        .where(contracts.c.contract_id == e.data["contract_id"])
        .values(version=e.stream_version, **values)
    )


async def _pledge(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    organisation = d["organisation"]
    row = {
        "base_year": d["base_year"],
        "revision": int(d.get("revision", 0)),
        "recorded_on": _day(d["recorded_on"]),
        "version": e.stream_version,
    }
    if e.type == pledge_events.PLEDGE_RECORDED:
        await conn.execute(insert(pledges).values(organisation=organisation, **row))
    else:
        await conn.execute(
            update(pledges).where(pledges.c.organisation == organisation).values(**row)
        )
    await conn.execute(delete(pledge_figures).where(pledge_figures.c.organisation == organisation))
    figures = [
        {
            "organisation": organisation,
            "year": d["base_year"],
            "measure": m,
            "kind": "baseline",
            "figure": _quantity(v),
        }
        for m, v in d["baseline"].items()
    ] + [
        {
            "organisation": organisation,
            "year": year,
            "measure": m,
            "kind": "target",
            "figure": _quantity(v),
        }
        for year, targets in d["targets"].items()
        for m, v in targets.items()
    ]
    await conn.execute(insert(pledge_figures), figures)


_PROJECTIONS: dict[str, Projection] = {
    framework_events.FRAMEWORK_PUBLISHED: _framework_published,
    tender_events.TENDER_DRAFTED: _tender_drafted,
    tender_events.TENDER_REVISED: _tender_revised,
    tender_events.TENDER_PUBLISHED: _tender_published,
    tender_events.TENDER_CLOSED: _tender_closed,
    tender_events.TENDER_CANCELLED: _tender_cancelled,
    tender_events.TENDER_AWARDED: _tender_awarded,
    bid_events.BID_SUBMITTED: _bid_submitted,
    bid_events.BID_REVISED: _bid_revised,
    bid_events.BID_WITHDRAWN: _bid_withdrawn,
    contract_events.CONTRACT_AWARDED: _contract_awarded,
    contract_events.OBLIGATION_VARIED: _obligation_varied,
    contract_events.CONTRACT_COMPLETED: _contract_completed,
    contract_events.CONTRACT_TERMINATED: _contract_terminated,
    pledge_events.PLEDGE_RECORDED: _pledge,
    pledge_events.PLEDGE_REVISED: _pledge,
}
