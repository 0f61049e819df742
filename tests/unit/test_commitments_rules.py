"""Commitments domain rules: quantitative scoring, and the event catalogue's own checks."""

from __future__ import annotations

from decimal import Decimal

from commitments.domain.catalogue import CATALOGUE, problems_with
from commitments.domain.tender import BidSummary, ScoreBasis, quantitative_scores


def bid(bid_id: str, proxy: str | None, fully: bool = True, **quantities: str) -> BidSummary:
    return BidSummary(
        bid_id=bid_id,
        supplier=f"supplier-{bid_id}",
        revision=1,
        total_proxy_value_gbp=None if proxy is None else Decimal(proxy),
        fully_proxied=fully,
        quantities={m: Decimal(q) for m, q in quantities.items()},
    )


def test_with_proxy_values_a_bid_scores_its_value_against_the_best_bid() -> None:
    basis, scores = quantitative_scores(
        [bid("a", "30000", NT1="2"), bid("b", "40000", NT1="3"), bid("c", "10000", NT1="1")]
    )

    assert basis is ScoreBasis.PROXY_VALUE
    assert scores == {"a": Decimal("75.00"), "b": Decimal("100.00"), "c": Decimal("25.00")}


def test_without_proxy_values_for_every_bid_each_measure_is_scored_on_units() -> None:
    basis, scores = quantitative_scores(
        [
            bid("a", None, fully=False, NT1="4", NT10="30"),
            bid("b", "500", fully=True, NT1="8"),
        ]
    )

    # a: NT1 4/8, NT10 30/30 -> mean 0.75; b: NT1 8/8, NT10 0/30 -> mean 0.5
    assert basis is ScoreBasis.UNITS
    assert scores == {"a": Decimal("75.00"), "b": Decimal("50.00")}


def test_a_tender_with_no_bids_or_nothing_of_value_scores_zero_not_an_error() -> None:
    assert quantitative_scores([]) == (ScoreBasis.UNITS, {})
    assert quantitative_scores([bid("a", "0", NT1="1")])[1] == {"a": Decimal(0)}


def test_the_catalogue_names_what_is_wrong_with_an_event() -> None:
    problems = problems_with(
        "ContractCompleted",
        1,
        "tender-x",
        {"contract_id": "not-a-uuid", "completed_on": "2027-03-31", "surprise": 1},
    )

    assert problems == [
        "ContractCompleted belongs in a contract stream, not tender-x",
        "ContractCompleted.surprise is not in the catalogue",
        "ContractCompleted.contract_id is not uuid: 'not-a-uuid'",
    ]
    assert problems_with("SomethingElse", 1, "contract-x", {}) == [
        "SomethingElse is not in the catalogue"
    ]


def test_the_catalogue_checks_quantities_are_exact_strings_never_floats() -> None:
    data = {
        "contract_id": "3f1b7f0e-0c5e-4d59-9d40-0c6a0d7c1a11",
        "obligation_id": "3f1b7f0e-0c5e-4d59-9d40-0c6a0d7c1a12",
        "targets": {"2026-27-Q1": 4.5},
        "previous_targets": {"2026-Q1": "4"},
        "total": "4.5",
        "previous_total": "4",
        "reason": "agreed",
        "agreed_on": "2026-06-01",
    }

    assert problems_with("ObligationVaried", 1, "contract-x", data) == [
        "ObligationVaried.targets.2026-27-Q1 is not valid: 4.5",
        "ObligationVaried.previous_targets.2026-Q1 is not valid: '4'",
    ]


def test_every_catalogued_event_has_a_meaning_and_documented_fields() -> None:
    for spec in CATALOGUE.values():
        assert spec.meaning.endswith(".")
        assert spec.fields
        assert all(f.meaning for f in spec.fields.values())
