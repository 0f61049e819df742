"""Portfolio read models: targets by quarter, schedules, return lines, proxy values, pledges,
confirmed deliveries, consumer marks; alerts not about one obligation.

Alerts of kind overdue_return carry no obligation or measure, and pledge_behind alerts no
contract: those columns become nullable (a NOT NULL there dead-lettered such events).
Quantities are NUMERIC(18, 4) on PostgreSQL and text on SQLite (see svledger.columns).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op
from svledger.columns import quantity_ddl
from svledger.schema import JsonType

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("contract_id", existing_type=sa.String(64), nullable=True)
        batch.alter_column("obligation_id", existing_type=sa.String(64), nullable=True)
        batch.alter_column("measure", existing_type=sa.String(20), nullable=True)
        batch.add_column(sa.Column("level", sa.Integer, nullable=True))
        batch.add_column(sa.Column("escalated_to", sa.String(40), nullable=True))
        batch.add_column(sa.Column("detail", sa.Text, nullable=True))
        batch.add_column(sa.Column("acknowledged_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("resolved_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("resolution", sa.String(40), nullable=True))

    with op.batch_alter_table("contracts") as batch:
        batch.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'"))
        )
        batch.add_column(sa.Column("ended_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("end_reason", sa.Text, nullable=True))
        batch.add_column(
            sa.Column("return_due_days", sa.Integer, nullable=False, server_default=sa.text("30"))
        )
        batch.add_column(sa.Column("tender_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("places", JsonType, nullable=True))

    with op.batch_alter_table("obligations") as batch:
        batch.add_column(sa.Column("place", sa.String(200), nullable=True))
        batch.add_column(sa.Column("vcfse_partner", sa.String(200), nullable=True))
        batch.add_column(sa.Column("proxy_gbp_per_unit", quantity_ddl(), nullable=True))
        batch.add_column(sa.Column("varied_on", sa.Date, nullable=True))

    with op.batch_alter_table("returns") as batch:
        batch.add_column(
            sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1"))
        )
        batch.add_column(sa.Column("submitted_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("due_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("revised_on", sa.Date, nullable=True))
        batch.add_column(
            sa.Column(
                "review", sa.String(20), nullable=False, server_default=sa.text("'submitted'")
            )
        )
        batch.add_column(
            sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.text("false"))
        )
        batch.add_column(sa.Column("accepted_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("narrative", sa.Text, nullable=True))

    op.create_table(
        "obligation_targets",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("obligation_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("target", quantity_ddl(), nullable=False),
    )

    op.create_table(
        "schedule_periods",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("overdue_detected_on", sa.Date, nullable=True),
    )

    op.create_table(
        "return_lines",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("obligation_id", sa.String(64), primary_key=True),
        sa.Column("quantity", quantity_ddl(), nullable=False),
        sa.Column("narrative", sa.Text, nullable=False),
        sa.Column("case_study", sa.Text, nullable=False),
        sa.Column("beneficiaries", sa.Integer, nullable=True),
        sa.Column("places", JsonType, nullable=False),
        sa.Column("evidence", JsonType, nullable=False),
    )

    op.create_table(
        "proxy_values",
        sa.Column("framework_version", sa.String(60), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("gbp_per_unit", quantity_ddl(), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("year", sa.String(20), nullable=False),
    )

    op.create_table(
        "pledges",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("base_year", sa.String(7), nullable=False),
        sa.Column("framework_version", sa.String(60), nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )

    op.create_table(
        "pledge_figures",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("year", sa.String(7), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("quantity", quantity_ddl(), nullable=False),
    )

    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("match_id", sa.String(64), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("vcfse", sa.String(200), nullable=False),
        sa.Column("contract_id", sa.String(64), nullable=True),
        sa.Column("obligation_id", sa.String(64), nullable=True),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("quantity", quantity_ddl(), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("delivered_on", sa.Date, nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_on", sa.Date, nullable=True),
    )
    op.create_index("ix_deliveries_supplier", "deliveries", ["supplier"])

    op.create_table(
        "consumer_marks",
        sa.Column("consumer", sa.String(120), primary_key=True),
        sa.Column("stream", sa.String(60), nullable=False),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("consumer_marks")
    op.drop_index("ix_deliveries_supplier", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("pledge_figures")
    op.drop_table("pledges")
    op.drop_table("proxy_values")
    op.drop_table("return_lines")
    op.drop_table("schedule_periods")
    op.drop_table("obligation_targets")
    with op.batch_alter_table("returns") as batch:
        for column in (
            "narrative",
            "accepted_on",
            "accepted",
            "review",
            "revised_on",
            "due_on",
            "submitted_on",
            "version",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("obligations") as batch:
        for column in ("varied_on", "proxy_gbp_per_unit", "vcfse_partner", "place"):
            batch.drop_column(column)
    with op.batch_alter_table("contracts") as batch:
        for column in (
            "places",
            "tender_id",
            "return_due_days",
            "end_reason",
            "ended_on",
            "status",
        ):
            batch.drop_column(column)
    # Alerts without an obligation or contract cannot go back under NOT NULL.
    op.execute(
        "DELETE FROM alerts WHERE contract_id IS NULL OR obligation_id IS NULL OR measure IS NULL"
    )
    with op.batch_alter_table("alerts") as batch:
        for column in (
            "resolution",
            "resolved_on",
            "acknowledged_on",
            "detail",
            "escalated_to",
            "level",
        ):
            batch.drop_column(column)
        batch.alter_column("measure", existing_type=sa.String(20), nullable=False)
        batch.alter_column("obligation_id", existing_type=sa.String(64), nullable=False)
        batch.alter_column("contract_id", existing_type=sa.String(64), nullable=False)
