"""Bring the brokerage's own read models up to date with newly recorded events, in the same
transaction (the unit of work and the shortfall consumer call :func:`project` after their
appends), so the read models never disagree with the log they are drawn from."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, Uuid, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.envelope import EventEnvelope
from svledger.periods import Quarter

from brokerage.adapters.tables import (
    ask_measures,
    asks,
    deliveries,
    local_needs,
    matches,
    offer_measures,
    offers,
    organisation_places,
    organisation_vouches,
    organisations,
)
from brokerage.domain import ask as ask_events
from brokerage.domain import match as match_events
from brokerage.domain import needs as needs_events
from brokerage.domain import offer as offer_events
from brokerage.domain import organisation as organisation_events

Projection = Callable[[AsyncConnection, EventEnvelope], Awaitable[None]]


async def project(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
    """Apply each event to the read models it affects."""
    for envelope in envelopes:
        projection = _PROJECTIONS.get(envelope.type)
        if projection is not None:
            await projection(conn, envelope)


def _day(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _id(value: Any) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _quantity(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def _set(conn: AsyncConnection, table: Table, e: EventEnvelope, **values: Any) -> None:
    """Update the row of the event's aggregate (keyed like the event data), moving it to the
    event's version."""
    [key] = table.primary_key.columns
    raw = e.data[key.name]
    where = key == (uuid.UUID(raw) if isinstance(key.type, Uuid) else raw)
    await conn.execute(update(table).where(where).values(version=e.stream_version, **values))


