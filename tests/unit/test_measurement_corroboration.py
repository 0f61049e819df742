"""Corroborated evidence read from brokerage's ``DeliveryConfirmed``: which deliveries count,
in which quarter, and what they add up to."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from measurement.domain.corroboration import (
    Corroboration,
    by_obligation_and_period,
    corroborated_quantity,
)
from svledger.errors import ValidationFailed


def confirmed(**overrides: Any) -> dict[str, Any]:
    """``DeliveryConfirmed`` data as brokerage records it."""
    return {
        "match_id": "m-1",
        "delivery_id": "d-1",
        "supplier": "acme-ltd",
        "vcfse": "food-bank",
        "contract_id": "c-1",
        "obligation_id": "ob-17",
        "measure": "NT17",
        "quantity": "12.5",
        "unit": "hours",
        "delivered_on": "2026-06-30",
        "period": "2026-27-Q1",
        "confirmed_by": "sefton-cvs",
        "confirmed_on": "2026-07-02",
    } | overrides


def test_a_confirmed_delivery_counts_in_the_quarter_it_was_delivered() -> None:
    corroboration = Corroboration.from_confirmed(confirmed())

    assert corroboration is not None
    assert (corroboration.period, corroboration.quantity) == ("2026-27-Q1", Decimal("12.5"))
    assert corroboration.as_json() == {
        "delivery_id": "d-1",
        "match_id": "m-1",
        "partner": "food-bank",
        "quantity": "12.5",
        "unit": "hours",
        "delivered_on": date(2026, 6, 30),
        "confirmed_by": "sefton-cvs",
        "confirmed_on": date(2026, 7, 2),
    }
    # Without a period (an older shape), the quarter comes from the day delivered.
    without = Corroboration.from_confirmed({**confirmed(delivered_on="2026-07-01"), "period": None})
    assert without is not None
    assert without.period == "2026-27-Q2"


def test_a_match_about_a_measure_but_no_obligation_corroborates_nothing() -> None:
    assert Corroboration.from_confirmed(confirmed(obligation_id=None, contract_id=None)) is None


@pytest.mark.parametrize("bad", [{"quantity": 12.5}, {"quantity": "lots"}, {"period": "Q1"}])
def test_a_malformed_confirmation_is_refused_not_guessed(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed):
        Corroboration.from_confirmed(confirmed(**bad))


def test_only_deliveries_in_the_obligations_unit_add_up() -> None:
    found = [
        Corroboration.from_confirmed(confirmed(delivery_id="d-2", quantity="3", unit="Hours")),
        Corroboration.from_confirmed(confirmed(delivery_id="d-1", quantity="0.25")),
        Corroboration.from_confirmed(confirmed(delivery_id="d-3", quantity="100", unit="GBP")),
        Corroboration.from_confirmed(
            confirmed(delivery_id="d-4", delivered_on="2026-07-01", period="2026-27-Q2")
        ),
    ]
    items = [c for c in found if c is not None]

    grouped = by_obligation_and_period(items)

    q1 = grouped[("ob-17", "2026-27-Q1")]
    assert [c.delivery_id for c in q1] == ["d-1", "d-2", "d-3"]
    assert corroborated_quantity(q1, "hours") == Decimal("3.25")  # not the 100 GBP
    assert [c.delivery_id for c in grouped[("ob-17", "2026-27-Q2")]] == ["d-4"]
