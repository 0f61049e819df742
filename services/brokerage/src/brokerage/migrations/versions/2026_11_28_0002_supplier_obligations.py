"""Read models: what suppliers owe (supplier_obligations) and where they fall short (shortfalls).

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

# Exact quantities: unconstrained NUMERIC on PostgreSQL; on SQLite the digits as text, because
# its NUMERIC affinity keeps non-integers as binary floats.
EXACT = quantity_ddl()


def upgrade() -> None:
    op.create_table(
        "supplier_obligations",
        sa.Column("obligation_id", sa.Uuid(), primary_key=True),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("theme", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("total_committed", EXACT, nullable=False),
        sa.Column("contract_ends_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_supplier_obligations_supplier", "supplier_obligations", ["supplier"])
    op.create_index("ix_supplier_obligations_buyer", "supplier_obligations", ["buyer"])
    op.create_index("ix_supplier_obligations_contract_id", "supplier_obligations", ["contract_id"])

    op.create_table(
        "shortfalls",
        sa.Column("alert_id", sa.Uuid(), primary_key=True),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("obligation_id", sa.Uuid(), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("ratio", EXACT, nullable=True),
        sa.Column("raised_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_shortfalls_supplier", "shortfalls", ["supplier"])
    op.create_index("ix_shortfalls_buyer", "shortfalls", ["buyer"])
    op.create_index("ix_shortfalls_obligation_id", "shortfalls", ["obligation_id"])


def downgrade() -> None:
    op.drop_table("shortfalls")
    op.drop_table("supplier_obligations")
