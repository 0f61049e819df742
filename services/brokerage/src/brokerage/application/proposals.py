"""Closing the loop: a shortfall alert from measurement makes the brokerage propose matches
between the supplier that is behind and VCFSE asks it could help with.

Runs inside the alerts consumer's transaction. The proposals are recorded once per alert (a
``ShortfallReferred`` with the match ids, however many), so a redelivered or replayed alert
never proposes again. The events are appended before any read-model write, as the event
store's commit order needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from svledger.envelope import EventEnvelope, NewEvent
from svledger.eventstore import StoreTransaction

from brokerage.adapters.asks import matchable_asks
from brokerage.adapters.capabilities import market
from brokerage.adapters.matches import asks_in_live_matches
from brokerage.adapters.obligations import contract
from brokerage.adapters.projections import project
from brokerage.adapters.shortfalls import record_shortfall
from brokerage.domain.match import SYSTEM, Match, proposal_id
from brokerage.domain.matching import Behind, rank_asks
from brokerage.domain.shortfalls import Referral, Shortfall, shortfall_raised

# The brokerage writes these events in reaction to measurement's; the audit trail says so.
ACTOR = "brokerage"


@dataclass(frozen=True, slots=True)
class ReferralPolicy:
    """How many matches one alert proposes, and how old an alert may be and still propose
    (a late delivery, or a replay of old alerts, proposes nothing)."""

    proposals_per_alert: int = 3
    window_days: int = 90


async def on_alert_raised(
    tx: StoreTransaction, event: EventEnvelope, policy: ReferralPolicy, today: date
) -> None:
    """Record the shortfall an alert reports, proposing matches for it the first time."""
    shortfall = shortfall_raised(event.data)
    if shortfall is None:
        return
    referral = Referral.stream_id(str(shortfall.alert_id))
    if await _should_refer(tx, shortfall, policy, today) and not await tx.load(referral):
        proposals = await _proposals(tx, shortfall, policy, today)
        metadata = event.metadata.caused_by(event, ACTOR)
        recorded = []
        for proposal in proposals:
            stream = Match.stream_id(str(proposal.data["match_id"]))
            recorded += await tx.append(stream, 0, [proposal], metadata)
        match_ids = [str(p.data["match_id"]) for p in proposals]
        recorded += await tx.append(
            referral, 0, [Referral.refer(shortfall, match_ids, today)], metadata
        )
        await project(tx.conn, recorded)
    await record_shortfall(tx.conn, shortfall)


async def _should_refer(
    tx: StoreTransaction, shortfall: Shortfall, policy: ReferralPolicy, today: date
) -> bool:
    if (today - shortfall.raised_on).days > policy.window_days:
        return False
    running = await contract(tx.conn, shortfall.contract_id)
    # A contract whose award has not arrived yet is taken to be running.
    return running is None or running.is_open


async def _proposals(
    tx: StoreTransaction, shortfall: Shortfall, policy: ReferralPolicy, today: date
) -> list[NewEvent]:
    """The best-fitting open asks on the alert's measure, as matches proposed by the system."""
    supplier = shortfall.supplier
    conn = tx.conn
    if policy.proposals_per_alert <= 0:
        return []
    asks = [
        a for a in await matchable_asks(conn, today, [shortfall.measure]) if a.vcfse != supplier
    ]
    # Most shortfalls meet no open ask on their measure: then the supplier's matches are moot.
    if asks:
        taken = await asks_in_live_matches(conn, supplier)
        asks = [a for a in asks if a.ask_id not in taken]
    if not asks:
        return []
    found = await market(conn, today, supplier=supplier)
    # The alert's own shortfall is recorded after the proposals; weigh it already.
    behind = [*found.behind, _behind(shortfall)]
    ranked = rank_asks(
        supplier,
        asks,
        found.capabilities,
        behind,
        found.needs,
        registered_places=found.places_of(supplier),
        measure=shortfall.measure,
        obligation_id=str(shortfall.obligation_id),
    )
    return [
        Match.propose(
            proposal_id(str(shortfall.alert_id), s.ask_id),
            s,
            proposed_by=SYSTEM,
            today=today,
            alert_id=str(shortfall.alert_id),
            contract_id=str(shortfall.contract_id),
            buyer=shortfall.buyer,
        )
        for s in ranked[: policy.proposals_per_alert]
    ]


def _behind(shortfall: Shortfall) -> Behind:
    return Behind(
        supplier=shortfall.supplier,
        measure=shortfall.measure,
        obligation_id=str(shortfall.obligation_id),
        kind=shortfall.kind,
        severity=shortfall.severity,
        ratio=shortfall.ratio,
        period=shortfall.period.label,
    )
