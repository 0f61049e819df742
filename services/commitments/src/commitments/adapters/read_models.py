"""Queries over the read models: the lists behind GET /tenders, /bids, /contracts, /pledges.

Every query is scoped by the caller's organisation before any filter is applied. Quantities
come back as Decimals; SQLite keeps them as text, so nothing here sums or compares them in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection
from svledger.database import Database
from svledger.paging import Page

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


@dataclass(frozen=True, slots=True)
class TenderFilter:
    """What a tender list may be narrowed to."""

    status: str | None = None
    buyer: str | None = None
    measure: str | None = None
    place: str | None = None


class ReadModels:
    """The commitments read models, each query on a read connection of its own."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def framework_versions(self) -> list[dict[str, Any]]:
        """Published framework versions, oldest first."""
        query = select(framework_versions).order_by(
            framework_versions.c.published_on, framework_versions.c.version
        )
        async with self.database.reader.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def tenders(
        self, organisation: str, where: TenderFilter, page: Page
    ) -> list[dict[str, Any]]:
        """Tenders the organisation may see (published ones, and its own drafts), filtered."""
        visible = or_(tenders.c.buyer == organisation, tenders.c.published_on.is_not(None))
        conditions: list[ColumnElement[bool]] = [visible]
        if where.status is not None:
            conditions.append(tenders.c.status == where.status)
        if where.buyer is not None:
            conditions.append(tenders.c.buyer == where.buyer)
        if where.measure is not None:
            conditions.append(
                exists().where(
                    tender_measures.c.tender_id == tenders.c.tender_id,
                    tender_measures.c.measure == where.measure,
                )
            )
        if where.place is not None:
            conditions.append(
                exists().where(
                    tender_places.c.tender_id == tenders.c.tender_id,
                    tender_places.c.place == where.place,
                )
            )
        query = _paged(
            select(tenders)
            .where(and_(*conditions))
            .order_by(tenders.c.closes_on, tenders.c.tender_id),
            page,
        )
        async with self.database.reader.connect() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
            ids = [r["tender_id"] for r in rows]
            measures = await _grouped(conn, tender_measures.c.measure, tender_measures, ids)
            places = await _grouped(conn, tender_places.c.place, tender_places, ids)
        for row in rows:
            row["relevant_measures"] = measures.get(row["tender_id"], [])
            row["places"] = places.get(row["tender_id"], [])
        return rows

    async def bids_of(
        self, supplier: str, tender_id: str | None, page: Page
    ) -> list[dict[str, Any]]:
        """A supplier's own bids, optionally on one tender."""
        condition = bids.c.supplier == supplier
        if tender_id is not None:
            condition = and_(condition, bids.c.tender_id == tender_id)
        return await self._bids(condition, page)

    async def bids_on(self, tender_id: str, page: Page) -> list[dict[str, Any]]:
        """Every bid on a tender (the caller has checked the buyer may see them)."""
        return await self._bids(bids.c.tender_id == tender_id, page)

    async def tenders_bid_on(self, supplier: str, buyer: str) -> list[str]:
        """The buyer's tenders the supplier has bid on (withdrawn bids too)."""
        query = (
            select(bids.c.tender_id)
            .where(bids.c.supplier == supplier, bids.c.buyer == buyer)
            .distinct()
            .order_by(bids.c.tender_id)
        )
        async with self.database.reader.connect() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def _bids(self, condition: ColumnElement[bool], page: Page) -> list[dict[str, Any]]:
        query = _paged(
            select(bids).where(condition).order_by(bids.c.submitted_on, bids.c.bid_id), page
        )
        async with self.database.reader.connect() as conn:
            return [dict(r._mapping) for r in (await conn.execute(query)).all()]

    async def contracts(
        self,
        organisation: str,
        *,
        status: str | None,
        measure: str | None,
        page: Page,
    ) -> list[dict[str, Any]]:
        """Contracts the organisation let or delivers, each with obligations and targets."""
        conditions: list[ColumnElement[bool]] = [
            or_(contracts.c.buyer == organisation, contracts.c.supplier == organisation)
        ]
        if status is not None:
            conditions.append(contracts.c.status == status)
        if measure is not None:
            conditions.append(
                exists().where(
                    contract_obligations.c.contract_id == contracts.c.contract_id,
                    contract_obligations.c.measure == measure,
                )
            )
        query = _paged(
            select(contracts)
            .where(and_(*conditions))
            .order_by(contracts.c.starts_on, contracts.c.reference, contracts.c.contract_id),
            page,
        )
        async with self.database.reader.connect() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
            obligations = await _obligations(conn, [r["contract_id"] for r in rows])
        for row in rows:
            row["obligations"] = obligations.get(row["contract_id"], [])
        return rows

    async def references_taken(self, buyer: str, references: Collection[str]) -> set[str]:
        """Which of ``references`` the buyer has already registered."""
        if not references:
            return set()
        query = select(contracts.c.reference).where(
            contracts.c.buyer == buyer, contracts.c.reference.in_(list(references))
        )
        async with self.database.reader.connect() as conn:
            return {r.reference for r in (await conn.execute(query)).all()}

    async def pledges(self, organisation: str | None, page: Page) -> list[dict[str, Any]]:
        """Pledges with their figures: one organisation's, or (None) every organisation's."""
        condition = true() if organisation is None else pledges.c.organisation == organisation
        query = _paged(select(pledges).where(condition).order_by(pledges.c.organisation), page)
        async with self.database.reader.connect() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
            orgs = [r["organisation"] for r in rows]
            figures = (
                await conn.execute(
                    select(pledge_figures)
                    .where(pledge_figures.c.organisation.in_(orgs))
                    .order_by(pledge_figures.c.year, pledge_figures.c.measure)
                )
            ).all()
        by_org: dict[str, dict[str, Any]] = defaultdict(lambda: {"baseline": {}, "targets": {}})
        for f in figures:
            if f.kind == "baseline":
                by_org[f.organisation]["baseline"][f.measure] = f.figure
            else:
                by_org[f.organisation]["targets"].setdefault(f.year, {})[f.measure] = f.figure
        for row in rows:
            row.update(by_org[row["organisation"]])
        return rows


