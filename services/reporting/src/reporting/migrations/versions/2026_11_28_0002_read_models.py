"""Read models: contracts, their obligations' progress, returns submitted, alerts.

Quantities are NUMERIC(18, 4) on PostgreSQL and text on SQLite, whose NUMERIC affinity would
keep them as floating point (see svledger.columns.Quantity).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from svledger.columns import quantity_ddl

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("value_gbp", quantity_ddl(), nullable=True),
        sa.Column("framework_version", sa.String(60), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contracts_buyer", "contracts", ["buyer"])
    op.create_index("ix_contracts_supplier", "contracts", ["supplier"])

    op.create_table(
        "obligations",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("obligation_id", sa.String(64), primary_key=True),
        sa.Column("sequence", sa.Integer, nullable=True),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("theme", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(300), nullable=True),
        sa.Column("unit", sa.String(100), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("is_kpi", sa.Boolean, nullable=True),
        sa.Column("committed_total", quantity_ddl(), nullable=True),
        sa.Column("committed_to_date", quantity_ddl(), nullable=True),
        sa.Column("delivered_to_date", quantity_ddl(), nullable=True),
        sa.Column("ratio", quantity_ddl(), nullable=True),
        sa.Column("status", sa.String(20), nullable=True),
        sa.Column("last_period_assessed", sa.String(10), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
    )

    op.create_table(
        "returns",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )

    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("contract_id", sa.String(64), nullable=False),
        sa.Column("obligation_id", sa.String(64), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("ratio", quantity_ddl(), nullable=True),
        sa.Column("raised_on", sa.Date, nullable=False),
    )
    op.create_index("ix_alerts_buyer_status", "alerts", ["buyer", "status"])
    op.create_index("ix_alerts_supplier_status", "alerts", ["supplier", "status"])
    op.create_index("ix_alerts_contract_status", "alerts", ["contract_id", "status"])


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("returns")
    op.drop_table("obligations")
    op.drop_table("contracts")
