"""Event consumers of the reporting service: each keeps read models of another's events.

One consumer per aggregate subject, so each stream's versions arrive without gaps; event types
without a projection are recorded as seen (and still move the consumer's freshness mark).
"""

from __future__ import annotations

from sqlalchemy import Table
from svledger.consumers import Consumer

from reporting.adapters import tables
from reporting.consumers.alerts import ALERTS
from reporting.consumers.contracts import CONTRACTS, FRAMEWORKS, PLEDGES
from reporting.consumers.deliveries import DELIVERIES
from reporting.consumers.schedules import SCHEDULES

CONSUMERS: list[Consumer] = [CONTRACTS, FRAMEWORKS, PLEDGES, SCHEDULES, ALERTS, DELIVERIES]

# What `svl rebuild reporting` empties before replaying the consumers above: every table.
READ_MODEL_TABLES: list[Table] = list(tables.metadata.sorted_tables)
