"""The read-model tables (created by migrations 0002 and 0003; keep them in step).

They are projections of the event log, written in the same transaction as the events they
show, and serve the queries that cross aggregates: the periods due and overdue, the alerts
inbox, webhook subscriptions and their delivery log. ``pledges`` and ``corroborations`` hold
what other services' events say, written by the consumers in the transaction that moves
their position.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from svledger.columns import Instant, Quantity

metadata = MetaData()

schedule_periods = Table(
    "schedule_periods",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("reference", String(100), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("review", String(20), nullable=True),
    Column("late", Boolean, nullable=False),
    Column("return_version", Integer, nullable=True),
    Column("submitted_on", Date, nullable=True),
    Column("overdue", Boolean, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Index("ix_schedule_periods_supplier_due", "supplier", "due_on"),
    Index("ix_schedule_periods_buyer", "buyer"),
    Index("ix_schedule_periods_due", "due_on"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("contract_id", String(64), nullable=True),
    Column("obligation_id", String(64), nullable=True),
    Column("measure", String(20), nullable=True),
    Column("period", String(10), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("level", Integer, nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("ratio", Quantity, nullable=True),
    Column("raised_on", Date, nullable=False),
    Column("acknowledged_on", Date, nullable=True),
    Column("resolved_on", Date, nullable=True),
    Column("resolution", String(40), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_alerts_buyer_status", "buyer", "status"),
    Index("ix_alerts_supplier_status", "supplier", "status"),
    Index("ix_alerts_status_raised", "status", "raised_on"),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("subscription_id", String(64), primary_key=True),
    Column("organisation", String(200), nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("event_types", Text, nullable=False),  # space-separated; empty means all
    Column("active", Boolean, nullable=False),
    Column("created_at", Instant, nullable=False),
    Index("ix_webhook_subscriptions_organisation", "organisation"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("subscription_id", String(64), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_type", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Instant, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", Instant, nullable=False),
    Column("delivered_at", Instant, nullable=True),
    UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("attempt", Integer, primary_key=True),
    Column("attempted_at", Instant, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

pledges = Table(
    "pledges",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("base_year", String(10), nullable=False),
    Column("baseline", Text, nullable=False),  # JSON: measure -> decimal string
    Column("targets", Text, nullable=False),  # JSON: year -> measure -> decimal string
    Column("version", Integer, nullable=False),
)

corroborations = Table(
    "corroborations",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("match_id", String(64), nullable=False),
    Column("contract_id", String(64), nullable=False),
    Column("obligation_id", String(64), nullable=False),
    Column("measure", String(40), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("partner", String(200), nullable=False),
    Column("period", String(10), nullable=False),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("delivered_on", Date, nullable=False),
    Column("confirmed_by", String(200), nullable=False),
    Column("confirmed_on", Date, nullable=False),
    Index("ix_corroborations_contract_period", "contract_id", "period"),
)
