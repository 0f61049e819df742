"""The relay: publishes committed events from the store (the outbox) to JetStream in commit order.

Each message carries ``Nats-Msg-Id`` = event id, so a batch re-published after a crash or an
outage is dropped by JetStream's duplicate window instead of arriving twice. The checkpoint is
saved after every batch; only one replica publishes at a time, holding a lease in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from nats.js import JetStreamContext
from nats.js.api import PubAck
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from svledger.bus import subject_for
from svledger.envelope import EventEnvelope
from svledger.eventstore import Cursor, EventStore
from svledger.schema import leases, relay_checkpoints

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RelayStatus:
    """Where the relay stands: its checkpoint, what it has published, and how far behind it is."""

    checkpoint: Cursor
    published: int
    behind: int  # events committed after the checkpoint, not yet published


class Lease:
    """A named lease in the service's database: one holder at a time, renewed while alive."""

    def __init__(self, store: EventStore, name: str, ttl: timedelta, holder: str | None = None):
        self.store = store
        self.name = name
        self.ttl = ttl
        self.holder = holder or f"{uuid.uuid4()}"
        self.term = 0  # moves each time the lease is taken or renewed in the database
        self._renew_after: datetime | None = None  # while held: when to renew it

    async def acquire(self) -> bool:
        """Take or renew the lease; False while another live holder has it.

        A lease renewed less than a third of its time ago is still ours without asking the
        database, so a busy relay does not write the lease on every batch.
        """
        now = self.store.clock()
        if self._renew_after is not None and now < self._renew_after:
            return True
        self._renew_after = None
        self.term += 1
        expires = now + self.ttl
        async with self.store.database.writer.begin() as conn:
            taken = await conn.execute(
                update(leases)
                .where(leases.c.name == self.name)
                .where((leases.c.holder == self.holder) | (leases.c.expires_at < now))
                .values(holder=self.holder, expires_at=expires)
            )
            if taken.rowcount:
                self._renew_after = now + self.ttl / 3
                return True
            exists = await conn.execute(select(leases.c.name).where(leases.c.name == self.name))
            if exists.first() is not None:
                return False
        try:
            async with self.store.database.writer.begin() as conn:
                await conn.execute(
                    leases.insert().values(name=self.name, holder=self.holder, expires_at=expires)
                )
        except IntegrityError:
            return False
        self._renew_after = now + self.ttl / 3
        return True

    async def release(self) -> None:
        """Give the lease up so another replica can take over at once."""
        self._renew_after = None
        async with self.store.database.writer.begin() as conn:
            await conn.execute(
                update(leases)
                .where(leases.c.name == self.name, leases.c.holder == self.holder)
                .values(expires_at=self.store.clock() - self.ttl)
            )


class Relay:
    """Publishes a service's committed events to its JetStream stream."""

    def __init__(
        self,
        store: EventStore,
        js: JetStreamContext,
        service: str,
        *,
        batch: int = 500,
        idle_poll_s: float = 0.25,
        ack_timeout_s: float = 5.0,
        lease_ttl: timedelta = timedelta(seconds=15),
    ) -> None:
        self.store = store
        self.js = js
        self.service = service
        self.name = f"{service}-relay"
        self.batch = batch
        self.idle_poll_s = idle_poll_s
        self.ack_timeout_s = ack_timeout_s
        self.lease = Lease(store, self.name, lease_ttl)
        # The checkpoint as this relay last saved it, and the lease term it was saved in:
        # while the lease is held nobody else moves it, so it need not be read back.
        self._saved: tuple[int, Cursor, int] | None = None
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        store.on_commit(self._wake.set)

    async def checkpoint(self) -> tuple[Cursor, int]:
        """The last published cursor and how many events were published in all."""
        async with self.store.database.reader.connect() as conn:
            row = (
                await conn.execute(
                    select(relay_checkpoints).where(relay_checkpoints.c.name == self.name)
                )
            ).first()
        if row is None:
            return Cursor(), 0
        return Cursor(int(row.txid), int(row.position)), int(row.published)

    async def status(self) -> RelayStatus:
        """Checkpoint, total published, and how many committed events are not yet published."""
        cursor, published = await self.checkpoint()
        return RelayStatus(cursor, published, await self.store.count_after(cursor))

    async def _save(self, cursor: Cursor, published: int) -> None:
        values = {
            "txid": cursor.txid,
            "position": cursor.position,
            "published": published,
            "updated_at": self.store.clock(),
        }
        self._saved = None
        async with self.store.database.writer.begin() as conn:
            result = await conn.execute(
                update(relay_checkpoints)
                .where(relay_checkpoints.c.name == self.name)
                .values(**values)
            )
            if not result.rowcount:
                await conn.execute(relay_checkpoints.insert().values(name=self.name, **values))
        self._saved = (self.lease.term, cursor, published)

    async def _resume(self) -> tuple[Cursor, int]:
        """Where to publish from: the checkpoint saved in this lease term, else as stored."""
        if self._saved is not None and self._saved[0] == self.lease.term:
            return self._saved[1], self._saved[2]
        return await self.checkpoint()

    async def publish_pending(self) -> int:
        """Publish everything committed since the checkpoint; return how many were sent.

        A page is sent without waiting for each acknowledgement, then the acknowledgements
        are awaited in order and the checkpoint moves to the last event of the unbroken
        acknowledged run. Whatever follows a failure is sent again on the next attempt
        (JetStream drops the copies that did arrive); its consumers put an event that arrives
        ahead of its predecessor back until the predecessor has been applied. A page shorter
        than a batch was the last: what commits later wakes the relay again.
        """
        cursor, published = await self._resume()
        sent = 0
        while True:
            page = await self.store.read_committed(cursor, self.batch)
            if not page:
                return sent
            acks: list[tuple[Cursor, asyncio.Future[PubAck]]] = []
            try:
                for event_cursor, envelope in page:
                    ack = await self.js.publish_async(
                        subject_for(self.service, envelope),
                        json.dumps(envelope.as_json(), separators=(",", ":")).encode(),
                        headers=_headers(envelope),
                    )
                    acks.append((event_cursor, ack))
                for event_cursor, ack in acks:
                    await asyncio.wait_for(ack, timeout=self.ack_timeout_s)
                    cursor = event_cursor
                    sent += 1
                    published += 1
            finally:
                for _, ack in acks:
                    ack.cancel()
                await self._save(cursor, published)
            if len(page) < self.batch:
                return sent

    async def run(self) -> None:
        """Publish until stopped; wait out NATS outages and lost leases without losing events."""
        failures = 0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                if await self.lease.acquire():
                    await self.publish_pending()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                log.warning(
                    "relay could not publish, will retry: %s", exc, extra={"relay": self.name}
                )
                await self._pause(min(0.2 * 2**failures, 5.0))
                continue
            await self._pause(self.idle_poll_s)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def stop(self) -> None:
        """Stop after the current batch and hand the lease back."""
        self._stopping.set()
        self._wake.set()
        try:
            await self.lease.release()
        except Exception as exc:  # the lease simply expires if the database has gone
            log.warning("could not release relay lease: %s", exc)


def _headers(envelope: EventEnvelope) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(envelope.event_id)}
    if envelope.metadata.traceparent:
        headers["traceparent"] = envelope.metadata.traceparent
    return headers
