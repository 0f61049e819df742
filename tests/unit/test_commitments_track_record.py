"""Suppliers' track records and the over-promise flag: the pure rules, and the event fields they
rely on checked against measurement's own catalogue."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from commitments.consumers import CONSUMERS, READ_MODEL_TABLES
from commitments.domain.catalogue import CONSUMED
from commitments.domain.track_record import (
    ACKNOWLEDGED,
    OPEN,
    RESOLVED,
    AlertFacts,
    ContractFacts,
    LineFacts,
    ObligationFacts,
    OfferedCommitment,
    PeriodFacts,
    SupplierFacts,
    TrackRecord,
    check_bid,
    check_commitment,
    track_record,
)
from commitments.settings import load_settings
from measurement.domain.catalogue import CATALOGUE, RETURN_LINE_FIELDS
from svledger.periods import Quarter

D = Decimal
TODAY = date(2026, 6, 1)
FY = [f"2025-26-Q{n}" for n in range(1, 5)]
AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)


def each(value: str, periods: list[str]) -> dict[str, Decimal]:
    return {p: D(value) for p in periods}


def period(
    contract: str,
    label: str,
    *,
    submitted_on: date | None = None,
    late: bool = False,
    accepted: bool = False,
    cancelled: bool = False,
) -> PeriodFacts:
    """A quarter due 30 days after it ends, and how its return stands."""
    due = Quarter.parse(label).due(30)
    return PeriodFacts(contract, label, due, cancelled, submitted_on, late, accepted)


def two_contracts() -> SupplierFacts:
    """Contract A (NT1 4 and NT10 10 a quarter in 2025-26) and B (NT10 5 a quarter from Q3).

    A: Q1 4 and 10 on time, accepted; Q2 3 and 12 late, accepted; Q3 never returned; Q4 5 and
    10 on time, awaiting review. B: Q3 7 and Q4 6, on time, accepted.
    """
    b_periods = ["2025-26-Q3", "2025-26-Q4", "2026-27-Q1", "2026-27-Q2"]
    came_in = date(2025, 7, 20)
    return SupplierFacts(
        supplier="acme",
        as_of=AS_OF,
        contracts=[ContractFacts("A", "CW-A", "council"), ContractFacts("B", "CW-B", "council")],
        obligations=[
            ObligationFacts("A", "a-nt1", "NT1", "FTE", each("4", FY)),
            ObligationFacts("A", "a-nt10", "NT10", "weeks", each("10", FY)),
            ObligationFacts("B", "b-nt10", "NT10", "weeks", each("5", b_periods)),
        ],
        periods=[
            period("A", FY[0], submitted_on=came_in, accepted=True),
            period("A", FY[1], submitted_on=date(2025, 11, 5), late=True, accepted=True),
            period("A", FY[2]),
            period("A", FY[3], submitted_on=date(2026, 4, 20)),
            period("B", FY[2], submitted_on=came_in, accepted=True),
            period("B", FY[3], submitted_on=came_in, accepted=True),
            period("B", "2026-27-Q1"),
            period("B", "2026-27-Q2"),
        ],
        lines=[
            LineFacts("A", "a-nt1", FY[0], D("4")),
            LineFacts("A", "a-nt10", FY[0], D("10")),
            LineFacts("A", "a-nt1", FY[1], D("3")),
            LineFacts("A", "a-nt10", FY[1], D("12")),
            LineFacts("A", "a-nt1", FY[3], D("5")),
            LineFacts("A", "a-nt10", FY[3], D("10")),
            LineFacts("B", "b-nt10", FY[2], D("7")),
            LineFacts("B", "b-nt10", FY[3], D("6")),
        ],
        alerts=[
            AlertFacts("1", "A", "under_delivery", RESOLVED),
            AlertFacts("2", "A", "under_delivery", OPEN),
            AlertFacts("3", "A", "under_delivery", ACKNOWLEDGED),
            AlertFacts("4", "A", "overdue_return", OPEN),
        ],
    )


def offer(measure: str, per_quarter: str, unit: str = "weeks") -> OfferedCommitment:
    targets = each(per_quarter, [f"2027-28-Q{n}" for n in range(1, 5)])
    return OfferedCommitment("c-1", measure, unit, sum(targets.values(), D(0)), targets)


def record_with_best(best: str) -> TrackRecord:
    """A supplier whose best NT10 quarter delivered ``best`` weeks."""
    facts = SupplierFacts(
        supplier="acme",
        contracts=[ContractFacts("A", "CW-A", "council")],
        obligations=[ObligationFacts("A", "ob", "NT10", "weeks", {FY[0]: D("10")})],
        periods=[period("A", FY[0], submitted_on=date(2025, 7, 1), accepted=True)],
        lines=[LineFacts("A", "ob", FY[0], D(best))],
    )
    return track_record(facts, TODAY)


# -- the record --------------------------------------------------------------------------------


def test_two_contracts_give_each_figure_per_measure() -> None:
    record = track_record(two_contracts(), TODAY)

    nt1, nt10 = record.measures
    assert (nt1.measure, nt1.unit, nt1.contracts) == ("NT1", "FTE", 1)
    assert (nt1.committed, nt1.committed_to_date, nt1.delivered_to_date) == (D(16), D(16), D(7))
    assert nt1.delivery_ratio == D("0.4375")
    assert nt1.best is not None
    assert (nt1.best.delivered, nt1.best.period, nt1.best.reference) == (D(4), FY[0], "CW-A")
    assert (nt10.measure, nt10.unit, nt10.contracts) == ("NT10", "weeks", 2)
    assert (nt10.committed, nt10.committed_to_date, nt10.delivered_to_date) == (D(60), D(50), D(35))
    assert nt10.delivery_ratio == D("0.7")
    assert nt10.best is not None
    assert (nt10.best.delivered, nt10.best.period, nt10.best.contract_id) == (D(12), FY[1], "A")
    assert record.overall_delivery_ratio == D("0.5688")  # (0.4375 + 0.7) / 2, half up
    assert (record.contracts, record.new_supplier, record.as_of) == (2, False, AS_OF)
    returns = record.returns
    assert (returns.due, returns.on_time, returns.late, returns.missing) == (6, 4, 1, 1)
    assert returns.on_time_share == D("0.6667")
    assert (record.alerts.open, record.alerts.resolved) == (3, 1)


def test_a_quarter_accepted_before_its_due_date_is_committed_to_date() -> None:
    facts = two_contracts()
    early = period("B", "2026-27-Q1", submitted_on=date(2026, 5, 20), accepted=True)
    facts = replace(
        facts,
        periods=[*facts.periods[:6], early, facts.periods[7]],
        lines=[*facts.lines, LineFacts("B", "b-nt10", "2026-27-Q1", D("5"))],
    )

    nt10 = track_record(facts, TODAY).measures[1]

    assert (nt10.committed_to_date, nt10.delivered_to_date) == (D(55), D(40))


def test_cancelled_quarters_commit_nothing_and_need_no_return() -> None:
    facts = two_contracts()
    cancelled = [
        period("B", "2026-27-Q1", cancelled=True),
        period("B", "2026-27-Q2", cancelled=True),
    ]
    facts = replace(facts, periods=[*facts.periods[:6], *cancelled])

    record = track_record(facts, date(2026, 12, 1))

    assert record.measures[1].committed == 50
    assert record.returns.due == 6


def test_best_rate_adds_a_contracts_obligations_on_the_measure_in_accepted_quarters_only() -> None:
    facts = SupplierFacts(
        supplier="acme",
        contracts=[ContractFacts("A", "CW-A", "council")],
        obligations=[
            ObligationFacts("A", "wirral", "NT10", "weeks", {FY[0]: D("5"), FY[1]: D("5")}),
            ObligationFacts("A", "halton", "NT10", "weeks", {FY[0]: D("5"), FY[1]: D("5")}),
            ObligationFacts("A", "later", "NT1", "FTE", {"2026-27-Q1": D("2")}),
        ],
        periods=[
            period("A", FY[0], submitted_on=date(2025, 7, 1), accepted=True),
            period("A", FY[1], submitted_on=date(2025, 10, 1)),
        ],
        lines=[
            LineFacts("A", "wirral", FY[0], D("4")),
            LineFacts("A", "halton", FY[0], D("3.5")),
            LineFacts("A", "wirral", FY[1], D("40")),
        ],
    )

    record = track_record(facts, TODAY)

    nt1 = record.on("NT1", "FTE")
    nt10 = record.on("NT10", "weeks")
    assert nt10 is not None
    assert nt10.best is not None
    assert nt10.best.delivered == D("7.5")  # Q2's 40 awaits review
    assert nt1 is not None
    assert nt1.best is None  # nothing was due on NT1 in Q1


def test_a_record_with_nothing_due_has_no_ratios() -> None:
    record = track_record(SupplierFacts(supplier="new-ltd"), TODAY)

    assert (record.new_supplier, record.contracts, record.measures) == (True, 0, ())
    assert record.overall_delivery_ratio is None
    assert record.returns.on_time_share is None
    assert record.as_of is None


# -- the over-promise flag ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_quarter", "flagged", "ratio", "message"),
    [
        ("18", False, D("1.5"), "this offer is 1.5 times your best delivered rate on NT10"),
        (
            "18.0001",
            True,
            D("1.5"),
            "this offer is more than 1.5 times your best delivered rate on NT10",
        ),
        (
            "18.01",
            True,
            D("1.5008"),
            "this offer is more than 1.5 times your best delivered rate on NT10",
        ),
        ("38.4", True, D("3.2"), "this offer is 3.2 times your best delivered rate on NT10"),
        ("6", False, D("0.5"), "this offer is 0.5 times your best delivered rate on NT10"),
    ],
)
def test_a_commitment_is_flagged_only_above_the_multiple_of_the_best_rate(
    per_quarter: str, flagged: bool, ratio: Decimal, message: str
) -> None:
    check = check_commitment(record_with_best("12"), offer("NT10", per_quarter), D("1.5"))

    assert (check.overpromise, check.ratio, check.message) == (flagged, ratio, message)


def test_the_busiest_quarter_is_what_is_compared() -> None:
    targets = {"2027-28-Q1": D("5"), "2027-28-Q2": D("19"), "2027-28-Q3": D("5")}
    uneven = OfferedCommitment("c-1", "NT10", "weeks", D("29"), targets)

    check = check_commitment(record_with_best("12"), uneven, D("1.5"))

    assert (uneven.per_quarter, check.overpromise, check.ratio) == (D(19), True, D("1.5833"))


def test_a_new_supplier_is_never_flagged() -> None:
    record = track_record(SupplierFacts(supplier="new-ltd"), TODAY)

    checked = check_bid(record, [offer("NT10", "1000")], D("1.5"))

    assert checked.new_supplier is True
    [check] = checked.commitments
    assert (check.overpromise, check.ratio, check.best, check.record) == (False, None, None, None)
    assert "new supplier" in check.message


def test_a_measure_without_record_is_not_flagged_but_one_never_delivered_is() -> None:
    record = record_with_best("0")

    other_measure = check_commitment(record, offer("NT1", "50", unit="FTE"), D("1.5"))
    other_unit = check_commitment(record, offer("NT10", "50", unit="hours"), D("1.5"))
    nothing_delivered = check_commitment(record, offer("NT10", "1"), D("1.5"))

    assert (other_measure.overpromise, other_measure.best) == (False, None)
    assert other_measure.message == "no delivery of NT1 on record to compare with"
    assert (other_unit.overpromise, other_unit.record) == (False, None)
    assert (nothing_delivered.overpromise, nothing_delivered.ratio) == (True, None)
    assert nothing_delivered.message == (
        "this offer is 1 weeks a quarter on NT10, where your best delivered rate is 0"
    )


def test_the_multiple_is_a_setting_defaulting_to_one_and_a_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().overpromise_multiple == D("1.5")
    monkeypatch.setenv("SVL_COMMITMENTS_OVERPROMISE_MULTIPLE", "2")
    assert load_settings().overpromise_multiple == D("2")


# -- the events read -----------------------------------------------------------------------------


def test_every_field_read_is_in_measurements_catalogue() -> None:
    for spec in CONSUMED.values():
        produced = CATALOGUE[spec.type]
        assert spec.fields <= produced.fields, f"{spec.type}: {spec.fields - produced.fields}"
        assert spec.subject == f"svl.measurement.{produced.stream.split('-')[0]}.>"
    assert {"obligation_id", "quantity"} <= RETURN_LINE_FIELDS


def test_the_consumers_handle_what_the_catalogue_says_they_read() -> None:
    handled = {t: c.spec.subjects for c in CONSUMERS for t in c.handlers}

    assert set(handled) == set(CONSUMED)
    assert all(handled[t] == (spec.subject,) for t, spec in CONSUMED.items())
    assert {t.name for t in READ_MODEL_TABLES} == {
        "track_contracts",
        "track_obligations",
        "track_targets",
        "track_periods",
        "track_lines",
        "track_alerts",
        "track_suppliers",
    }