def _paged(query: Select[Any], page: Page) -> Select[Any]:
    return query.limit(page.limit).offset(page.offset)


async def _grouped(
    conn: AsyncConnection, column: Any, table: Any, tender_ids: list[str]
) -> dict[str, list[str]]:
    if not tender_ids:
        return {}
    rows = (
        await conn.execute(
            select(table.c.tender_id, column)
            .where(table.c.tender_id.in_(tender_ids))
            .order_by(table.c.tender_id, column)
        )
    ).all()
    grouped: dict[str, list[str]] = defaultdict(list)
    for tender_id, value in rows:
        grouped[tender_id].append(value)
    return grouped


async def _obligations(
    conn: AsyncConnection, contract_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    if not contract_ids:
        return {}
    obligations = (
        await conn.execute(
            select(contract_obligations)
            .where(contract_obligations.c.contract_id.in_(contract_ids))
            .order_by(contract_obligations.c.contract_id, contract_obligations.c.sequence)
        )
    ).all()
    targets = (
        await conn.execute(
            select(obligation_targets)
            .where(obligation_targets.c.obligation_id.in_([o.obligation_id for o in obligations]))
            .order_by(obligation_targets.c.obligation_id, obligation_targets.c.period)
        )
    ).all()
    due: dict[str, dict[str, Any]] = defaultdict(dict)
    cancelled: dict[str, dict[str, Any]] = defaultdict(dict)
    for t in targets:
        (cancelled if t.cancelled else due)[t.obligation_id][t.period] = t.target
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in obligations:
        row = dict(o._mapping)
        row["targets"] = due[o.obligation_id]
        row["cancelled_targets"] = cancelled[o.obligation_id]
        grouped[o.contract_id].append(row)
    return grouped
