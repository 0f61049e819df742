"""Room on each page for the read-model rows that reporting rewrites, so that PostgreSQL
updates them in place.

An obligation's row is written again whenever one of its contract's returns, reviews or
assessments changes; a portfolio cell whenever a contract of its organisation changes; a
contract's cells whenever its figures do. On full pages (PostgreSQL's default) each new
version of a row lands on another page and leaves the old one dead behind it. A fill factor of
70 keeps room for the new version on the row's own page: a heap-only update, which writes no
index entry and whose dead version is pruned the next time the page is read. It applies to
pages written from now on; ``VACUUM FULL`` on the three tables repacks the pages already
written (RUNBOOK). SQLite has no such setting.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

REWRITTEN = ("obligations", "portfolio_cells", "contract_cells")
FILL_FACTOR = 70


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in REWRITTEN:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = {FILL_FACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in REWRITTEN:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
