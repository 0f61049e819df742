"""Corroborated evidence: deliveries a VCFSE partner confirmed in brokerage, by obligation.

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


def upgrade() -> None:
    op.create_table(
        "corroborations",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("match_id", sa.String(64), nullable=False),
        sa.Column("contract_id", sa.String(64), nullable=False),
        sa.Column("obligation_id", sa.String(64), nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("partner", sa.String(200), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("quantity", quantity_ddl(), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("delivered_on", sa.Date, nullable=False),
        sa.Column("confirmed_by", sa.String(200), nullable=False),
        sa.Column("confirmed_on", sa.Date, nullable=False),
    )
    op.create_index(
        "ix_corroborations_contract_period", "corroborations", ["contract_id", "period"]
    )


def downgrade() -> None:
    op.drop_table("corroborations")
