"""The event store, consumer tracking, relay checkpoint, leases, dead letters, idempotency.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op
from svledger.schema import create_ledger_tables, drop_ledger_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_ledger_tables(op)


def downgrade() -> None:
    drop_ledger_tables(op)
