"""The event envelope every service stores, publishes and consumes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Metadata:
    """Who caused an event and in which conversation: the audit trail of every write."""

    actor: str
    organisation: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None

    def as_json(self) -> JSON:
        """Serialise, leaving out what is unset."""
        return {k: v for k, v in _metadata_items(self) if v is not None}

    @classmethod
    def from_json(cls, raw: JSON) -> Metadata:
        """Read back what ``as_json`` wrote; unknown keys are ignored."""
        return cls(
            actor=str(raw.get("actor", "unknown")),
            organisation=raw.get("organisation"),
            correlation_id=raw.get("correlation_id"),
            causation_id=raw.get("causation_id"),
            traceparent=raw.get("traceparent"),
        )

    def caused_by(self, event: EventEnvelope, actor: str) -> Metadata:
        """Metadata for an event that a consumer writes in reaction to ``event``."""
        from svledger.telemetry import current_traceparent

        return Metadata(
            actor=actor,
            organisation=event.metadata.organisation,
            correlation_id=event.metadata.correlation_id or str(event.event_id),
            causation_id=str(event.event_id),
            traceparent=current_traceparent(event.metadata.traceparent),
        )


def _metadata_items(m: Metadata) -> list[tuple[str, str | None]]:
    return [
        ("actor", m.actor),
        ("organisation", m.organisation),
        ("correlation_id", m.correlation_id),
        ("causation_id", m.causation_id),
        ("traceparent", m.traceparent),
    ]


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event an aggregate has decided on, before the store gives it a place in a stream."""

    type: str
    data: JSON
    schema_version: int = 1
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """A recorded event: immutable, positioned in its stream and in the store."""

    event_id: uuid.UUID
    stream_id: str
    stream_version: int
    type: str
    schema_version: int
    data: JSON
    metadata: Metadata
    recorded_at: datetime
    position: int = 0

    @property
    def aggregate(self) -> str:
        """The aggregate kind, taken from the stream id (``contract-<uuid>`` is ``contract``)."""
        return self.stream_id.split("-", 1)[0]

    def as_json(self) -> JSON:
        """The wire form published on the bus."""
        return {
            "event_id": str(self.event_id),
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "type": self.type,
            "schema_version": self.schema_version,
            "data": self.data,
            "metadata": self.metadata.as_json(),
            "recorded_at": self.recorded_at.isoformat(),
            "position": self.position,
        }

    @classmethod
    def from_json(cls, raw: JSON) -> EventEnvelope:
        """Parse the wire form."""
        return cls(
            event_id=uuid.UUID(raw["event_id"]),
            stream_id=raw["stream_id"],
            stream_version=int(raw["stream_version"]),
            type=raw["type"],
            schema_version=int(raw.get("schema_version", 1)),
            data=raw["data"],
            metadata=Metadata.from_json(raw.get("metadata") or {}),
            recorded_at=datetime.fromisoformat(raw["recorded_at"]),
            position=int(raw.get("position", 0)),
        )
