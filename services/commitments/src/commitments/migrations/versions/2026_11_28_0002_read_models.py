"""Read models: framework versions, tenders, bids, contracts with obligations and targets, pledges.

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

ID = 36


def upgrade() -> None:
    op.create_table(
        "framework_versions",
        sa.Column("version", sa.String(60), primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
    )

    op.create_table(
        "tenders",
        sa.Column("tender_id", sa.String(ID), primary_key=True),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("framework_version", sa.String(60), nullable=False),
        sa.Column("estimated_value_gbp", quantity_ddl(), nullable=False),
        sa.Column("contract_starts_on", sa.Date, nullable=False),
        sa.Column("contract_ends_on", sa.Date, nullable=False),
        sa.Column("vcfse_relevant", sa.Boolean, nullable=False),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("published_on", sa.Date, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tenders_buyer", "tenders", ["buyer"])
    op.create_index("ix_tenders_status", "tenders", ["status"])

    op.create_table(
        "tender_measures",
        sa.Column("tender_id", sa.String(ID), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
    )
    op.create_index("ix_tender_measures_measure", "tender_measures", ["measure"])

    op.create_table(
        "tender_places",
        sa.Column("tender_id", sa.String(ID), primary_key=True),
        sa.Column("place", sa.String(200), primary_key=True),
    )
    op.create_index("ix_tender_places_place", "tender_places", ["place"])

    op.create_table(
        "bids",
        sa.Column("bid_id", sa.String(ID), primary_key=True),
        sa.Column("tender_id", sa.String(ID), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("total_proxy_value_gbp", quantity_ddl(), nullable=True),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_bids_supplier", "bids", ["supplier"])
    op.create_index("ix_bids_tender", "bids", ["tender_id"])

    op.create_table(
        "contracts",
        sa.Column("contract_id", sa.String(ID), primary_key=True),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("buyer", sa.String(200), nullable=False),
        sa.Column("supplier", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("value_gbp", quantity_ddl(), nullable=True),
        sa.Column("framework_version", sa.String(60), nullable=False),
        sa.Column("tender_id", sa.String(ID), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("buyer", "reference", name="uq_contracts_buyer_reference"),
    )
    op.create_index("ix_contracts_supplier", "contracts", ["supplier"])

    op.create_table(
        "contract_obligations",
        sa.Column("obligation_id", sa.String(ID), primary_key=True),
        sa.Column("contract_id", sa.String(ID), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("theme", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(300), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("is_kpi", sa.Boolean, nullable=False),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("vcfse_partner", sa.String(200), nullable=True),
        sa.Column("total", quantity_ddl(), nullable=False),
    )
    op.create_index("ix_contract_obligations_contract", "contract_obligations", ["contract_id"])
    op.create_index("ix_contract_obligations_measure", "contract_obligations", ["measure"])

    op.create_table(
        "obligation_targets",
        sa.Column("obligation_id", sa.String(ID), primary_key=True),
        sa.Column("period", sa.String(10), primary_key=True),
        sa.Column("target", quantity_ddl(), nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
    )

    op.create_table(
        "pledges",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("base_year", sa.String(7), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )

    op.create_table(
        "pledge_figures",
        sa.Column("organisation", sa.String(200), primary_key=True),
        sa.Column("year", sa.String(7), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("figure", quantity_ddl(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pledge_figures")
    op.drop_table("pledges")
    op.drop_table("obligation_targets")
    op.drop_table("contract_obligations")
    op.drop_table("contracts")
    op.drop_table("bids")
    op.drop_table("tender_places")
    op.drop_table("tender_measures")
    op.drop_table("tenders")
    op.drop_table("framework_versions")
