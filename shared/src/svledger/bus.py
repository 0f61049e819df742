"""The event bus: NATS JetStream streams declared in one place, and the connection to them.

One stream per producing service (``svl.<service>.>``) plus an operations stream for
dead letters. :func:`provision` applies the declarations (create or update) and is what both
``svl streams provision`` and the Kubernetes provisioning Job run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError

from svledger.envelope import EventEnvelope

log = logging.getLogger(__name__)

SERVICES = ("commitments", "measurement", "brokerage", "reporting")
OPS_SUBJECT_PREFIX = "svl.ops"


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A JetStream stream as this project declares it."""

    name: str
    subjects: tuple[str, ...]
    duplicate_window_s: float = 2 * 3600.0
    max_age_s: float = 0.0

    def config(self, replicas: int) -> StreamConfig:
        """The nats-py configuration for this stream."""
        return StreamConfig(
            name=self.name,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            duplicate_window=self.duplicate_window_s,
            max_age=self.max_age_s,
            num_replicas=replicas,
        )


def service_stream(service: str) -> StreamSpec:
    """The stream a service publishes its domain events to."""
    return StreamSpec(name=f"SVL_{service.upper()}", subjects=(f"svl.{service}.>",))


OPS_STREAM = StreamSpec(
    name="SVL_OPS", subjects=(f"{OPS_SUBJECT_PREFIX}.>",), max_age_s=30 * 24 * 3600.0
)
STREAMS: tuple[StreamSpec, ...] = (*(service_stream(s) for s in SERVICES), OPS_STREAM)


def subject_for(service: str, envelope: EventEnvelope) -> str:
    """``svl.<service>.<aggregate>.<EventType>``."""
    return f"svl.{service}.{envelope.aggregate}.{envelope.type}"


@dataclass(frozen=True, slots=True)
class ConsumerSpec:
    """A durable pull consumer: which stream, which subjects, how redelivery behaves."""

    name: str
    stream: str
    subjects: tuple[str, ...]
    max_deliver: int = 5
    backoff_s: tuple[float, ...] = (1.0, 5.0, 15.0, 30.0)
    ack_wait_s: float = 30.0
    max_ack_pending: int = 1000
    extra: dict[str, Any] = field(default_factory=dict)

    def config(self) -> ConsumerConfig:
        """The nats-py configuration for this consumer."""
        subjects = list(self.subjects)
        return ConsumerConfig(
            name=self.name,
            durable_name=self.name,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait_s,
            max_deliver=self.max_deliver,
            backoff=list(self.backoff_s[: max(self.max_deliver - 1, 0)]) or None,
            filter_subject=subjects[0] if len(subjects) == 1 else None,
            filter_subjects=subjects if len(subjects) > 1 else None,
            max_ack_pending=self.max_ack_pending,
            **self.extra,
        )


async def connect(url: str, *, name: str) -> NATS:
    """Connect with reconnects forever: the relay and consumers wait out NATS outages."""

    client: list[NATS] = []

    async def on_disconnect() -> None:
        if client and (client[0].is_draining or client[0].is_closed):
            return  # our own shutdown, not an outage
        log.warning("nats disconnected", extra={"client": name})

    async def on_reconnect() -> None:
        log.info("nats reconnected", extra={"client": name})

    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc, extra={"client": name})

    nc = await nats.connect(
        servers=[url],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=2,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
        allow_reconnect=True,
    )
    client.append(nc)
    return nc


async def provision(
    js: JetStreamContext,
    *,
    streams: Sequence[StreamSpec] = STREAMS,
    consumers: Sequence[ConsumerSpec] = (),
    replicas: int = 1,
    update_streams: bool = True,
) -> list[str]:
    """Create or update every declared stream and consumer; return what was done, line by line.

    With ``update_streams`` false, existing streams are left as they are: a service starting up
    makes sure its streams exist but never changes what an operator provisioned (replicas).
    """
    done: list[str] = []
    for spec in streams:
        config = spec.config(replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
            done.append(f"stream {spec.name} created")
        else:
            if update_streams:
                await js.update_stream(config)
            done.append(f"stream {spec.name} up to date")
    for consumer in consumers:
        await js.add_consumer(consumer.stream, consumer.config())
        done.append(f"consumer {consumer.stream}/{consumer.name} up to date")
    return done
