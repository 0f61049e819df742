"""Where each framework version places its measures, for the breakdowns by theme and outcome.

``framework_measures`` holds each (framework version, measure) with its theme and outcome, as
the contracts awarded under the version carried them; the portfolio cells, summed by measure,
are regrouped by it. It is filled here from the obligations already projected. Reporting pods
of the previous release do not write it: stop them during this migration, or rebuild reporting
once the new pods run (RUNBOOK).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "framework_measures",
        sa.Column("framework_version", sa.String(60), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(300), nullable=False),
    )
    contracts = sa.table(
        "contracts", sa.column("contract_id", sa.String), sa.column("framework_version", sa.String)
    )
    obligations = sa.table(
        "obligations",
        *(sa.column(n, sa.String) for n in ("contract_id", "measure", "theme", "outcome")),
        sa.column("sequence", sa.Integer),
    )
    found = op.get_bind().execute(
        sa.select(
            contracts.c.framework_version,
            obligations.c.measure,
            obligations.c.theme,
            obligations.c.outcome,
        )
        .distinct()
        .select_from(
            obligations.join(contracts, contracts.c.contract_id == obligations.c.contract_id)
        )
        .where(obligations.c.sequence.is_not(None))
    )
    places: dict[tuple[str, str], tuple[str, str]] = {}
    for r in found:
        # A version's measures never move, so any one of its obligations says where.
        places.setdefault((r.framework_version, r.measure), (r.theme or "", r.outcome or ""))
    if places:
        op.bulk_insert(
            sa.table(
                "framework_measures",
                *(sa.column(n, sa.String) for n in ("framework_version", "measure")),
                *(sa.column(n, sa.String) for n in ("theme", "outcome")),
            ),
            [
                {"framework_version": v, "measure": m, "theme": t, "outcome": o}
                for (v, m), (t, o) in sorted(places.items())
            ],
        )


def downgrade() -> None:
    op.drop_table("framework_measures")
