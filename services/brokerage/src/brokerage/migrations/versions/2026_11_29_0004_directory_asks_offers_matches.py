"""Read models of the brokerage's own aggregates: the organisations directory (with places and
vouches), local needs, asks, offers, matches and their deliveries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from svledger.columns import quantity_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Exact quantities: NUMERIC on PostgreSQL; on SQLite the digits as text.
EXACT = quantity_ddl()
ORG = 200


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("organisation_id", sa.String(ORG), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("form", sa.String(30), nullable=True),
        sa.Column("places", JSON, nullable=False),
        sa.Column("outcomes", JSON, nullable=False),
        sa.Column("charity_number", sa.String(20), nullable=True),
        sa.Column("company_number", sa.String(20), nullable=True),
        sa.Column("registered_by", sa.String(ORG), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_organisations_kind", "organisations", ["kind"])
    op.create_index("ix_organisations_registered_by", "organisations", ["registered_by"])

    op.create_table(
        "organisation_places",
        sa.Column("organisation_id", sa.String(ORG), primary_key=True),
        sa.Column("place", sa.String(200), primary_key=True),
    )
    op.create_index("ix_organisation_places_place", "organisation_places", ["place"])

    op.create_table(
        "organisation_vouches",
        sa.Column("organisation_id", sa.String(ORG), primary_key=True),
        sa.Column("cvs", sa.String(ORG), primary_key=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("vouched_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_organisation_vouches_cvs", "organisation_vouches", ["cvs"])

    op.create_table(
        "local_needs",
        sa.Column("publisher", sa.String(ORG), primary_key=True),
        sa.Column("place", sa.String(200), primary_key=True),
        sa.Column("outcome", sa.String(300), primary_key=True),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_local_needs_place", "local_needs", ["place"])

    op.create_table(
        "asks",
        sa.Column("ask_id", sa.Uuid(), primary_key=True),
        sa.Column("vcfse", sa.String(ORG), nullable=False),
        sa.Column("posted_by", sa.String(ORG), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("measures", JSON, nullable=False),
        sa.Column("quantity", EXACT, nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("filled", EXACT, nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("outcomes", JSON, nullable=False),
        sa.Column("needed_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_asks_vcfse", "asks", ["vcfse"])
    op.create_index("ix_asks_place", "asks", ["place"])
    op.create_index("ix_asks_status", "asks", ["status"])

    op.create_table(
        "ask_measures",
        sa.Column("ask_id", sa.Uuid(), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
    )
    op.create_index("ix_ask_measures_measure", "ask_measures", ["measure"])

    op.create_table(
        "offers",
        sa.Column("offer_id", sa.Uuid(), primary_key=True),
        sa.Column("supplier", sa.String(ORG), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("measures", JSON, nullable=False),
        sa.Column("places", JSON, nullable=False),
        sa.Column("quantity", EXACT, nullable=True),
        sa.Column("unit", sa.String(100), nullable=True),
        sa.Column("available_until", sa.Date(), nullable=True),
        sa.Column("obligation_id", sa.Uuid(), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_offers_supplier", "offers", ["supplier"])

    op.create_table(
        "offer_measures",
        sa.Column("offer_id", sa.Uuid(), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
    )
    op.create_index("ix_offer_measures_measure", "offer_measures", ["measure"])

    op.create_table(
        "matches",
        sa.Column("match_id", sa.Uuid(), primary_key=True),
        sa.Column("ask_id", sa.Uuid(), nullable=True),
        sa.Column("offer_id", sa.Uuid(), nullable=True),
        sa.Column("supplier", sa.String(ORG), nullable=False),
        sa.Column("vcfse", sa.String(ORG), nullable=False),
        sa.Column("buyer", sa.String(ORG), nullable=True),
        sa.Column("measure", sa.String(20), nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("obligation_id", sa.Uuid(), nullable=True),
        sa.Column("contract_id", sa.Uuid(), nullable=True),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("score", EXACT, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("proposed_by", sa.String(ORG), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("supplier_accepted", sa.Boolean(), nullable=False),
        sa.Column("vcfse_accepted", sa.Boolean(), nullable=False),
        sa.Column("declined_by", sa.String(20), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index("ix_matches_supplier", "matches", ["supplier"])
    op.create_index("ix_matches_vcfse", "matches", ["vcfse"])
    op.create_index("ix_matches_buyer", "matches", ["buyer"])
    op.create_index("ix_matches_ask_id", "matches", ["ask_id"])

    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.Uuid(), primary_key=True),
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("supplier", sa.String(ORG), nullable=False),
        sa.Column("vcfse", sa.String(ORG), nullable=False),
        sa.Column("quantity", EXACT, nullable=False),
        sa.Column("unit", sa.String(100), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("confirmed_by", sa.String(ORG), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("disputed_on", sa.Date(), nullable=True),
    )
    op.create_index("ix_deliveries_match_id", "deliveries", ["match_id"])


def downgrade() -> None:
    for table in (
        "deliveries",
        "matches",
        "offer_measures",
        "offers",
        "ask_measures",
        "asks",
        "local_needs",
        "organisation_vouches",
        "organisation_places",
        "organisations",
    ):
        op.drop_table(table)
