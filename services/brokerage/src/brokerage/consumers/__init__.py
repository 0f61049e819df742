"""Event consumers of the brokerage service."""

from __future__ import annotations

from svledger.consumers import Consumer

from brokerage.consumers.alerts import ALERTS
from brokerage.consumers.contracts import CONTRACTS

CONSUMERS: list[Consumer] = [CONTRACTS, ALERTS]
