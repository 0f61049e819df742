"""Event consumers of the reporting service."""

from __future__ import annotations

from svledger.consumers import Consumer

CONSUMERS: list[Consumer] = []
