"""Event consumers of the reporting service: each keeps read models of another's events."""

from __future__ import annotations

from svledger.consumers import Consumer

from reporting.consumers.alerts import ALERTS
from reporting.consumers.contracts import CONTRACTS
from reporting.consumers.schedules import SCHEDULES

CONSUMERS: list[Consumer] = [CONTRACTS, SCHEDULES, ALERTS]
