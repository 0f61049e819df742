"""Event consumers of the brokerage service.

``CONSUMERS`` (with the default referral policy and the system clock) is what ``svl streams
provision`` declares and ``svl rebuild brokerage`` replays; the running service builds the same
consumers from its settings and clock with :func:`consumers_for`.
"""

from __future__ import annotations

from sqlalchemy import Table
from svledger.clock import Clock
from svledger.consumers import Consumer

from brokerage.adapters import schema
from brokerage.application.proposals import ReferralPolicy
from brokerage.consumers.alerts import ALERTS, alerts_consumer
from brokerage.consumers.contracts import CONTRACTS


def consumers_for(policy: ReferralPolicy, clock: Clock) -> list[Consumer]:
    """The service's consumers, proposing matches as ``policy`` says."""
    return [CONTRACTS, alerts_consumer(policy, clock)]


CONSUMERS: list[Consumer] = [CONTRACTS, ALERTS]

# What `svl rebuild brokerage` empties before replaying the consumers above: the tables they
# keep from other services' events. The brokerage's own aggregates' tables are written with
# their events (brokerage.adapters.tables) and are not listed. A replayed alert proposes no
# matches again: each alert's proposals are recorded once (ShortfallReferred).
READ_MODEL_TABLES: list[Table] = list(schema.metadata.sorted_tables)
