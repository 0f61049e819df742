"""Read models: schedule periods, the alerts inbox, webhooks and their delivery log, pledges.

Quantities are NUMERIC(18, 4) on PostgreSQL and text on SQLite, whose NUMERIC affinity would
keep them as floating point (see svledger.columns.Quantity).

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


def upgrade() -> None:
    op.create_table(
        "schedule_periods",
        sa.Column("contract_id", sa.String(64), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("review", sa.String(20), nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("return_version", sa.Integer, nullable=True),
        sa.Column("submitted_on", sa.Date, nullable=True),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )
    op.create_index("ix_schedule_periods_supplier_due", "schedule_periods", ["supplier", "due_on"])
    op.create_index("ix_schedule_periods_buyer", "schedule_periods", ["buyer"])
    op.create_index("ix_schedule_periods_due", "schedule_periods", ["due_on"])

    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("contract_id", sa.String(64), nullable=True),
        sa.Column("obligation_id", sa.String(64), nullable=True),
        sa.Column("measure", sa.String(20), nullable=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("ratio", quantity_ddl(), nullable=True),
        sa.Column("raised_on", sa.Date, nullable=False),
        sa.Column("acknowledged_on", sa.Date, nullable=True),
        sa.Column("resolved_on", sa.Date, nullable=True),
        sa.Column("resolution", sa.String(40), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_alerts_buyer_status", "alerts", ["buyer", "status"])
    op.create_index("ix_alerts_supplier_status", "alerts", ["supplier", "status"])
    op.create_index("ix_alerts_status_raised", "alerts", ["status", "raised_on"])

    op.create_table(
        "webhook_subscriptions",
        sa.Column("subscription_id", sa.String(64), primary_key=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_webhook_subscriptions_organisation", "webhook_subscriptions", ["organisation"]
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(120), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )

    op.create_table(
        "webhook_attempts",
        sa.Column("delivery_id", sa.String(64), primary_key=True),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )

    op.create_table(
        "pledges",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("base_year", sa.String(10), nullable=False),
        sa.Column("baseline", sa.Text, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pledges")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
    op.drop_table("alerts")
    op.drop_table("schedule_periods")
