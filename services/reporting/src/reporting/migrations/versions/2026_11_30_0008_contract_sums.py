"""Each contract's obligations summed for the reports over whole contracts, once for each
stretch of days between its due days (``reporting.domain.contract_sums``).

The table starts empty: a report sums the obligations of a contract without a stretch for its
day as it reads them, as every report did before, so its figures are the same either way. A
contract gets its stretches when its targets, returns or reviews next change, or at once for
every contract with ``svl rebuild reporting`` (RUNBOOK).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op
from svledger.schema import JsonType

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_sums",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("starts_on", sa.Date, primary_key=True),
        sa.Column("ends_before", sa.Date, nullable=False),
        sa.Column("obligations", sa.Integer, nullable=False),
        sa.Column("assessed", sa.Integer, nullable=False),
        sa.Column("on_track", sa.Integer, nullable=False),
        sa.Column("capped_ratios", sa.Text, nullable=False),
        sa.Column("valued_with", sa.String(32), nullable=False),
        sa.Column("valued", sa.Integer, nullable=False),
        sa.Column("gbp_committed", sa.Text, nullable=False),
        sa.Column("gbp_due", sa.Text, nullable=False),
        sa.Column("gbp_delivered", sa.Text, nullable=False),
        sa.Column("gbp_awaiting_review", sa.Text, nullable=False),
        sa.Column("measures", JsonType, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contract_sums")
