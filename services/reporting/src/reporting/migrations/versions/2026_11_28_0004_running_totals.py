"""Running totals, so a portfolio report reads one row per obligation instead of every quarter.

Each quarter's target gets its return due day and the running total of the obligation's targets
up to it; each obligation gets what its accepted returns delivered and what awaits review,
summed over every quarter. Rows already projected are filled in here, by the same rules the
projection follows (``reporting.adapters.projections``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from svledger.columns import Quantity, quantity_ddl
from svledger.periods import Quarter

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ZERO = Decimal(0)


def upgrade() -> None:
    with op.batch_alter_table("obligation_targets") as batch:
        batch.add_column(sa.Column("due_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("cumulative", quantity_ddl(), nullable=True))
    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("delivered", quantity_ddl(), nullable=True))
        batch.add_column(sa.Column("awaiting_review", quantity_ddl(), nullable=True))
    _fill_targets()
    _fill_delivered()


def _fill_targets() -> None:
    conn = op.get_bind()
    targets = sa.table(
        "obligation_targets",
        sa.column("contract_id", sa.String),
        sa.column("obligation_id", sa.String),
        sa.column("period", sa.String),
        sa.column("target", Quantity()),
        sa.column("due_on", sa.Date),
        sa.column("cumulative", Quantity()),
    )
    contracts = sa.table(
        "contracts", sa.column("contract_id", sa.String), sa.column("return_due_days", sa.Integer)
    )
    due_days = {r.contract_id: int(r.return_due_days) for r in conn.execute(sa.select(contracts))}
    rows = conn.execute(
        sa.select(
            targets.c.contract_id, targets.c.obligation_id, targets.c.period, targets.c.target
        ).order_by(targets.c.contract_id, targets.c.obligation_id, targets.c.period)
    ).all()
    updates = []
    running: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for r in rows:
        key = (r.contract_id, r.obligation_id)
        running[key] += r.target
        updates.append(
            {
                "c": r.contract_id,
                "o": r.obligation_id,
                "p": r.period,
                "due_on": Quarter.parse(r.period).due(due_days.get(r.contract_id, 30)),
                "cumulative": running[key],
            }
        )
    if updates:
        conn.execute(
            targets.update()
            .where(
                targets.c.contract_id == sa.bindparam("c"),
                targets.c.obligation_id == sa.bindparam("o"),
                targets.c.period == sa.bindparam("p"),
            )
            .values(due_on=sa.bindparam("due_on"), cumulative=sa.bindparam("cumulative")),
            updates,
        )


def _fill_delivered() -> None:
    conn = op.get_bind()
    lines = sa.table(
        "return_lines",
        sa.column("contract_id", sa.String),
        sa.column("period", sa.String),
        sa.column("obligation_id", sa.String),
        sa.column("quantity", Quantity()),
    )
    returns = sa.table(
        "returns",
        sa.column("contract_id", sa.String),
        sa.column("period", sa.String),
        sa.column("accepted", sa.Boolean),
    )
    obligations = sa.table(
        "obligations",
        sa.column("contract_id", sa.String),
        sa.column("obligation_id", sa.String),
        sa.column("delivered", Quantity()),
        sa.column("awaiting_review", Quantity()),
    )
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for r in conn.execute(
        sa.select(
            lines.c.contract_id, lines.c.obligation_id, lines.c.quantity, returns.c.accepted
        ).join(
            returns,
            sa.and_(
                returns.c.contract_id == lines.c.contract_id, returns.c.period == lines.c.period
            ),
        )
    ):
        totals[(r.contract_id, r.obligation_id)][0 if r.accepted else 1] += r.quantity
    conn.execute(obligations.update().values(delivered=ZERO, awaiting_review=ZERO))
    if totals:
        conn.execute(
            obligations.update()
            .where(
                obligations.c.contract_id == sa.bindparam("c"),
                obligations.c.obligation_id == sa.bindparam("o"),
            )
            .values(delivered=sa.bindparam("d"), awaiting_review=sa.bindparam("a")),
            [{"c": c, "o": o, "d": d, "a": a} for (c, o), (d, a) in totals.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("obligations") as batch:
        batch.drop_column("awaiting_review")
        batch.drop_column("delivered")
    with op.batch_alter_table("obligation_targets") as batch:
        batch.drop_column("cumulative")
        batch.drop_column("due_on")
