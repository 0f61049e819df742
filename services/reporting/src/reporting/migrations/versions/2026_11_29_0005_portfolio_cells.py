"""Portfolio cells: the breakdowns by quarter and year kept summed per organisation.

``portfolio_cells`` holds each organisation's quarters summed by measure, unit, proxy value and
return due day; ``contract_cells`` each contract's share of them (see
``reporting.domain.cells``). Rows already projected are summed here, by the same rules the
projection follows (``reporting.adapters.projections.refresh_contracts``). Reporting pods of
the previous release do not keep these tables: stop them during this migration, or rebuild
reporting once the new pods run (RUNBOOK).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from reporting.domain import cells
from reporting.domain.cells import CellKey, CellSums, ObligationCells
from svledger.columns import Quantity, quantity_ddl
from svledger.schema import JsonType

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CONTRACTS_AT_ONCE = 500  # read and summed together, so memory does not grow with the ledger


def upgrade() -> None:
    op.create_table(
        "portfolio_cells",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("unit", sa.String(100), primary_key=True),
        sa.Column("framework_version", sa.String(60), primary_key=True),
        sa.Column("rate", sa.String(40), primary_key=True),
        sa.Column("due_on", sa.Date, primary_key=True),
        *(
            sa.Column(name, quantity_ddl(), nullable=False)
            for name in ("committed", "accepted", "delivered", "awaiting_review")
        ),
        sa.Column("obligations", sa.Integer, nullable=False),
        sa.Column("first_in_year", sa.Integer, nullable=False),
    )
    op.create_table(
        "contract_cells",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("year", sa.String(7), primary_key=True),
        sa.Column("parties", JsonType, nullable=False),
        sa.Column("cells", JsonType, nullable=False),
    )
    _fill()


def _fill() -> None:
    conn = op.get_bind()
    portfolio_cells = sa.table(
        "portfolio_cells",
        *(sa.column(n, sa.String) for n in ("organisation", "period", "measure", "unit")),
        *(sa.column(n, sa.String) for n in ("framework_version", "rate")),
        sa.column("due_on", sa.Date),
        *(
            sa.column(n, Quantity())
            for n in ("committed", "accepted", "delivered", "awaiting_review")
        ),
        sa.column("obligations", sa.Integer),
        sa.column("first_in_year", sa.Integer),
    )
    contract_cells = sa.table(
        "contract_cells",
        sa.column("contract_id", sa.String),
        sa.column("year", sa.String),
        sa.column("parties", JsonType),
        sa.column("cells", JsonType),
    )
    contracts = sa.table(
        "contracts",
        *(sa.column(n, sa.String) for n in ("contract_id", "buyer", "supplier")),
        sa.column("framework_version", sa.String),
        sa.column("return_due_days", sa.Integer),
    )
    obligations = sa.table(
        "obligations",
        *(sa.column(n, sa.String) for n in ("contract_id", "obligation_id", "measure", "unit")),
        sa.column("sequence", sa.Integer),
        sa.column("proxy_gbp_per_unit", Quantity()),
    )
    targets = sa.table(
        "obligation_targets",
        *(sa.column(n, sa.String) for n in ("contract_id", "obligation_id", "period")),
        sa.column("target", Quantity()),
    )
    lines = sa.table(
        "return_lines",
        *(sa.column(n, sa.String) for n in ("contract_id", "obligation_id", "period")),
        sa.column("quantity", Quantity()),
    )
    returns = sa.table(
        "returns",
        sa.column("contract_id", sa.String),
        sa.column("period", sa.String),
        sa.column("accepted", sa.Boolean),
    )
    summed: dict[tuple[str, CellKey], CellSums] = defaultdict(CellSums)
    everyone = conn.execute(sa.select(contracts).order_by(contracts.c.contract_id)).all()
    for start in range(0, len(everyone), _CONTRACTS_AT_ONCE):
        some = everyone[start : start + _CONTRACTS_AT_ONCE]
        ids = [c.contract_id for c in some]
        known: dict[str, list[ObligationCells]] = defaultdict(list)
        for o in conn.execute(
            sa.select(obligations).where(
                obligations.c.contract_id.in_(ids), obligations.c.sequence.is_not(None)
            )
        ):
            known[o.contract_id].append(
                ObligationCells(o.obligation_id, o.measure, o.unit or "", o.proxy_gbp_per_unit)
            )
        aimed: dict[str, list[tuple[str, str, Decimal]]] = defaultdict(list)
        for t in conn.execute(sa.select(targets).where(targets.c.contract_id.in_(ids))):
            aimed[t.contract_id].append((t.obligation_id, t.period, t.target))
        accepted: dict[str, set[str]] = defaultdict(set)
        came: dict[str, list[tuple[str, str, Decimal]]] = defaultdict(list)
        for r in conn.execute(
            sa.select(
                returns.c.contract_id,
                returns.c.period,
                returns.c.accepted,
                lines.c.obligation_id,
                lines.c.quantity,
            )
            .select_from(returns.outerjoin(lines, _same_return(returns, lines)))
            .where(returns.c.contract_id.in_(ids))
        ):
            if r.accepted:
                accepted[r.contract_id].add(r.period)
            if r.obligation_id is not None:
                came[r.contract_id].append((r.obligation_id, r.period, r.quantity))
        shares: list[dict[str, object]] = []
        for c in some:
            parties = sorted({c.buyer, c.supplier})
            mine = cells.contract_cells(
                c.framework_version,
                int(c.return_due_days),
                obligations=known[c.contract_id],
                targets=aimed[c.contract_id],
                lines=came[c.contract_id],
                accepted_periods=accepted[c.contract_id],
            )
            shares += [
                {
                    "contract_id": c.contract_id,
                    "year": y,
                    "parties": parties,
                    "cells": cells.to_json(s),
                }
                for y, s in cells.by_year(mine).items()
            ]
            for key, sums in cells.changes([], {}, parties, mine).items():
                summed[key] += sums
        if shares:
            conn.execute(contract_cells.insert(), shares)
    if rows := cells.portfolio_rows(summed):
        conn.execute(portfolio_cells.insert(), rows)


def _same_return(returns: sa.TableClause, lines: sa.TableClause) -> sa.ColumnElement[bool]:
    return sa.and_(lines.c.contract_id == returns.c.contract_id, lines.c.period == returns.c.period)


def downgrade() -> None:
    op.drop_table("contract_cells")
    op.drop_table("portfolio_cells")
