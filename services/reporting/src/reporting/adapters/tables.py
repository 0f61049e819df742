"""The read-model tables (created by migration 0002; keep the two in step)."""

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
)
from svledger.columns import Instant, Quantity

metadata = MetaData()

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("reference", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("value_gbp", Quantity, nullable=True),
    Column("framework_version", String(60), nullable=False),
    Column("awarded_at", Instant, nullable=False),
    Index("ix_contracts_buyer", "buyer"),
    Index("ix_contracts_supplier", "supplier"),
)

# One row per obligation, written by two sources that may arrive in either order: the
# contract (what was committed) and measurement (what was assessed). Each writes only its own
# columns, so the columns of the other source are nullable.
obligations = Table(
    "obligations",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("obligation_id", String(64), primary_key=True),
    Column("sequence", Integer, nullable=True),
    Column("measure", String(20), nullable=False),
    Column("theme", String(200), nullable=True),
    Column("outcome", String(300), nullable=True),
    Column("unit", String(100), nullable=True),
    Column("description", Text, nullable=True),
    Column("is_kpi", Boolean, nullable=True),
    Column("committed_total", Quantity, nullable=True),
    Column("committed_to_date", Quantity, nullable=True),
    Column("delivered_to_date", Quantity, nullable=True),
    Column("ratio", Quantity, nullable=True),
    Column("status", String(20), nullable=True),
    Column("last_period_assessed", String(10), nullable=True),
    Column("assessed_at", Instant, nullable=True),
)

returns = Table(
    "returns",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("late", Boolean, nullable=False),
    Column("submitted_at", Instant, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    Column("contract_id", String(64), nullable=False),
    Column("obligation_id", String(64), nullable=False),
    Column("measure", String(20), nullable=False),
    Column("period", String(10), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("ratio", Quantity, nullable=True),
    Column("raised_on", Date, nullable=False),
    Index("ix_alerts_buyer_status", "buyer", "status"),
    Index("ix_alerts_supplier_status", "supplier", "status"),
    Index("ix_alerts_contract_status", "contract_id", "status"),
)
