"""The brokerage's read-model tables (migration 0002 creates them)."""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, MetaData, String, Table, Text, Uuid
from svledger.columns import Quantity

metadata = MetaData()

supplier_obligations = Table(
    "supplier_obligations",
    metadata,
    Column("obligation_id", Uuid, primary_key=True),
    Column("contract_id", Uuid, nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("measure", String(20), nullable=False),
    Column("theme", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("total_committed", Quantity, nullable=False),
    Column("contract_ends_on", Date, nullable=False),
    Index("ix_supplier_obligations_supplier", "supplier"),
    Index("ix_supplier_obligations_buyer", "buyer"),
    Index("ix_supplier_obligations_contract_id", "contract_id"),
)

shortfalls = Table(
    "shortfalls",
    metadata,
    Column("alert_id", Uuid, primary_key=True),
    Column("contract_id", Uuid, nullable=False),
    Column("obligation_id", Uuid, nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("measure", String(20), nullable=False),
    Column("period", String(10), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("ratio", Quantity, nullable=True),
    Column("raised_on", Date, nullable=False),
    Index("ix_shortfalls_supplier", "supplier"),
    Index("ix_shortfalls_buyer", "buyer"),
    Index("ix_shortfalls_obligation_id", "obligation_id"),
)
