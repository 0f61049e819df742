"""Event consumers of the brokerage service."""

from __future__ import annotations

from sqlalchemy import Table
from svledger.consumers import Consumer

from brokerage.adapters import schema
from brokerage.consumers.alerts import ALERTS
from brokerage.consumers.contracts import CONTRACTS

CONSUMERS: list[Consumer] = [CONTRACTS, ALERTS]

# What `svl rebuild brokerage` empties before replaying the consumers above.
READ_MODEL_TABLES: list[Table] = list(schema.metadata.sorted_tables)
