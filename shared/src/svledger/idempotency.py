"""Idempotent POSTs: the same ``Idempotency-Key`` and body gives the same response, once.

A key is claimed (a pending row, unique per organisation) before the command runs, so two
concurrent requests with one key cannot both take effect: the second is told the first is
still in progress. When the command succeeds its response is stored with the key; when it
fails the claim is released, so the client can retry with the same key.

A process killed mid-request leaves its claim pending with nobody to finish it. After
:data:`ABANDONED_AFTER` (far longer than any request runs) a retry with the same key and body
takes the claim over and runs the command again: the command's own rules then decide (a return
already stored is a 409 saying so), rather than the key answering "still being processed"
forever.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from svledger.clock import Clock, system_clock
from svledger.database import Database
from svledger.errors import Conflict, ValidationFailed
from svledger.schema import idempotency_keys

PENDING = 0
MAX_KEY_LENGTH = 200
ABANDONED_AFTER = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Outcome:
    """A response to send: fresh, or replayed from the first request with this key."""

    status: int
    body: Any
    replayed: bool


def fingerprint(body: Any) -> str:
    """A stable hash of a request body (JSON-serialisable), to tell a retry from a reuse."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """Keys an organisation has used, with the responses they produced."""

    def __init__(self, database: Database, clock: Clock = system_clock) -> None:
        self.database = database
        self.clock = clock

    async def run(
        self,
        organisation: str,
        key: str | None,
        body: Any,
        action: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> Outcome:
        """Run ``action`` once per (organisation, key); without a key, just run it."""
        if key is None:
            status, result = await action()
            return Outcome(status, result, replayed=False)
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationFailed(
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters", field="Idempotency-Key"
            )
        digest = fingerprint(body)
        stored = await self._claim(organisation, key, digest)
        if stored is not None:
            return stored
        try:
            status, result = await action()
        except BaseException:
            await self._release(organisation, key)
            raise
        async with self.database.writer.begin() as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(
                    idempotency_keys.c.organisation == organisation, idempotency_keys.c.key == key
                )
                .values(status=status, response={"body": result})
            )
        return Outcome(status, result, replayed=False)

    async def _claim(self, organisation: str, key: str, digest: str) -> Outcome | None:
        try:
            async with self.database.writer.begin() as conn:
                await conn.execute(
                    idempotency_keys.insert().values(
                        organisation=organisation,
                        key=key,
                        request_hash=digest,
                        status=PENDING,
                        response={},
                        recorded_at=self.clock(),
                    )
                )
            return None
        except IntegrityError:
            pass
        async with self.database.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(idempotency_keys).where(
                        idempotency_keys.c.organisation == organisation,
                        idempotency_keys.c.key == key,
                    )
                )
            ).first()
        if row is None:  # released between our insert and read: the caller may retry
            raise Conflict("a request with this Idempotency-Key just failed; retry it")
        if row.request_hash != digest:
            raise Conflict(
                "this Idempotency-Key was already used with a different request body; "
                "use a new key for a new request",
                field="Idempotency-Key",
            )
        if row.status == PENDING and await self._take_over(organisation, key, row.recorded_at):
            return None
        if row.status == PENDING:
            raise Conflict(
                "a request with this Idempotency-Key is still being processed; retry shortly",
                field="Idempotency-Key",
            )
        return Outcome(int(row.status), dict(row.response)["body"], replayed=True)

    async def _take_over(self, organisation: str, key: str, claimed_at: datetime) -> bool:
        """Claim a key whose pending claim is older than :data:`ABANDONED_AFTER`; of two
        retries racing for it, only one wins."""
        # SQLite hands the instant back without its zone; it was written in UTC.
        aware = claimed_at if claimed_at.tzinfo else claimed_at.replace(tzinfo=UTC)
        if aware > self.clock() - ABANDONED_AFTER:
            return False
        async with self.database.writer.begin() as conn:
            taken = await conn.execute(
                update(idempotency_keys)
                .where(
                    idempotency_keys.c.organisation == organisation,
                    idempotency_keys.c.key == key,
                    idempotency_keys.c.status == PENDING,
                    idempotency_keys.c.recorded_at == claimed_at,
                )
                .values(recorded_at=self.clock())
            )
        return bool(taken.rowcount == 1)

    async def _release(self, organisation: str, key: str) -> None:
        async with self.database.writer.begin() as conn:
            await conn.execute(
                delete(idempotency_keys).where(
                    idempotency_keys.c.organisation == organisation,
                    idempotency_keys.c.key == key,
                    idempotency_keys.c.status == PENDING,
                )
            )