async def _organisation_registered(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    await conn.execute(
        insert(organisations).values(
            organisation_id=d["organisation_id"],
            name=d["name"],
            kind=d["kind"],
            form=d["form"],
            places=list(d["places"]),
            outcomes=list(d["outcomes"]),
            charity_number=d["charity_number"],
            company_number=d["company_number"],
            registered_by=d["registered_by"],
            registered_on=_day(d["registered_on"]),
            version=e.stream_version,
        )
    )
    if d["places"]:
        await conn.execute(
            insert(organisation_places),
            [{"organisation_id": d["organisation_id"], "place": p} for p in d["places"]],
        )


async def _organisation_vouched(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    await conn.execute(
        insert(organisation_vouches).values(
            organisation_id=d["organisation_id"],
            cvs=d["cvs"],
            note=d["note"],
            vouched_on=_day(d["vouched_on"]),
        )
    )
    await _set(conn, organisations, e)


async def _needs_published(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    await conn.execute(delete(local_needs).where(local_needs.c.publisher == d["publisher"]))
    await conn.execute(
        insert(local_needs),
        [
            {
                "publisher": d["publisher"],
                "place": n["place"],
                "outcome": n["outcome"],
                "priority": n["priority"],
                "note": n["note"],
                "published_on": _day(d["published_on"]),
            }
            for n in d["needs"]
        ],
    )


def _ask_terms(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": d["kind"],
        "title": d["title"],
        "description": d["description"],
        "measures": list(d["measures"]),
        "quantity": _quantity(d["quantity"]),
        "unit": d["unit"],
        "place": d["place"],
        "outcomes": list(d["outcomes"]),
        "needed_by": _day(d["needed_by"]),
    }


async def _ask_measures(conn: AsyncConnection, ask_id: uuid.UUID, measures: list[str]) -> None:
    await conn.execute(delete(ask_measures).where(ask_measures.c.ask_id == ask_id))
    await conn.execute(insert(ask_measures), [{"ask_id": ask_id, "measure": m} for m in measures])


async def _ask_posted(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    ask_id = uuid.UUID(d["ask_id"])
    await conn.execute(
        insert(asks).values(
            ask_id=ask_id,
            vcfse=d["vcfse"],
            posted_by=d["posted_by"],
            posted_on=_day(d["posted_on"]),
            filled=Decimal(0),
            status=ask_events.AskStatus.OPEN.value,
            version=e.stream_version,
            **_ask_terms(d),
        )
    )
    await _ask_measures(conn, ask_id, d["measures"])


async def _ask_updated(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _set(conn, asks, e, status=e.data["status"], **_ask_terms(e.data))
    await _ask_measures(conn, uuid.UUID(e.data["ask_id"]), e.data["measures"])


async def _ask_filled(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _set(conn, asks, e, filled=_quantity(e.data["filled"]), status=e.data["status"])


async def _ask_closed(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _set(conn, asks, e, status=ask_events.AskStatus.CLOSED.value)


async def _offer_posted(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    offer_id = uuid.UUID(d["offer_id"])
    await conn.execute(
        insert(offers).values(
            offer_id=offer_id,
            supplier=d["supplier"],
            kind=d["kind"],
            title=d["title"],
            description=d["description"],
            measures=list(d["measures"]),
            places=list(d["places"]),
            quantity=_quantity(d["quantity"]),
            unit=d["unit"],
            available_until=_day(d["available_until"]),
            obligation_id=_id(d["obligation_id"]),
            contract_id=_id(d["contract_id"]),
            status=offer_events.OfferStatus.OPEN.value,
            posted_on=_day(d["posted_on"]),
            version=e.stream_version,
        )
    )
    await conn.execute(
        insert(offer_measures), [{"offer_id": offer_id, "measure": m} for m in d["measures"]]
    )


async def _offer_withdrawn(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _set(conn, offers, e, status=offer_events.OfferStatus.WITHDRAWN.value)


async def _match_proposed(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    await conn.execute(
        insert(matches).values(
            match_id=uuid.UUID(d["match_id"]),
            ask_id=_id(d["ask_id"]),
            offer_id=_id(d["offer_id"]),
            supplier=d["supplier"],
            vcfse=d["vcfse"],
            buyer=d["buyer"],
            measure=d["measure"],
            unit=d["unit"],
            obligation_id=_id(d["obligation_id"]),
            contract_id=_id(d["contract_id"]),
            alert_id=_id(d["alert_id"]),
            score=_quantity(d["score"]),
            reasons=list(d["reasons"]),
            proposed_by=d["proposed_by"],
            proposed_on=_day(d["proposed_on"]),
            status=match_events.MatchStatus.PROPOSED.value,
            supplier_accepted=False,
            vcfse_accepted=False,
            version=e.stream_version,
        )
    )


async def _match_accepted(conn: AsyncConnection, e: EventEnvelope) -> None:
    side = f"{e.data['side']}_accepted"
    await _set(conn, matches, e, status=e.data["status"], **{side: True})


async def _match_declined(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _set(
        conn,
        matches,
        e,
        status=match_events.MatchStatus.DECLINED.value,
        declined_by=e.data["side"],
        decline_reason=e.data["reason"],
    )


async def _delivery_recorded(conn: AsyncConnection, e: EventEnvelope) -> None:
    d = e.data
    delivered_on = date.fromisoformat(d["delivered_on"])
    await conn.execute(
        insert(deliveries).values(
            delivery_id=uuid.UUID(d["delivery_id"]),
            match_id=uuid.UUID(d["match_id"]),
            supplier=d["supplier"],
            vcfse=d["vcfse"],
            quantity=_quantity(d["quantity"]),
            unit=d["unit"],
            delivered_on=delivered_on,
            period=Quarter.containing(delivered_on).label,
            note=d["note"],
            status=match_events.DeliveryStatus.RECORDED.value,
            recorded_on=_day(d["recorded_on"]),
        )
    )
    await _set(conn, matches, e)


async def _delivery_settled(conn: AsyncConnection, e: EventEnvelope, **values: Any) -> None:
    await conn.execute(
        update(deliveries)
        .where(deliveries.c.delivery_id == uuid.UUID(e.data["delivery_id"]))
        .values(**values)
    )
    await _set(conn, matches, e)


async def _delivery_confirmed(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _delivery_settled(
        conn,
        e,
        status=match_events.DeliveryStatus.CONFIRMED.value,
        confirmed_by=e.data["confirmed_by"],
        confirmed_on=_day(e.data["confirmed_on"]),
    )


async def _delivery_disputed(conn: AsyncConnection, e: EventEnvelope) -> None:
    await _delivery_settled(
        conn,
        e,
        status=match_events.DeliveryStatus.DISPUTED.value,
        dispute_reason=e.data["reason"],
        disputed_on=_day(e.data["disputed_on"]),
    )


_PROJECTIONS: dict[str, Projection] = {
    organisation_events.ORGANISATION_REGISTERED: _organisation_registered,
    organisation_events.ORGANISATION_VOUCHED: _organisation_vouched,
    needs_events.LOCAL_NEEDS_PUBLISHED: _needs_published,
    ask_events.ASK_POSTED: _ask_posted,
    ask_events.ASK_UPDATED: _ask_updated,
    ask_events.ASK_FILLED: _ask_filled,
    ask_events.ASK_CLOSED: _ask_closed,
    offer_events.OFFER_POSTED: _offer_posted,
    offer_events.OFFER_WITHDRAWN: _offer_withdrawn,
    match_events.MATCH_PROPOSED: _match_proposed,
    match_events.MATCH_ACCEPTED: _match_accepted,
    match_events.MATCH_DECLINED: _match_declined,
    match_events.DELIVERY_RECORDED: _delivery_recorded,
    match_events.DELIVERY_CONFIRMED: _delivery_confirmed,
    match_events.DELIVERY_DISPUTED: _delivery_disputed,
}
