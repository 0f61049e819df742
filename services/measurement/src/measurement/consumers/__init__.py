"""Event consumers of the measurement service."""

from __future__ import annotations

from svledger.consumers import Consumer

CONSUMERS: list[Consumer] = []
