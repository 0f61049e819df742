"""Read-model tables of the brokerage's own aggregates (migration 0004 creates them).

They are written in the same transaction as the events they reflect (see
:mod:`brokerage.adapters.unit_of_work`), so a caller reads its own writes at once. They are
not consumer-fed, so ``svl rebuild brokerage`` leaves them alone.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, Uuid
from svledger.columns import Quantity
from svledger.schema import JsonType

metadata = MetaData()

ORG = 200  # organisation ids, as tokens carry them

organisations = Table(
    "organisations",
    metadata,
    Column("organisation_id", String(ORG), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("form", String(30), nullable=True),
    Column("places", JsonType, nullable=False),
    Column("outcomes", JsonType, nullable=False),
    Column("charity_number", String(20), nullable=True),
    Column("company_number", String(20), nullable=True),
    Column("registered_by", String(ORG), nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_organisations_kind", "kind"),
    Index("ix_organisations_registered_by", "registered_by"),
)

organisation_places = Table(
    "organisation_places",
    metadata,
    Column("organisation_id", String(ORG), primary_key=True),
    Column("place", String(200), primary_key=True),
    Index("ix_organisation_places_place", "place"),
)

organisation_vouches = Table(
    "organisation_vouches",
    metadata,
    Column("organisation_id", String(ORG), primary_key=True),
    Column("cvs", String(ORG), primary_key=True),
    Column("note", Text, nullable=False),
    Column("vouched_on", Date, nullable=False),
    Index("ix_organisation_vouches_cvs", "cvs"),
)

local_needs = Table(
    "local_needs",
    metadata,
    Column("publisher", String(ORG), primary_key=True),
    Column("place", String(200), primary_key=True),
    Column("outcome", String(300), primary_key=True),
    Column("priority", String(10), nullable=False),
    Column("note", Text, nullable=False),
    Column("published_on", Date, nullable=False),
    Index("ix_local_needs_place", "place"),
)

asks = Table(
    "asks",
    metadata,
    Column("ask_id", Uuid, primary_key=True),
    Column("vcfse", String(ORG), nullable=False),
    Column("posted_by", String(ORG), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("measures", JsonType, nullable=False),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("filled", Quantity, nullable=False),
    Column("place", String(200), nullable=False),
    Column("outcomes", JsonType, nullable=False),
    Column("needed_by", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("posted_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_asks_vcfse", "vcfse"),
    Index("ix_asks_place", "place"),
    Index("ix_asks_status", "status"),
)

ask_measures = Table(
    "ask_measures",
    metadata,
    Column("ask_id", Uuid, primary_key=True),
    Column("measure", String(20), primary_key=True),
    Index("ix_ask_measures_measure", "measure"),
)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", Uuid, primary_key=True),
    Column("supplier", String(ORG), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("measures", JsonType, nullable=False),
    Column("places", JsonType, nullable=False),
    Column("quantity", Quantity, nullable=True),
    Column("unit", String(100), nullable=True),
    Column("available_until", Date, nullable=True),
    Column("obligation_id", Uuid, nullable=True),
    Column("contract_id", Uuid, nullable=True),
    Column("status", String(20), nullable=False),
    Column("posted_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_offers_supplier", "supplier"),
)

offer_measures = Table(
    "offer_measures",
    metadata,
    Column("offer_id", Uuid, primary_key=True),
    Column("measure", String(20), primary_key=True),
    Index("ix_offer_measures_measure", "measure"),
)

matches = Table(
    "matches",
    metadata,
    Column("match_id", Uuid, primary_key=True),
    Column("ask_id", Uuid, nullable=True),
    Column("offer_id", Uuid, nullable=True),
    Column("supplier", String(ORG), nullable=False),
    Column("vcfse", String(ORG), nullable=False),
    Column("buyer", String(ORG), nullable=True),
    Column("measure", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("obligation_id", Uuid, nullable=True),
    Column("contract_id", Uuid, nullable=True),
    Column("alert_id", Uuid, nullable=True),
    Column("score", Quantity, nullable=False),
    Column("reasons", JsonType, nullable=False),
    Column("proposed_by", String(ORG), nullable=False),
    Column("proposed_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("supplier_accepted", Boolean, nullable=False),
    Column("vcfse_accepted", Boolean, nullable=False),
    Column("declined_by", String(20), nullable=True),
    Column("decline_reason", Text, nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_matches_supplier", "supplier"),
    Index("ix_matches_vcfse", "vcfse"),
    Index("ix_matches_buyer", "buyer"),
    Index("ix_matches_ask_id", "ask_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", Uuid, primary_key=True),
    Column("match_id", Uuid, nullable=False),
    Column("supplier", String(ORG), nullable=False),
    Column("vcfse", String(ORG), nullable=False),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("delivered_on", Date, nullable=False),
    Column("period", String(10), nullable=False),
    Column("note", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("confirmed_by", String(ORG), nullable=True),
    Column("confirmed_on", Date, nullable=True),
    Column("dispute_reason", Text, nullable=True),
    Column("disputed_on", Date, nullable=True),
    Index("ix_deliveries_match_id", "match_id"),
)
