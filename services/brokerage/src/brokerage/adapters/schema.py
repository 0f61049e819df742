"""The read-model tables the brokerage's consumers keep from other services' events.

Migrations 0002 and 0003 create them; ``svl rebuild brokerage`` empties and replays them. The
tables of the brokerage's own aggregates are in :mod:`brokerage.adapters.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, Date, Index, MetaData, String, Table, Text, Uuid, text
from svledger.columns import Quantity
from svledger.schema import JsonType

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
    Column("place", String(200), nullable=True),
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
    Column("kind", String(20), nullable=False, server_default=text("'under_delivery'")),
    Column("resolved_on", Date, nullable=True),
    Index("ix_shortfalls_supplier", "supplier"),
    Index("ix_shortfalls_buyer", "buyer"),
    Index("ix_shortfalls_obligation_id", "obligation_id"),
)

# Contracts as matching needs them: places, and whether still running (an obligation of a
# completed or terminated contract is no longer open).
supplier_contracts = Table(
    "supplier_contracts",
    metadata,
    Column("contract_id", Uuid, primary_key=True),
    Column("reference", Text, nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("places", JsonType, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Index("ix_supplier_contracts_supplier", "supplier"),
)
