"""What matching needs from the read models: suppliers' capabilities (obligations of open
contracts and open offers, one per measure) and their open shortfalls."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from brokerage.adapters.directory import registered_places
from brokerage.adapters.needs import all_needs
from brokerage.adapters.schema import shortfalls, supplier_contracts, supplier_obligations
from brokerage.adapters.tables import offer_measures, offers
from brokerage.domain.matching import Behind, Capability
from brokerage.domain.needs import Need


async def capabilities(
    conn: AsyncConnection,
    today: date,
    *,
    supplier: str | None = None,
    measures: Iterable[str] | None = None,
) -> list[Capability]:
    """What suppliers owe under contracts still running, and what they offer, by measure.

    A contract whose award has not reached the brokerage yet counts as running.
    """
    wanted = None if measures is None else list(measures)
    ob, co = supplier_obligations, supplier_contracts
    owed = (
        select(ob, co.c.places, co.c.status)
        .select_from(ob.outerjoin(co, co.c.contract_id == ob.c.contract_id))
        .where(
            ob.c.contract_ends_on >= today,
            or_(co.c.status.is_(None), co.c.status == "active"),
        )
    )
    offered = (
        select(offers, offer_measures.c.measure.label("measure"))
        .join(offer_measures, offer_measures.c.offer_id == offers.c.offer_id)
        .where(
            offers.c.status == "open",
            or_(offers.c.available_until.is_(None), offers.c.available_until >= today),
        )
    )
    if supplier is not None:
        owed = owed.where(ob.c.supplier == supplier)
        offered = offered.where(offers.c.supplier == supplier)
    if wanted is not None:
        owed = owed.where(ob.c.measure.in_(wanted))
        offered = offered.where(offer_measures.c.measure.in_(wanted))
    found = [
        Capability(
            supplier=r.supplier,
            measure=r.measure,
            places=(
                frozenset([r.place]) if r.place else (frozenset(r.places) if r.places else None)
            ),
            quantity=r.total_committed,
            unit=r.unit,
            obligation_id=str(r.obligation_id),
            contract_id=str(r.contract_id),
            buyer=r.buyer,
        )
        for r in await conn.execute(owed)
    ]
    found += [
        Capability(
            supplier=r.supplier,
            measure=r.measure,
            places=frozenset(r.places),
            quantity=r.quantity,
            unit=r.unit,
            obligation_id=None if r.obligation_id is None else str(r.obligation_id),
            contract_id=None if r.contract_id is None else str(r.contract_id),
            offer_id=str(r.offer_id),
        )
        for r in await conn.execute(offered)
    ]
    return found


async def behind(conn: AsyncConnection, suppliers: Iterable[str]) -> list[Behind]:
    """Open shortfalls (alerts not yet resolved) of ``suppliers``."""
    ids = list(set(suppliers))
    if not ids:
        return []
    query = select(shortfalls).where(
        shortfalls.c.supplier.in_(ids), shortfalls.c.resolved_on.is_(None)
    )
    return [
        Behind(
            supplier=r.supplier,
            measure=r.measure,
            obligation_id=str(r.obligation_id),
            kind=r.kind,
            severity=r.severity,
            ratio=r.ratio,
            period=r.period,
        )
        for r in await conn.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class Market:
    """Everything matching weighs besides the asks: who can give what, who is behind, where
    need is greatest, and where suppliers registered as working."""

    capabilities: list[Capability]
    behind: list[Behind]
    needs: list[Need]
    places: dict[str, frozenset[str]]

    def places_of(self, supplier: str) -> frozenset[str]:
        """Where ``supplier`` registered as working (empty when it has not registered)."""
        return self.places.get(supplier, frozenset())


async def market(
    conn: AsyncConnection,
    today: date,
    *,
    supplier: str | None = None,
    measures: Iterable[str] | None = None,
) -> Market:
    """The market for one supplier, or for every supplier on some measures."""
    able = await capabilities(conn, today, supplier=supplier, measures=measures)
    suppliers = {c.supplier for c in able} | ({supplier} if supplier else set())
    return Market(
        capabilities=able,
        behind=await behind(conn, suppliers),
        needs=await all_needs(conn),
        places=await registered_places(conn, suppliers),
    )
