"""The brokerage's aggregates: the rules of organisations, needs, asks, offers and matches, and
the event catalogue every decided event must match."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from brokerage.domain.ask import Ask, AskKind, AskStatus, AskTerms, CloseReason
from brokerage.domain.catalogue import CATALOGUE, problems_with
from brokerage.domain.match import Delivery, Match, MatchStatus, Side, proposal_id
from brokerage.domain.matching import Reason, Suggestion
from brokerage.domain.needs import LocalNeeds, Need, Priority
from brokerage.domain.offer import Offer, OfferTerms
from brokerage.domain.organisation import (
    Contact,
    Organisation,
    OrganisationKind,
    OrganisationProfile,
    VcfseForm,
)
from brokerage.domain.rules import CHESHIRE_AND_MERSEYSIDE
from brokerage.domain.shortfalls import Referral, Shortfall
from svledger.envelope import NewEvent
from svledger.errors import Conflict, NotFound, ValidationFailed
from svledger.periods import Quarter

TODAY = date(2026, 8, 3)
PLACES = CHESHIRE_AND_MERSEYSIDE
ASK_ID = "6f1d4a52-3f0e-4c1b-9b8e-2f4f1d1c0a01"
MATCH_ID = "0b2f7c5e-8d1a-4e3b-a6c2-9d8e7f6a5b40"
OBLIGATION_ID = "5a4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d10"
CONTRACT_ID = "9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c50"
DELIVERY_ID = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e60"


def terms(**overrides: object) -> AskTerms:
    given: dict[str, object] = {
        "kind": AskKind.VOLUNTEERING,
        "measures": ("NT17",),
        "quantity": Decimal(100),
        "unit": "hours",
        "place": "Liverpool",
        "needed_by": date(2026, 12, 1),
        "title": "Volunteers for the winter food drive",
        "description": "Sorting and delivering food parcels in December.",
        "outcomes": ("Resilient communities",),
    } | overrides
    return AskTerms(**given)  # type: ignore[arg-type]


def posted(**overrides: object) -> Ask:
    event = Ask.post(
        ASK_ID,
        "food-bank",
        terms(**overrides),
        posted_by="food-bank",
        today=TODAY,
        known_places=PLACES,
    )
    ask = Ask()
    ask.record(event)
    ask.version = 1
    return ask


def suggestion(**overrides: object) -> Suggestion:
    given: dict[str, object] = {
        "ask_id": ASK_ID,
        "vcfse": "food-bank",
        "supplier": "acme-ltd",
        "score": Decimal("72.5"),
        "reasons": (Reason("measure", Decimal(40), "fits"),),
        "measure": "NT17",
        "measures": ("NT17",),
        "unit": "hours",
        "obligation_id": OBLIGATION_ID,
        "contract_id": CONTRACT_ID,
        "buyer": "council-a",
    } | overrides
    return Suggestion(**given)  # type: ignore[arg-type]


def proposed() -> Match:
    match = Match()
    match.record(Match.propose(MATCH_ID, suggestion(), proposed_by="system", today=TODAY))
    return match


def accepted() -> Match:
    match = proposed()
    match.accept(Side.SUPPLIER, "acme-ltd", TODAY)
    match.accept(Side.VCFSE, "food-bank", TODAY)
    return match


def delivered(on: date = date(2026, 7, 30)) -> Match:
    match = accepted()
    recorded_on = max(on, TODAY)
    match.record_delivery(DELIVERY_ID, Delivery(Decimal("12.5"), on, "two sessions"), recorded_on)
    return match


def fields(error: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {p.field for p in error.value.errors}


def test_a_match_is_accepted_only_once_both_sides_have_accepted() -> None:
    match = proposed()

    first = match.accept(Side.VCFSE, "food-bank", TODAY)
    assert (first.data["status"], match.status) == ("proposed", MatchStatus.PROPOSED)
    second = match.accept(Side.SUPPLIER, "acme-ltd", TODAY)
    assert (second.data["status"], match.status) == ("accepted", MatchStatus.ACCEPTED)
    with pytest.raises(Conflict, match="accepted this match already"):
        match.accept(Side.SUPPLIER, "acme-ltd", TODAY)


def test_delivery_cannot_be_recorded_before_both_sides_accept() -> None:
    match = proposed()
    match.accept(Side.SUPPLIER, "acme-ltd", TODAY)

    with pytest.raises(Conflict, match="both sides accept it before delivery"):
        match.record_delivery(DELIVERY_ID, Delivery(Decimal(1), TODAY), TODAY)


def test_declining_needs_a_reason_and_ends_the_match() -> None:
    match = proposed()
    with pytest.raises(ValidationFailed) as refused:
        match.decline(Side.VCFSE, "food-bank", "  ", TODAY)
    assert fields(refused) == {"reason"}

    match.decline(Side.VCFSE, "food-bank", "we found volunteers elsewhere", TODAY)

    assert match.status is MatchStatus.DECLINED
    assert match.view()["decline_reason"] == "we found volunteers elsewhere"
    with pytest.raises(Conflict, match="declined"):
        match.accept(Side.SUPPLIER, "acme-ltd", TODAY)


def test_a_delivery_is_recorded_once_made_and_for_more_than_nothing() -> None:
    match = accepted()

    with pytest.raises(ValidationFailed) as refused:
        match.record_delivery(DELIVERY_ID, Delivery(Decimal(0), date(2026, 8, 4)), TODAY)

    assert fields(refused) == {"quantity", "delivered_on"}


def test_a_confirmed_delivery_carries_what_measurement_needs_in_its_quarter() -> None:
    match = delivered(on=date(2026, 6, 30))

    confirmed = match.confirm_delivery(DELIVERY_ID, "food-bank", TODAY)

    assert confirmed.type == "DeliveryConfirmed"
    assert confirmed.data == {
        "match_id": MATCH_ID,
        "delivery_id": DELIVERY_ID,
        "supplier": "acme-ltd",
        "vcfse": "food-bank",
        "contract_id": CONTRACT_ID,
        "obligation_id": OBLIGATION_ID,
        "measure": "NT17",
        "quantity": "12.5",
        "unit": "hours",
        "delivered_on": "2026-06-30",
        "period": "2026-27-Q1",
        "confirmed_by": "food-bank",
        "confirmed_on": "2026-08-03",
    }


@pytest.mark.parametrize(
    ("delivered_on", "period"),
    [
        (date(2026, 4, 1), "2026-27-Q1"),
        (date(2026, 7, 1), "2026-27-Q2"),
        (date(2026, 12, 31), "2026-27-Q3"),
        (date(2027, 3, 31), "2026-27-Q4"),
    ],
)
def test_a_confirmed_delivery_counts_in_the_financial_quarter_it_was_delivered(
    delivered_on: date, period: str
) -> None:
    match = delivered(on=delivered_on)

    confirmed = match.confirm_delivery(DELIVERY_ID, "food-bank", date(2027, 4, 2))

    assert confirmed.data["period"] == period == Quarter.containing(delivered_on).label


def test_a_disputed_delivery_can_never_be_confirmed_nor_a_confirmed_one_disputed() -> None:
    disputed = delivered()
    disputed.dispute_delivery(DELIVERY_ID, "nobody came", "food-bank", TODAY)
    with pytest.raises(Conflict, match="disputed already"):
        disputed.confirm_delivery(DELIVERY_ID, "food-bank", TODAY)

    confirmed = delivered()
    confirmed.confirm_delivery(DELIVERY_ID, "food-bank", TODAY)
    with pytest.raises(Conflict, match="confirmed already"):
        confirmed.dispute_delivery(DELIVERY_ID, "changed our minds", "food-bank", TODAY)
    with pytest.raises(NotFound):
        confirmed.confirm_delivery(MATCH_ID, "food-bank", TODAY)


def test_a_supplier_is_never_its_own_vcfse_partner() -> None:
    with pytest.raises(Conflict, match="own VCFSE partner"):
        Match.propose(MATCH_ID, suggestion(vcfse="acme-ltd"), proposed_by="system", today=TODAY)


def test_the_systems_proposal_for_an_alert_and_an_ask_always_has_the_same_id() -> None:
    assert proposal_id("alert-1", ASK_ID) == proposal_id("alert-1", ASK_ID)
    assert proposal_id("alert-1", ASK_ID) != proposal_id("alert-2", ASK_ID)


def test_an_ask_fills_with_confirmed_deliveries_in_its_unit_only() -> None:
    ask = posted()

    assert ask.fill(MATCH_ID, DELIVERY_ID, Decimal(30), "days") is None
    partly = ask.fill(MATCH_ID, DELIVERY_ID, Decimal(30), "Hours")
    assert partly is not None
    assert (partly.data["filled"], partly.data["remaining"], ask.status) == (
        "30",
        "70",
        AskStatus.PARTLY_FILLED,
    )
    ask.fill(MATCH_ID, DELIVERY_ID, Decimal(80), "hours")
    assert (ask.status, ask.remaining) == (AskStatus.FILLED, Decimal(0))
    assert not ask.status.matchable


def test_an_ask_without_measures_counts_in_the_usual_ones_for_its_kind() -> None:
    ask = posted(kind=AskKind.EXPERT_BUSINESS_ADVICE, measures=())

    assert ask.current.measures == ("NT15",)


def test_an_ask_names_every_field_that_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as refused:
        posted(
            measures=("NT17", "nt 17"),
            quantity=Decimal(0),
            place="Atlantis",
            needed_by=date(2026, 8, 2),
            title=" ",
        )

    assert fields(refused) == {"measures.1", "quantity", "place", "needed_by", "title"}


def test_an_asks_quantity_cannot_drop_below_what_is_filled_and_a_closed_ask_stays_closed() -> None:
    ask = posted()
    ask.fill(MATCH_ID, DELIVERY_ID, Decimal(30), "hours")

    with pytest.raises(ValidationFailed) as refused:
        ask.update(terms(quantity=Decimal(20)), today=TODAY, known_places=PLACES)
    assert fields(refused) == {"quantity"}

    updated = ask.update(terms(quantity=Decimal(30)), today=TODAY, known_places=PLACES)
    assert updated.data["status"] == "filled"
    ask.close(CloseReason.FILLED, "", TODAY)
    with pytest.raises(Conflict, match="closed"):
        ask.update(terms(quantity=Decimal(40)), today=TODAY, known_places=PLACES)
    assert ask.fill(MATCH_ID, DELIVERY_ID, Decimal(1), "hours") is None


def vcfse(**overrides: object) -> OrganisationProfile:
    given: dict[str, object] = {
        "name": "North Liverpool Food Bank",
        "kind": OrganisationKind.VCFSE,
        "form": VcfseForm.REGISTERED_CHARITY,
        "places": ("Liverpool",),
        "outcomes": ("Resilient communities",),
        "charity_number": "1234567",
        "contacts": (Contact("Sam", "sam@example.org"),),
    } | overrides
    return OrganisationProfile(**given)  # type: ignore[arg-type]


def register(profile: OrganisationProfile, vouching_cvs: str | None = None) -> list[NewEvent]:
    return Organisation.register(
        "food-bank",
        profile,
        registered_by=vouching_cvs or "food-bank",
        vouching_cvs=vouching_cvs,
        today=TODAY,
        known_places=PLACES,
    )


def test_a_registered_charity_gives_its_number_and_a_cic_its_company_number() -> None:
    with pytest.raises(ValidationFailed) as charity:
        register(vcfse(charity_number=None))
    with pytest.raises(ValidationFailed) as cic:
        register(vcfse(form=VcfseForm.CIC, charity_number=None))
    with pytest.raises(ValidationFailed) as supplier:
        register(vcfse(kind=OrganisationKind.SUPPLIER, places=("Gotham",)))

    assert fields(charity) == {"charity_number"}
    assert fields(cic) == {"company_number"}
    assert fields(supplier) == {"form", "places.0"}


def test_a_cvs_registering_a_group_vouches_for_it_and_registers_vcfse_groups_only() -> None:
    events = register(vcfse(form=VcfseForm.COMMUNITY_GROUP, charity_number=None), "sefton-cvs")

    assert [e.type for e in events] == ["OrganisationRegistered", "OrganisationVouched"]
    with pytest.raises(ValidationFailed) as refused:
        register(vcfse(kind=OrganisationKind.BUYER, form=None), "sefton-cvs")
    assert fields(refused) == {"kind"}


def test_a_cvs_vouches_once_and_only_for_vcfse_groups() -> None:
    group = Organisation()
    for event in register(vcfse()):
        group.record(event)

    group.vouch("sefton-cvs", "known to us for years", TODAY)
    with pytest.raises(Conflict, match="already vouches"):
        group.vouch("sefton-cvs", "again", TODAY)
    assert group.contacts_visible_to("sefton-cvs")
    assert not group.contacts_visible_to("acme-ltd")


def test_a_local_needs_analysis_names_each_place_and_outcome_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        LocalNeeds.publish(
            "council-a",
            "Liverpool needs 2026",
            [
                Need("Liverpool", "Food poverty", Priority.HIGH),
                Need("Liverpool", "food poverty ", Priority.LOW),
                Need("Gotham", "Food poverty", Priority.LOW),
            ],
            today=TODAY,
            known_places=PLACES,
        )

    assert fields(refused) == {"needs.1", "needs.2.place"}


def every_decided_event() -> list[tuple[str, NewEvent]]:
    """One of each event the domain decides, with the stream it goes to."""
    decided: list[tuple[str, NewEvent]] = []
    group = Organisation()
    for event in register(vcfse()):
        decided.append(("organisation-food-bank", group.record(event)))
    decided.append(("organisation-food-bank", group.vouch("sefton-cvs", "", TODAY)))
    decided.append(
        (
            "needs-council-a",
            LocalNeeds.publish(
                "council-a",
                "Liverpool needs",
                [Need("Liverpool", "Food poverty", Priority.HIGH)],
                today=TODAY,
                known_places=PLACES,
            ),
        )
    )
    ask = posted()
    ask_stream = f"ask-{ASK_ID}"
    decided.append(
        (ask_stream, ask.update(terms(quantity=Decimal(90)), today=TODAY, known_places=PLACES))
    )
    fill = ask.fill(MATCH_ID, DELIVERY_ID, Decimal(10), "hours")
    assert fill is not None
    decided += [(ask_stream, fill), (ask_stream, ask.close(CloseReason.FILLED, "", TODAY))]
    decided.append(
        (
            ask_stream,
            Ask.post(
                ASK_ID,
                "food-bank",
                terms(),
                posted_by="sefton-cvs",
                today=TODAY,
                known_places=PLACES,
            ),
        )
    )
    offer_terms = OfferTerms(
        AskKind.VOLUNTEERING,
        ("NT17",),
        ("Liverpool",),
        "Volunteer days",
        "Staff volunteering",
        Decimal(40),
        "hours",
        date(2027, 3, 31),
        OBLIGATION_ID,
        CONTRACT_ID,
    )
    offer = Offer()
    offer.record(Offer.post(ASK_ID, "acme-ltd", offer_terms, today=TODAY, known_places=PLACES))
    decided.append((f"offer-{ASK_ID}", offer.withdraw("", TODAY)))
    decided.append(
        (
            f"offer-{ASK_ID}",
            Offer.post(ASK_ID, "acme-ltd", offer_terms, today=TODAY, known_places=PLACES),
        )
    )
    match = Match()
    stream = f"match-{MATCH_ID}"
    decided.append(
        (
            stream,
            match.record(
                Match.propose(
                    MATCH_ID, suggestion(), proposed_by="system", today=TODAY, alert_id=DELIVERY_ID
                )
            ),
        )
    )
    decided.append((stream, match.accept(Side.SUPPLIER, "acme-ltd", TODAY)))
    decided.append((stream, match.accept(Side.VCFSE, "food-bank", TODAY)))
    decided.append((stream, match.record_delivery(DELIVERY_ID, Delivery(Decimal(3), TODAY), TODAY)))
    decided.append((stream, match.confirm_delivery(DELIVERY_ID, "food-bank", TODAY)))
    other = delivered()
    decided.append((stream, other.dispute_delivery(DELIVERY_ID, "no", "food-bank", TODAY)))
    declined = proposed()
    decided.append((stream, declined.decline(Side.SUPPLIER, "acme-ltd", "busy", TODAY)))
    shortfall = Shortfall(
        alert_id=uuid.UUID(DELIVERY_ID),
        contract_id=uuid.UUID(CONTRACT_ID),
        obligation_id=uuid.UUID(OBLIGATION_ID),
        supplier="acme-ltd",
        buyer="council-a",
        measure="NT17",
        period=Quarter(2026, 1),
        severity="high",
        ratio=Decimal("0.5"),
        raised_on=TODAY,
    )
    decided.append((f"referral-{DELIVERY_ID}", Referral.refer(shortfall, [MATCH_ID], TODAY)))
    return decided


def test_every_decided_event_is_catalogued_with_exactly_its_fields() -> None:
    decided = every_decided_event()

    assert {e.type for _, e in decided} == set(CATALOGUE)
    assert [
        p for stream, e in decided for p in problems_with(e.type, e.schema_version, stream, e.data)
    ] == []


def test_the_catalogue_refuses_an_event_out_of_shape() -> None:
    confirmed = delivered().confirm_delivery(DELIVERY_ID, "food-bank", TODAY)
    data = {**confirmed.data, "quantity": 12.5, "extra": "x"}
    del data["period"]

    assert problems_with("DeliveryConfirmed", 1, "ask-1", data) == [
        "DeliveryConfirmed belongs in a match stream, not ask-1",
        "DeliveryConfirmed.extra is not in the catalogue",
        "DeliveryConfirmed.quantity is not exact decimal string: 12.5",
        "DeliveryConfirmed.period is missing",
    ]
    assert problems_with("MatchMade", 1, "match-1", {}) == ["MatchMade is not in the catalogue"]
