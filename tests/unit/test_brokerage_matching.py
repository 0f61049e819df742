"""Explainable matching: who fits an ask best, and why, in points that add up to the score."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from brokerage.domain.matching import (
    AskFacts,
    Behind,
    Capability,
    Suggestion,
    assess,
    rank_asks,
    rank_suppliers,
)
from brokerage.domain.needs import Need, Priority

LIVERPOOL = frozenset({"Liverpool"})


def ask(
    ask_id: str = "ask-1",
    measures: tuple[str, ...] = ("NT17",),
    place: str = "Liverpool",
    remaining: str = "100",
    outcomes: tuple[str, ...] = ("Resilient communities",),
    needed_by: date = date(2026, 12, 1),
) -> AskFacts:
    return AskFacts(
        ask_id=ask_id,
        vcfse="food-bank",
        measures=measures,
        place=place,
        outcomes=outcomes,
        remaining=Decimal(remaining),
        unit="hours",
        needed_by=needed_by,
    )


def owes(
    supplier: str,
    measure: str,
    total: str = "100",
    places: frozenset[str] | None = LIVERPOOL,
    unit: str = "hours",
) -> Capability:
    return Capability(
        supplier=supplier,
        measure=measure,
        places=places,
        quantity=Decimal(total),
        unit=unit,
        obligation_id=f"{supplier}-{measure}",
        contract_id=f"contract-of-{supplier}",
        buyer="council-a",
    )


def behind(supplier: str, measure: str, ratio: str | None, kind: str = "under_delivery") -> Behind:
    return Behind(
        supplier=supplier,
        measure=measure,
        obligation_id=f"{supplier}-{measure}",
        kind=kind,
        severity="high",
        ratio=None if ratio is None else Decimal(ratio),
        period="2026-27-Q1",
    )


def reasons(s: Suggestion) -> dict[str, tuple[str, str]]:
    return {r.factor: (str(r.points), r.detail) for r in s.reasons}


def test_a_supplier_fitting_more_of_the_asks_measures_ranks_higher_and_says_so() -> None:
    volunteering = ask(measures=("NT17", "NT29"))
    capabilities = [
        owes("acme", "NT17"),
        owes("bolt", "NT17"),
        owes("bolt", "NT29"),
    ]

    ranked = rank_suppliers(volunteering, capabilities, [], [], {})

    assert [s.supplier for s in ranked] == ["bolt", "acme"]
    bolt, acme = ranked
    assert reasons(bolt)["measure"] == (
        "40.00",
        "fits 2 of the ask's 2 measures (NT17, NT29): owes NT17, NT29 under a contract",
    )
    assert reasons(acme)["measure"] == (
        "20.00",
        "fits 1 of the ask's 2 measures (NT17, NT29): owes NT17 under a contract",
    )
    assert bolt.score - acme.score == Decimal(20)


def test_a_supplier_further_behind_on_the_measure_ranks_higher_and_says_so() -> None:
    capabilities = [owes("acme", "NT17"), owes("bolt", "NT17"), owes("calm", "NT17")]
    shortfalls = [behind("acme", "NT17", "0.75"), behind("bolt", "NT17", "0.25")]

    ranked = rank_suppliers(ask(), capabilities, shortfalls, [], {})

    assert [s.supplier for s in ranked] == ["bolt", "acme", "calm"]
    assert [reasons(s)["shortfall"] for s in ranked] == [
        ("11.25", "behind on NT17 in 2026-27-Q1: delivered 25% of target to date"),
        ("3.75", "behind on NT17 in 2026-27-Q1: delivered 75% of target to date"),
        ("0.00", "not behind on these measures"),
    ]
    # The match would be about the obligation the supplier is behind on.
    assert ranked[0].obligation_id == "bolt-NT17"


def test_the_score_is_the_sum_of_the_points_of_its_five_reasons() -> None:
    needs = [Need("Liverpool", "resilient communities", Priority.HIGH, publisher="council-a")]
    suggestion = assess(
        ask(remaining="200"),
        "acme",
        [owes("acme", "NT17", total="50")],
        [behind("acme", "NT17", "0.4")],
        needs,
    )

    assert [r.factor for r in suggestion.reasons] == [
        "measure",
        "place",
        "capacity",
        "shortfall",
        "local_need",
    ]
    assert reasons(suggestion) == {
        "measure": (
            "40.00",
            "fits 1 of the ask's 1 measures (NT17): owes NT17 under a contract",
        ),
        "place": ("20.00", "works in Liverpool"),
        "capacity": ("3.75", "owes or offers 50 hours against 200 still needed"),
        "shortfall": ("9.00", "behind on NT17 in 2026-27-Q1: delivered 40% of target to date"),
        "local_need": (
            "10.00",
            "high need in Liverpool for 'resilient communities' (published by council-a)",
        ),
    }
    assert suggestion.score == Decimal("82.75") == sum(r.points for r in suggestion.reasons)


def test_working_in_the_asks_place_counts_and_not_saying_where_counts_half() -> None:
    capabilities = [
        owes("here", "NT17"),
        owes("unsaid", "NT17", places=None),
        owes("away", "NT17", places=frozenset({"Wirral", "Sefton"})),
    ]

    ranked = rank_suppliers(ask(), capabilities, [], [], {})

    assert [(s.supplier, reasons(s)["place"]) for s in ranked] == [
        ("here", ("20.00", "works in Liverpool")),
        ("unsaid", ("10.00", "has not said where it works; Liverpool may fit")),
        ("away", ("0.00", "works in Sefton, Wirral, not Liverpool")),
    ]


def test_places_a_supplier_registered_count_towards_place_fit() -> None:
    ranked = rank_suppliers(ask(), [owes("acme", "NT17", places=None)], [], [], {"acme": LIVERPOOL})

    assert reasons(ranked[0])["place"] == ("20.00", "works in Liverpool")


def test_capacity_counts_only_quantities_in_the_asks_unit() -> None:
    in_hours = assess(ask(remaining="40"), "acme", [owes("acme", "NT17", total="100")], [], [])
    in_days = assess(ask(), "acme", [owes("acme", "NT17", unit="days")], [], [])

    assert reasons(in_hours)["capacity"] == (
        "15.00",
        "owes or offers 100 hours against 40 still needed",
    )
    assert reasons(in_days)["capacity"] == ("0.00", "states no quantity in hours to compare")


def test_offers_count_as_capabilities_and_the_match_would_use_the_offer() -> None:
    offered = Capability(
        supplier="acme",
        measure="NT17",
        places=LIVERPOOL,
        quantity=Decimal(30),
        unit="hours",
        offer_id="offer-1",
    )

    suggestion = assess(ask(), "acme", [offered], [], [])

    assert suggestion.offer_id == "offer-1"
    assert suggestion.obligation_id is None
    assert reasons(suggestion)["measure"][1].endswith(": offers NT17")


def test_suppliers_owing_none_of_the_asks_measures_are_not_suggested() -> None:
    ranked = rank_suppliers(ask(), [owes("acme", "NT1"), owes("bolt", "NT17")], [], [], {})

    assert [s.supplier for s in ranked] == ["bolt"]


def test_asks_where_local_need_is_greater_rank_higher_for_a_supplier() -> None:
    needs = [
        Need("Liverpool", "Resilient communities", Priority.LOW, publisher="council-a"),
        Need("Wirral", "resilient communities", Priority.HIGH, publisher="wirral-cvs"),
    ]
    everywhere = frozenset({"Liverpool", "Wirral", "Sefton"})
    asks = [
        ask("in-liverpool", place="Liverpool"),
        ask("in-wirral", place="Wirral"),
        ask("in-sefton", place="Sefton"),
    ]

    ranked = rank_asks("acme", asks, [owes("acme", "NT17", places=everywhere)], [], needs)

    assert [s.ask_id for s in ranked] == ["in-wirral", "in-liverpool", "in-sefton"]
    assert [reasons(s)["local_need"] for s in ranked] == [
        (
            "10.00",
            "high need in Wirral for 'resilient communities' (published by wirral-cvs)",
        ),
        (
            "3.00",
            "low need in Liverpool for 'Resilient communities' (published by council-a)",
        ),
        ("0.00", "no published need in Sefton for it"),
    ]


def test_of_two_equally_good_asks_the_one_needed_sooner_comes_first() -> None:
    asks = [
        ask("later", needed_by=date(2027, 1, 1)),
        ask("sooner", needed_by=date(2026, 10, 1)),
    ]

    ranked = rank_asks("acme", asks, [owes("acme", "NT17")], [], [])

    assert [s.ask_id for s in ranked] == ["sooner", "later"]


def test_an_at_risk_alert_weighs_by_its_ratio_and_says_it_is_a_forecast() -> None:
    suggestion = assess(
        ask(), "acme", [owes("acme", "NT17")], [behind("acme", "NT17", "0.9", "at_risk")], []
    )

    assert reasons(suggestion)["shortfall"] == (
        "1.50",
        "at risk on NT17: forecast short of its commitment (2026-27-Q1)",
    )


def test_an_alert_pins_the_measure_and_obligation_the_match_is_about() -> None:
    ranked = rank_asks(
        "acme",
        [ask("both", measures=("NT17", "NT29")), ask("other", measures=("NT29",))],
        [owes("acme", "NT17"), owes("acme", "NT29")],
        [behind("acme", "NT29", "0.5")],
        [],
        measure="NT17",
        obligation_id="acme-NT17",
    )

    assert [(s.ask_id, s.measure, s.obligation_id) for s in ranked] == [
        ("both", "NT17", "acme-NT17")
    ]
