"""Suppliers' track records, kept from measurement's schedule and alert events.

Quantities are NUMERIC(18, 4) on PostgreSQL and text on SQLite (see svledger.columns).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from svledger.columns import quantity_ddl

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = 64


def upgrade() -> None:
    op.create_table(
        "track_contracts",
        sa.Column("contract_id", sa.String(ID), primary_key=True),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("return_due_days", sa.Integer, nullable=False),
    )
    op.create_index("ix_track_contracts_supplier", "track_contracts", ["supplier"])

    op.create_table(
        "track_obligations",
        sa.Column("obligation_id", sa.String(ID), primary_key=True),
        sa.Column("contract_id", sa.String(ID), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
    )
    op.create_index("ix_track_obligations_contract", "track_obligations", ["contract_id"])

    op.create_table(
        "track_targets",
        sa.Column("obligation_id", sa.String(ID), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("target", quantity_ddl(), nullable=False),
    )

    op.create_table(
        "track_periods",
        sa.Column("contract_id", sa.String(ID), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
    )

    op.create_table(
        "track_lines",
        sa.Column("contract_id", sa.String(ID), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("obligation_id", sa.String(ID), primary_key=True),
        sa.Column("quantity", quantity_ddl(), nullable=False),
    )

    op.create_table(
        "track_alerts",
        sa.Column("alert_id", sa.String(ID), primary_key=True),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("contract_id", sa.String(ID), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("resolved_on", sa.Date, nullable=True),
    )
    op.create_index("ix_track_alerts_supplier", "track_alerts", ["supplier"])

    op.create_table(
        "track_suppliers",
        sa.Column("supplier", sa.String(200), primary_key=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "track_suppliers",
        "track_alerts",
        "track_lines",
        "track_periods",
        "track_targets",
        "track_obligations",
        "track_contracts",
    ):
        op.drop_table(table)
