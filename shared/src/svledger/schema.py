"""Tables every service's database holds: the event store (which is also the outbox), consumer
tracking, the relay's checkpoint and lease, dead letters and idempotency records.

Migrations create them through :func:`create_ledger_tables`, so all four services share one
definition and both SQLite and PostgreSQL get the same shape.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

JsonType = JSON().with_variant(JSONB(), "postgresql")
Position = BigInteger().with_variant(Integer(), "sqlite")

# txid: on PostgreSQL the id of the inserting transaction, so readers can stay below the
# visibility horizon and never pass an event that commits later with a lower position.
# On SQLite writers are serialised, commit order is position order and txid stays 0.
PG_TXID_DEFAULT = "(pg_current_xact_id()::text::bigint)"

events = Table(
    "events",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("txid", BigInteger, nullable=False, server_default=text("0")),
    Column("stream_id", String(200), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("type", String(120), nullable=False),
    Column("schema_version", SmallInteger, nullable=False),
    Column("data", JsonType, nullable=False),
    Column("metadata", JsonType, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
    UniqueConstraint("event_id", name="uq_events_event_id"),
    Index("ix_events_commit_order", "txid", "position"),
)

# What each consumer has applied, per source stream: the last version. Written in the same
# transaction as the consumer's effect, so a redelivered event changes nothing.
consumer_positions = Table(
    "consumer_positions",
    metadata,
    Column("consumer", String(120), primary_key=True),
    Column("stream_id", String(200), primary_key=True),
    Column("version", Integer, nullable=False),
)

relay_checkpoints = Table(
    "relay_checkpoints",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("txid", BigInteger, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("published", BigInteger, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Only one replica runs the relay: it holds this lease and renews it.
leases = Table(
    "leases",
    metadata,
    Column("name", String(120), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("consumer", String(120), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("event_id", String(64), nullable=True),
    Column("deliveries", Integer, nullable=False),
    Column("error", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JsonType, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

LEDGER_TABLES = (
    events,
    consumer_positions,
    relay_checkpoints,
    leases,
    dead_letters,
    idempotency_keys,
)


def create_ledger_tables(op: Any) -> None:
    """Create the shared tables inside an alembic migration (``op`` is ``alembic.op``)."""
    bind = op.get_bind()
    for table in LEDGER_TABLES:
        table.create(bind)
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE events ALTER COLUMN txid SET DEFAULT {PG_TXID_DEFAULT}")


def drop_ledger_tables(op: Any) -> None:
    """Drop the shared tables (the downgrade of :func:`create_ledger_tables`)."""
    bind = op.get_bind()
    for table in reversed(LEDGER_TABLES):
        table.drop(bind)
