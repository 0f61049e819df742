"""The read-model tables (created by migrations 0002 to 0008; keep them in step).

Every table here is a read model: ``svl rebuild reporting`` empties them all and replays the
log. Quantities are :class:`~svledger.columns.Quantity` (exact, never float); lists are JSON.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from svledger.columns import Instant, Quantity
from svledger.schema import JsonType

metadata = MetaData()

contracts = Table(
    "contracts",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("reference", String(100), nullable=False),
    Column("title", String(300), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("value_gbp", Quantity, nullable=True),
    Column("framework_version", String(60), nullable=False),
    Column("awarded_at", Instant, nullable=False),
    # active, completed or terminated; ended_on is the completion or termination day.
    Column("status", String(20), nullable=False, server_default=text("'active'")),
    Column("ended_on", Date, nullable=True),
    Column("end_reason", Text, nullable=True),
    Column("return_due_days", Integer, nullable=False, server_default=text("30")),
    Column("tender_id", String(64), nullable=True),
    Column("places", JsonType, nullable=True),
    Index("ix_contracts_buyer", "buyer"),
    Index("ix_contracts_supplier", "supplier"),
)

# One row per obligation, written by two sources that may arrive in either order: the
# contract (what was committed) and measurement (what was assessed). Each writes only its own
# columns, so the columns of the other source are nullable.
obligations = Table(
    "obligations",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("obligation_id", String(64), primary_key=True),
    Column("sequence", Integer, nullable=True),
    Column("measure", String(20), nullable=False),
    Column("theme", String(200), nullable=True),
    Column("outcome", String(300), nullable=True),
    Column("unit", String(100), nullable=True),
    Column("description", Text, nullable=True),
    Column("is_kpi", Boolean, nullable=True),
    Column("committed_total", Quantity, nullable=True),
    Column("committed_to_date", Quantity, nullable=True),
    Column("delivered_to_date", Quantity, nullable=True),
    Column("ratio", Quantity, nullable=True),
    Column("status", String(20), nullable=True),
    Column("last_period_assessed", String(10), nullable=True),
    Column("assessed_at", Instant, nullable=True),
    Column("place", String(200), nullable=True),
    Column("vcfse_partner", String(200), nullable=True),
    # GBP per unit as at award, when the award carried one; else the framework's table applies.
    Column("proxy_gbp_per_unit", Quantity, nullable=True),
    Column("varied_on", Date, nullable=True),
    # Lines of accepted returns, and of returns awaiting review, summed over every quarter
    # (kept by the projection whenever a return, its review or the contract changes).
    Column("delivered", Quantity, nullable=True),
    Column("awaiting_review", Quantity, nullable=True),
)

# Each obligation's target per financial-year quarter, as awarded, varied or cut by termination;
# with the quarter's return due day and the running total of the targets up to that quarter, so
# what is due by a day is one row per obligation (its latest quarter due before the day).
obligation_targets = Table(
    "obligation_targets",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("obligation_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("target", Quantity, nullable=False),
    Column("due_on", Date, nullable=True),
    Column("cumulative", Quantity, nullable=True),
)

# A contract's reporting periods and their due dates, as measurement scheduled them.
schedule_periods = Table(
    "schedule_periods",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("due_on", Date, nullable=False),
    Column("cancelled", Boolean, nullable=False, server_default=text("false")),
    Column("overdue_detected_on", Date, nullable=True),
)

# The current version of each period's return.
returns = Table(
    "returns",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("late", Boolean, nullable=False),
    Column("submitted_at", Instant, nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("submitted_on", Date, nullable=True),
    Column("due_on", Date, nullable=True),
    Column("revised_on", Date, nullable=True),
    # submitted, queried or accepted; accepted stays true through later corrections.
    Column("review", String(20), nullable=False, server_default=text("'submitted'")),
    Column("accepted", Boolean, nullable=False, server_default=text("false")),
    Column("accepted_on", Date, nullable=True),
    Column("narrative", Text, nullable=True),
)

# The lines of each return's current version: what was delivered, and its story.
return_lines = Table(
    "return_lines",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("obligation_id", String(64), primary_key=True),
    Column("quantity", Quantity, nullable=False),
    Column("narrative", Text, nullable=False),
    Column("case_study", Text, nullable=False),
    Column("beneficiaries", Integer, nullable=True),
    Column("places", JsonType, nullable=False),
    Column("evidence", JsonType, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", String(64), primary_key=True),
    # Null for alerts not about one obligation: overdue returns (no obligation or measure)
    # and Partner VCFSE pledges behind (no contract either).
    Column("contract_id", String(64), nullable=True),
    Column("obligation_id", String(64), nullable=True),
    Column("measure", String(20), nullable=True),
    Column("period", String(10), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("buyer", String(200), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("ratio", Quantity, nullable=True),
    Column("raised_on", Date, nullable=False),
    Column("level", Integer, nullable=True),
    Column("escalated_to", String(40), nullable=True),
    Column("detail", Text, nullable=True),
    Column("acknowledged_on", Date, nullable=True),
    Column("resolved_on", Date, nullable=True),
    Column("resolution", String(40), nullable=True),
    Index("ix_alerts_buyer_status", "buyer", "status"),
    Index("ix_alerts_supplier_status", "supplier", "status"),
    Index("ix_alerts_contract_status", "contract_id", "status"),
)

# The proxy-value table each framework version has loaded: GBP of social value per unit.
proxy_values = Table(
    "proxy_values",
    metadata,
    Column("framework_version", String(60), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("unit", String(100), nullable=False),
    Column("gbp_per_unit", Quantity, nullable=False),
    Column("source", Text, nullable=False),
    Column("year", String(20), nullable=False),
)

# Partner VCFSE pledges: one row per organisation, its baseline and targets in pledge_figures.
pledges = Table(
    "pledges",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("base_year", String(7), nullable=False),
    Column("framework_version", String(60), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("revision", Integer, nullable=False),
)

# kind is 'baseline' (year = the base year) or 'target'.
pledge_figures = Table(
    "pledge_figures",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("kind", String(10), primary_key=True),
    Column("year", String(7), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("quantity", Quantity, nullable=False),
)

# Deliveries a VCFSE partner confirmed (or disputed) in brokerage.
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", String(64), primary_key=True),
    Column("match_id", String(64), nullable=False),
    Column("supplier", String(200), nullable=False),
    Column("vcfse", String(200), nullable=False),
    Column("contract_id", String(64), nullable=True),
    Column("obligation_id", String(64), nullable=True),
    Column("measure", String(20), nullable=False),
    Column("quantity", Quantity, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("delivered_on", Date, nullable=False),
    Column("period", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("decided_on", Date, nullable=True),
    Index("ix_deliveries_supplier", "supplier"),
)

# Where each framework version places its measures, as the contracts awarded under it said:
# a version's measures never change theme or outcome, so the breakdowns by theme and outcome
# regroup the portfolio cells' measures by this table.
framework_measures = Table(
    "framework_measures",
    metadata,
    Column("framework_version", String(60), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("theme", String(200), nullable=False),
    Column("outcome", String(300), nullable=False),
)

# Each organisation's portfolio summed by quarter, for the breakdowns it answers (by quarter,
# year, measure, theme and outcome): one row per quarter, measure, unit, proxy value (the
# framework version's table, or a rate pinned at award) and return due day, summed over the
# contracts the organisation let or supplies.
# "Due to date" depends on the day of the report: a row's targets are all due once its due day
# has passed, and before that only those of accepted returns (``accepted``). ``obligations``
# counts the obligations with a target or a line in the quarter; ``first_in_year`` those whose
# first such quarter in its financial year this is, so a year counts each obligation once.
portfolio_cells = Table(
    "portfolio_cells",
    metadata,
    Column("organisation", String(200), primary_key=True),
    Column("period", String(10), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("unit", String(100), primary_key=True),
    Column("framework_version", String(60), primary_key=True),
    Column("rate", String(40), primary_key=True),  # '' for the framework's table
    Column("due_on", Date, primary_key=True),
    Column("committed", Quantity, nullable=False),
    Column("accepted", Quantity, nullable=False),
    Column("delivered", Quantity, nullable=False),
    Column("awaiting_review", Quantity, nullable=False),
    Column("obligations", Integer, nullable=False),
    Column("first_in_year", Integer, nullable=False),
)

# Each contract's share of its parties' portfolio cells, by financial year, as last added: what
# is taken away before its new share is added, whenever its targets, returns or reviews change.
contract_cells = Table(
    "contract_cells",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("year", String(7), primary_key=True),
    Column("parties", JsonType, nullable=False),
    Column("cells", JsonType, nullable=False),
)

# Each contract's obligations summed for the reports over whole contracts, once for each
# stretch of days between its due days (reporting.domain.contract_sums): from starts_on up to,
# not including, ends_before. capped_ratios is an exact fraction ("n/d"); the gbp_ figures
# (decimal strings: a product can have more places than a Quantity) are valued with the proxy
# values that valued_with names; measures is a list of [measure, unit, pinned rate or null,
# place, committed, due, delivered, awaiting review, obligations], figures as decimal strings.
contract_sums = Table(
    "contract_sums",
    metadata,
    Column("contract_id", String(64), primary_key=True),
    Column("starts_on", Date, primary_key=True),
    Column("ends_before", Date, nullable=False),
    Column("obligations", Integer, nullable=False),
    Column("assessed", Integer, nullable=False),
    Column("on_track", Integer, nullable=False),
    Column("capped_ratios", Text, nullable=False),
    Column("valued_with", String(32), nullable=False),
    Column("valued", Integer, nullable=False),
    Column("gbp_committed", Text, nullable=False),
    Column("gbp_due", Text, nullable=False),
    Column("gbp_delivered", Text, nullable=False),
    Column("gbp_awaiting_review", Text, nullable=False),
    Column("measures", JsonType, nullable=False),
)

# How far each consumer has read: the newest event (by its producer's store position) that
# the read models reflect, and when that event was recorded. Every report states these.
consumer_marks = Table(
    "consumer_marks",
    metadata,
    Column("consumer", String(120), primary_key=True),
    Column("stream", String(60), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("recorded_at", Instant, nullable=False),
)
