"""Consumer-fed read models for matching: contracts' places and status (supplier_contracts),
an obligation's place, and shortfalls' kind (under-delivery or at risk) and resolution.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("supplier_obligations", sa.Column("place", sa.String(200), nullable=True))
    op.add_column(
        "shortfalls",
        sa.Column(
            "kind", sa.String(20), nullable=False, server_default=sa.text("'under_delivery'")
        ),
    )
    op.add_column("shortfalls", sa.Column("resolved_on", sa.Date(), nullable=True))
    op.create_table(
        "supplier_contracts",
        sa.Column("contract_id", sa.Uuid(), primary_key=True),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("places", JSON, nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_supplier_contracts_supplier", "supplier_contracts", ["supplier"])


def downgrade() -> None:
    op.drop_table("supplier_contracts")
    with op.batch_alter_table("shortfalls") as batch:
        batch.drop_column("resolved_on")
        batch.drop_column("kind")
    with op.batch_alter_table("supplier_obligations") as batch:
        batch.drop_column("place")
