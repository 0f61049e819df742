"""Event consumers of the reporting service: each keeps read models of another's events."""

from __future__ import annotations

from sqlalchemy import Table
from svledger.consumers import Consumer

from reporting.adapters import tables
from reporting.consumers.alerts import ALERTS
from reporting.consumers.contracts import CONTRACTS
from reporting.consumers.schedules import SCHEDULES

CONSUMERS: list[Consumer] = [CONTRACTS, SCHEDULES, ALERTS]

# What `svl rebuild reporting` empties before replaying the consumers above.
READ_MODEL_TABLES: list[Table] = list(tables.metadata.sorted_tables)
