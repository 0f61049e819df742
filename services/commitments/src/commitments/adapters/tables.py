"""The read-model tables (created by migrations 0002 and 0003; keep them in step).

Those of 0002 are written in the same transaction as the events they reflect (see
:mod:`commitments.adapters.projections`), so a list read right after a write sees it. Those of
0003 (``track_*``) hold suppliers' track records, kept by consumers of measurement's events
(see :mod:`commitments.consumers.track_record`) and rebuilt from JetStream by
``svl rebuild commitments``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from svledger.columns import Instant, Quantity

metadata = MetaData()

ID = 36  # a UUID's text form

framework_versions = Table(
    "framework_versions",
    metadata,
    Column("version", String(60), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("published_on", Date, nullable=False),
)

tenders = Table(
    "tenders",
    metadata,
    Column("tender_id", String(ID), primary_key=True),
    Column("buyer", String(200), nullable=False),
    Column("title", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("framework_version", String(60), nullable=False),
    Column("estimated_value_gbp", Quantity, nullable=False),
    Column("contract_starts_on", Date, nullable=False),
    Column("contract_ends_on", Date, nullable=False),
    Column("vcfse_relevant", Boolean, nullable=False),
    Column("closes_on", Date, nullable=False),
    Column("published_on", Date, nullable=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", Instant, nullable=False),
    Index("ix_tenders_buyer", "buyer"),
    Index("ix_tenders_status", "status"),
)

tender_measures = Table(
    "tender_measures",
    metadata,
    Column("tender_id", String(ID), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Index("ix_tender_measures_measure", "measure"),
)

tender_places = Table(
    "tender_places",
    metadata,
    Column("tender_id", String(ID), primary_key=True),
    Column("place", String(200), primary_key=True),
    Index("ix_tender_places_place", "place"),
)

bids = Table(
    "bids",
    metadata,
    Column("bid_id", String(ID), primary_key=True),
    Column("tender_id", String(ID), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("total_proxy_value_gbp", Quantity, nullable=True),
    Column("submitted_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_bids_supplier", "supplier"),
    Index("ix_bids_tender", "tender_id"),
)

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(ID), primary_key=True),
    Column("reference", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("value_gbp", Quantity, nullable=True),
    Column("framework_version", String(60), nullable=False),
    Column("tender_id", String(ID), nullable=True),
    Column("version", Integer, nullable=False),
    Column("awarded_at", Instant, nullable=False),
    # One registration per reference and buyer: a contract registered twice would count twice.
    UniqueConstraint("buyer", "reference", name="uq_contracts_buyer_reference"),
    Index("ix_contracts_supplier", "supplier"),
)

contract_obligations = Table(
    "contract_obligations",
    metadata,
    Column("obligation_id", String(ID), primary_key=True),
    Column("contract_id", String(ID), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("measure", String(20), nullable=False),
    Column("theme", String(200), nullable=False),
    Column("outcome", String(300), nullable=False),
    Column("unit", String(100), nullable=False),
    Column("description", Text, nullable=False),
    Column("is_kpi", Boolean, nullable=False),
    Column("place", String(200), nullable=True),
    Column("vcfse_partner", String(200), nullable=True),
    Column("total", Quantity, nullable=False),
    Index("ix_contract_obligations_contract", "contract_id"),
    Index("ix_contract_obligations_measure", "measure"),
)

obligation_targets = Table(
    "obligation_targets",
    metadata,
    Column("obligation_id", String(ID), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("target", Quantity, nullable=False),
    Column("cancelled", Boolean, nullable=False),
)

pledges = Table(
    "pledges",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("base_year", String(7), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
)

# The baseline (its year is the base year) and the yearly targets of each pledge.
pledge_figures = Table(
    "pledge_figures",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("year", String(7), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("figure", Quantity, nullable=False),
)


# -- track records, from measurement's events ------------------------------------------------

EXTERNAL_ID = 64  # ids other services chose

track_contracts = Table(
    "track_contracts",
    metadata,
    Column("contract_id", String(EXTERNAL_ID), primary_key=True),
    Column("supplier", String(200), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("return_due_days", Integer, nullable=False),
    Index("ix_track_contracts_supplier", "supplier"),
)

track_obligations = Table(
    "track_obligations",
    metadata,
    Column("obligation_id", String(EXTERNAL_ID), primary_key=True),
    Column("contract_id", String(EXTERNAL_ID), nullable=False),
    Column("measure", String(20), nullable=False),
    Column("unit", String(100), nullable=False),
    Index("ix_track_obligations_contract", "contract_id"),
)

# Each obligation's quarterly targets, as awarded or last varied.
track_targets = Table(
    "track_targets",
    metadata,
    Column("obligation_id", String(EXTERNAL_ID), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("target", Quantity, nullable=False),
)

# Each reporting quarter of a contract and how its return stands.
track_periods = Table(
    "track_periods",
    metadata,
    Column("contract_id", String(EXTERNAL_ID), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("submitted_on", Date, nullable=True),
    Column("late", Boolean, nullable=False),
    Column("accepted", Boolean, nullable=False),
)

# The current version of each return line: replaced, never added to, by a new version.
track_lines = Table(
    "track_lines",
    metadata,
    Column("contract_id", String(EXTERNAL_ID), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("obligation_id", String(EXTERNAL_ID), primary_key=True),
    Column("quantity", Quantity, nullable=False),
)

track_alerts = Table(
    "track_alerts",
    metadata,
    Column("alert_id", String(EXTERNAL_ID), primary_key=True),
    Column("supplier", String(200), nullable=False),
    Column("contract_id", String(EXTERNAL_ID), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("raised_on", Date, nullable=False),
    Column("resolved_on", Date, nullable=True),
    Index("ix_track_alerts_supplier", "supplier"),
)

# The newest measurement event reflected in each supplier's record.
track_suppliers = Table(
    "track_suppliers",
    metadata,
    Column("supplier", String(200), primary_key=True),
    Column("as_of", Instant, nullable=False),
)

TRACK_RECORD_TABLES = (
    track_contracts,
    track_obligations,
    track_targets,
    track_periods,
    track_lines,
    track_alerts,
    track_suppliers,
)
