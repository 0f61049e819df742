"""Per-organisation limits on writes: a token bucket per organisation, per replica.

Each replica keeps its own buckets, so with N replicas an organisation may write up to N times
the configured rate; the limit protects each process from one organisation's flood rather than
metering exactly.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from svledger.errors import RateLimited


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class WriteLimiter:
    """Allows ``per_minute`` writes per organisation, with bursts up to ``burst``."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def take(self, organisation: str) -> None:
        """Spend one write, or raise :class:`RateLimited` saying when to retry."""
        if self.rate <= 0:
            return
        now = self.clock()
        bucket = self._buckets.get(organisation)
        if bucket is None:
            bucket = self._buckets[organisation] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self.rate)
            raise RateLimited(
                f"your organisation has made too many changes in a short time; retry in {wait}s",
                retry_after_s=wait,
            )
        bucket.tokens -= 1
