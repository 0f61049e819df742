"""Tenders, bids, evaluation and award over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import ClientFactory, bearer
from tests.integration.test_commitments_api import (
    ADMIN,
    BUYER,
    RIVAL,
    STRANGER,
    SUPPLIER,
    Ledger,
    closed_tender_with_bids,
    commitment,
    fields,
    offer,
    open_ledger,
    published_tender,
    tender,
)

NINE_BOROUGHS = [
    "Cheshire East",
    "Cheshire West and Chester",
    "Halton",
    "Knowsley",
    "Liverpool",
    "Sefton",
    "St Helens",
    "Warrington",
    "Wirral",
]


@pytest.fixture
async def ledger(service_client: ClientFactory) -> AsyncIterator[Ledger]:
    async with open_ledger(service_client) as opened:
        yield opened


async def load_proxy_values(ledger: Ledger, rows: str) -> None:
    """Illustrative proxy values (GBP per unit) for the default framework."""
    table = "code,unit,gbp_per_unit,source,year\n" + rows
    loaded = await ledger.client.put(
        "/frameworks/cm-toms-2023/proxy-values",
        files={"file": ("proxies.csv", table.encode())},
        headers=ADMIN,
    )
    assert loaded.status_code == 200, loaded.text


async def draft(ledger: Ledger, **overrides: Any) -> dict[str, Any]:
    drafted = await ledger.client.post("/tenders", json=tender(**overrides), headers=BUYER)
    assert drafted.status_code == 201, drafted.text
    body: dict[str, Any] = drafted.json()
    return body


# -- tenders --------------------------------------------------------------------------------


async def test_a_draft_is_the_buyers_alone_until_it_is_published(ledger: Ledger) -> None:
    drafted = await ledger.client.post("/tenders", json=tender(), headers=BUYER)
    url = drafted.headers["Location"]

    hidden_from_buyer = await ledger.client.get(url, headers=STRANGER)
    hidden_from_supplier = await ledger.client.get(url, headers=SUPPLIER)
    listed_before = await ledger.client.get("/tenders", headers=SUPPLIER)
    published = await ledger.client.post(f"{url}/publish", headers={**BUYER, "If-Match": '"1"'})
    seen = await ledger.client.get(url, headers=SUPPLIER)
    listed_after = await ledger.client.get("/tenders", headers=STRANGER)

    assert drafted.status_code == 201, drafted.text
    assert (drafted.json()["status"], drafted.headers["ETag"]) == ("draft", '"1"')
    assert (hidden_from_buyer.status_code, hidden_from_supplier.status_code) == (404, 404)
    assert listed_before.json() == []
    assert published.status_code == 200, published.text
    assert (published.json()["status"], published.json()["published_on"]) == (
        "published",
        "2026-05-01",
    )
    assert seen.status_code == 200
    assert seen.headers["ETag"] == '"2"'
    assert [t["tender_id"] for t in listed_after.json()] == [drafted.json()["tender_id"]]


async def test_a_new_tender_starts_from_the_buyers_priorities_and_the_nine_boroughs(
    ledger: Ledger,
) -> None:
    policy = await ledger.client.put(
        "/policies/council-a",
        json={
            "statement": "Good jobs and a thriving VCFSE sector.",
            "priority_outcomes": ["More local people in employment"],
            "priority_measures": ["NT1", "NT14"],
        },
        headers=BUYER,
    )

    body = await draft(ledger, relevant_measures=None, places=None)

    assert policy.status_code == 201, policy.text
    assert body["relevant_measures"] == ["NT1", "NT14"]
    assert body["places"] == NINE_BOROUGHS


async def test_the_default_places_are_a_setting(service_client: ClientFactory) -> None:
    async with open_ledger(service_client, default_places=["Halton", "Warrington"]) as ledger:
        body = await draft(ledger, places=None)

    assert body["places"] == ["Halton", "Warrington"]


async def test_a_social_value_weighting_below_ten_percent_is_refused_with_the_reason(
    ledger: Ledger,
) -> None:
    response = await ledger.client.post(
        "/tenders", json=tender(social_value_weighting="9.5"), headers=BUYER
    )

    assert response.status_code == 422
    assert fields(response) == ["social_value_weighting"]
    assert (
        "at least 10% of the total award score (PPN 002)" in response.json()["errors"][0]["message"]
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"qualitative_weight": "70", "quantitative_weight": "40"}, "quantitative_weight"),
        ({"contract_ends_on": "2026-11-01"}, "contract_ends_on"),
        ({"closes_on": "2026-12-01"}, "closes_on"),
        ({"relevant_measures": ["NT1", "NT999"]}, "relevant_measures.1"),
        ({"relevant_measures": None}, "relevant_measures"),
        ({"places": []}, "places"),
        ({"framework_version": "no-such-toms"}, "framework_version"),
        ({"estimated_value_gbp": "0"}, "estimated_value_gbp"),
        ({"social_value_weighting": "101"}, "social_value_weighting"),
        ({"closes_on": "31/07/2026"}, "closes_on"),
    ],
)
async def test_tender_rules_are_refused_naming_the_field(
    ledger: Ledger, overrides: dict[str, Any], field: str
) -> None:
    response = await ledger.client.post("/tenders", json=tender(**overrides), headers=BUYER)

    assert response.status_code == 422
    assert fields(response) == [field]


async def test_less_than_sixty_percent_qualitative_is_allowed_with_a_warning(
    ledger: Ledger,
) -> None:
    body = await draft(ledger, qualitative_weight="50", quantitative_weight="50")

    assert [(w["code"], w["field"]) for w in body["warnings"]] == [
        ("qualitative-weight-below-60", "qualitative_weight")
    ]
    assert "60:40" in body["warnings"][0]["message"]


async def test_a_vcfse_relevant_tender_open_under_six_weeks_is_published_with_a_warning(
    ledger: Ledger,
) -> None:
    short = await published_tender(ledger, closes_on="2026-06-01")
    not_vcfse = await published_tender(ledger, closes_on="2026-06-01", vcfse_relevant=False)
    long = await published_tender(ledger, closes_on="2026-06-12")

    assert [(w["code"], w["field"]) for w in short["warnings"]] == [
        ("short-vcfse-tender", "closes_on")
    ]
    assert "open 31 days" in short["warnings"][0]["message"]
    assert not_vcfse["warnings"] == []
    assert long["warnings"] == []


async def test_a_tender_whose_closing_date_has_passed_is_not_published(ledger: Ledger) -> None:
    body = await draft(ledger, closes_on="2026-06-01")
    ledger.move_to(date(2026, 6, 1))

    response = await ledger.client.post(f"/tenders/{body['tender_id']}/publish", headers=BUYER)

    assert (response.status_code, fields(response)) == (422, ["closes_on"])


async def test_only_a_draft_is_revised_and_if_match_guards_every_change(ledger: Ledger) -> None:
    body = await draft(ledger)
    url = f"/tenders/{body['tender_id']}"

    revised = await ledger.client.put(
        url,
        json=tender(title="Community transport (revised)"),
        headers={**BUYER, "If-Match": '"1"'},
    )
    stale = await ledger.client.put(url, json=tender(), headers={**BUYER, "If-Match": '"1"'})
    await ledger.client.post(f"{url}/publish", headers=BUYER)
    after = await ledger.client.put(url, json=tender(), headers=BUYER)
    someone_else = await ledger.client.post(f"{url}/cancel", json={"reason": "x"}, headers=STRANGER)

    assert revised.status_code == 200, revised.text
    assert (revised.json()["title"], revised.headers["ETag"]) == (
        "Community transport (revised)",
        '"2"',
    )
    assert (stale.status_code, fields(stale)) == (412, ["If-Match"])
    assert after.status_code == 409
    assert someone_else.status_code == 404


async def test_tenders_are_filtered_by_status_buyer_measure_and_place(ledger: Ledger) -> None:
    jobs = await published_tender(ledger, title="Jobs", relevant_measures=["NT1"])
    green = await published_tender(
        ledger, title="Green", relevant_measures=["NT31"], places=["Halton"]
    )
    await draft(ledger, title="Drafted", relevant_measures=["NT1"])
    other = await ledger.client.post("/tenders", json=tender(title="Elsewhere"), headers=STRANGER)
    await ledger.client.post(f"/tenders/{other.json()['tender_id']}/publish", headers=STRANGER)

    async def titles(headers: dict[str, str], **params: str) -> list[str]:
        response = await ledger.client.get("/tenders", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return sorted(t["title"] for t in response.json())

    assert await titles(SUPPLIER) == ["Elsewhere", "Green", "Jobs"]
    assert await titles(BUYER) == ["Drafted", "Elsewhere", "Green", "Jobs"]
    assert await titles(BUYER, status="draft") == ["Drafted"]
    assert await titles(SUPPLIER, buyer="council-a") == ["Green", "Jobs"]
    assert await titles(SUPPLIER, measure="NT1") == ["Elsewhere", "Jobs"]
    assert await titles(SUPPLIER, place="Halton") == ["Green"]
    assert await titles(SUPPLIER, place="Halton", measure="NT1") == []
    listed = (await ledger.client.get("/tenders", params={"place": "Halton"}, headers=BUYER)).json()
    assert listed[0]["relevant_measures"] == ["NT31"]
    assert (listed[0]["tender_id"], listed[0]["estimated_value_gbp"]) == (
        green["tender_id"],
        "1200000",
    )
    assert jobs["status"] == "published"


async def test_a_cancelled_tender_takes_no_bids_and_stays_cancelled(ledger: Ledger) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}"
    earlier = await ledger.client.post(f"{url}/bids", json=offer(), headers=RIVAL)

    blank = await ledger.client.post(f"{url}/cancel", json={"reason": " "}, headers=BUYER)
    cancelled = await ledger.client.post(
        f"{url}/cancel", json={"reason": "budget withdrawn"}, headers=BUYER
    )
    bid = await ledger.client.post(f"{url}/bids", json=offer(), headers=SUPPLIER)
    again = await ledger.client.post(f"{url}/cancel", json={"reason": "again"}, headers=BUYER)
    rivals_bid = await ledger.client.get(earlier.headers["Location"], headers=RIVAL)
    rivals_bids = await ledger.client.get("/bids", headers=RIVAL)

    assert (blank.status_code, fields(blank)) == (422, ["reason"])
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancellation"] == {
        "reason": "budget withdrawn",
        "cancelled_on": "2026-05-01",
    }
    assert bid.status_code == 409
    assert again.status_code == 409
    assert rivals_bid.json()["status"] == "cancelled"
    assert [b["status"] for b in rivals_bids.json()] == ["cancelled"]


# -- bids -----------------------------------------------------------------------------------


async def test_a_bids_targets_follow_its_delivery_profile_over_partial_quarters(
    ledger: Ledger,
) -> None:
    body = await published_tender(ledger)

    made = await ledger.client.post(
        f"/tenders/{body['tender_id']}/bids",
        json=offer(
            commitment(quantity="12"),
            commitment(
                measure="NT10",
                quantity="104",
                place="Wirral",
                vcfse_partner="wirral-cvs",
                profile={"kind": "annual", "weights": {"2027-28": "1"}},
            ),
        ),
        headers=SUPPLIER,
    )

    assert made.status_code == 201, made.text
    assert made.headers["Location"] == f"/bids/{made.json()['bid_id']}"
    jobs, apprenticeships = made.json()["commitments"]
    assert list(jobs["targets"]) == [
        "2026-27-Q3",
        "2026-27-Q4",
        "2027-28-Q1",
        "2027-28-Q2",
        "2027-28-Q3",
        "2027-28-Q4",
        "2028-29-Q1",
        "2028-29-Q2",
    ]
    assert sum(Decimal(v) for v in jobs["targets"].values()) == Decimal(12)
    # 47 of the contract's 639 days fall in its first quarter, 90 in its second.
    assert Decimal(jobs["targets"]["2026-27-Q3"]) < Decimal(jobs["targets"]["2026-27-Q4"])
    assert {k: v for k, v in apprenticeships["targets"].items() if v != "0"} == {
        "2027-28-Q1": "25.86",
        "2027-28-Q2": "26.14",
        "2027-28-Q3": "26.14",
        "2027-28-Q4": "25.86",
    }
    assert apprenticeships["vcfse_partner"] == "wirral-cvs"
    assert made.json()["total_proxy_value_gbp"] is None
    assert made.json()["status"] == "submitted"
    mine = await ledger.client.get("/bids", headers=SUPPLIER)
    assert [b["bid_id"] for b in mine.json()] == [made.json()["bid_id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (offer(commitment(measure="NT31")), "commitments.0.measure"),
        (offer(commitment(), commitment(place="Leeds")), "commitments.1.place"),
        (offer(commitment(quantity="0")), "commitments.0.quantity"),
        (
            offer(commitment(profile={"kind": "quarterly", "weights": {"2030-31-Q1": "1"}})),
            "commitments.0.profile.weights.2030-31-Q1",
        ),
        (offer(commitment(narrative=" ")), "commitments.0.narrative"),
        (offer(additionality_declared=False), "additionality_declared"),
        (offer(method_statement="  "), "method_statement"),
        (offer(commitments=[]), "commitments"),
        (offer(commitment(quantity="1.23456")), "commitments.0.quantity"),
    ],
)
async def test_bid_rules_are_refused_naming_the_field(
    ledger: Ledger, body: dict[str, Any], field: str
) -> None:
    published = await published_tender(ledger)

    response = await ledger.client.post(
        f"/tenders/{published['tender_id']}/bids", json=body, headers=SUPPLIER
    )

    assert response.status_code == 422
    assert fields(response) == [field]


async def test_only_suppliers_bid_and_only_on_tenders_they_can_see(ledger: Ledger) -> None:
    drafted = await draft(ledger)

    as_buyer = await ledger.client.post(
        f"/tenders/{drafted['tender_id']}/bids", json=offer(), headers=STRANGER
    )
    on_draft = await ledger.client.post(
        f"/tenders/{drafted['tender_id']}/bids", json=offer(), headers=SUPPLIER
    )

    assert as_buyer.status_code == 403
    assert on_draft.status_code == 404


async def test_a_supplier_cannot_read_another_suppliers_bid_and_the_buyer_waits_for_closing(
    ledger: Ledger,
) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}"
    mine = (await ledger.client.post(f"{url}/bids", json=offer(), headers=SUPPLIER)).json()
    theirs = (await ledger.client.post(f"{url}/bids", json=offer(), headers=RIVAL)).json()

    rival_reads_mine = await ledger.client.get(f"/bids/{mine['bid_id']}", headers=RIVAL)
    rival_lists = await ledger.client.get(f"{url}/bids", headers=RIVAL)
    buyer_reads_early = await ledger.client.get(f"/bids/{mine['bid_id']}", headers=BUYER)
    buyer_lists_early = await ledger.client.get(f"{url}/bids", headers=BUYER)
    ledger.move_to(date(2026, 8, 1))
    await ledger.client.post(f"{url}/close", headers=BUYER)
    buyer_reads = await ledger.client.get(f"/bids/{mine['bid_id']}", headers=BUYER)
    buyer_lists = await ledger.client.get(f"{url}/bids", headers=BUYER)
    other_buyer = await ledger.client.get(f"/bids/{mine['bid_id']}", headers=STRANGER)

    assert rival_reads_mine.status_code == 404
    assert [b["bid_id"] for b in rival_lists.json()] == [theirs["bid_id"]]
    assert buyer_reads_early.status_code == 404
    assert buyer_lists_early.status_code == 409
    assert "sealed" in buyer_lists_early.json()["detail"]
    assert buyer_reads.status_code == 200
    assert buyer_reads.json()["commitments"] == mine["commitments"]
    assert sorted(b["supplier"] for b in buyer_lists.json()) == ["acme-ltd", "bolt-ltd"]
    assert other_buyer.status_code == 404


async def test_a_supplier_revises_its_one_live_bid_and_the_history_is_kept(
    ledger: Ledger,
) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}/bids"
    first = await ledger.client.post(url, json=offer(), headers=SUPPLIER)
    bid_url = first.headers["Location"]

    second_bid = await ledger.client.post(url, json=offer(), headers=SUPPLIER)
    revised = await ledger.client.put(
        bid_url,
        json=offer(commitment(quantity="15")),
        headers={**SUPPLIER, "If-Match": '"1"'},
    )
    stale = await ledger.client.put(bid_url, json=offer(), headers={**SUPPLIER, "If-Match": '"1"'})
    revisions = await ledger.client.get(f"{bid_url}/revisions", headers=SUPPLIER)

    assert second_bid.status_code == 409
    assert "revise it instead" in second_bid.json()["detail"]
    assert revised.status_code == 200, revised.text
    assert (revised.json()["revision"], revised.headers["ETag"]) == (2, '"2"')
    assert (stale.status_code, fields(stale)) == (412, ["If-Match"])
    assert [(r["revision"], r["commitments"][0]["quantity"]) for r in revisions.json()] == [
        (1, "12"),
        (2, "15"),
    ]


async def test_bids_are_taken_until_the_end_of_the_closing_date_and_not_after(
    ledger: Ledger,
) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}"
    made = await ledger.client.post(f"{url}/bids", json=offer(), headers=SUPPLIER)
    bid_url = made.headers["Location"]

    ledger.move_to(date(2026, 7, 31))
    last_day = await ledger.client.post(f"{url}/bids", json=offer(), headers=RIVAL)
    too_soon_to_close = await ledger.client.post(f"{url}/close", headers=BUYER)
    ledger.move_to(date(2026, 8, 1))
    too_late = await ledger.client.post(
        f"{url}/bids", json=offer(), headers=bearer("late-ltd", "supplier")
    )
    revise_late = await ledger.client.put(bid_url, json=offer(), headers=SUPPLIER)
    withdraw_late = await ledger.client.post(f"{bid_url}/withdrawal", json={}, headers=SUPPLIER)

    assert last_day.status_code == 201
    assert too_soon_to_close.status_code == 409
    assert (too_late.status_code, revise_late.status_code, withdraw_late.status_code) == (
        409,
        409,
        409,
    )


async def test_a_withdrawn_bid_is_neither_scored_nor_revised(ledger: Ledger) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}"
    kept = (await ledger.client.post(f"{url}/bids", json=offer(), headers=SUPPLIER)).json()
    gone = (await ledger.client.post(f"{url}/bids", json=offer(), headers=RIVAL)).json()

    withdrawn = await ledger.client.post(
        f"/bids/{gone['bid_id']}/withdrawal", json={"reason": "capacity"}, headers=RIVAL
    )
    revise = await ledger.client.put(f"/bids/{gone['bid_id']}", json=offer(), headers=RIVAL)
    ledger.move_to(date(2026, 8, 1))
    await ledger.client.post(f"{url}/close", headers=BUYER)
    scoring = await ledger.client.get(f"{url}/evaluations", headers=BUYER)

    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["withdrawal"]["reason"]) == (
        "withdrawn",
        "capacity",
    )
    assert revise.status_code == 409
    assert scoring.json()["quantitative_scores"] == {kept["bid_id"]: "100"}
    listed = await ledger.client.get("/bids", headers=RIVAL)
    assert [b["status"] for b in listed.json()] == ["withdrawn"]


async def test_an_offer_worth_over_half_the_contract_value_is_recorded_with_a_warning(
    ledger: Ledger,
) -> None:
    await load_proxy_values(ledger, "NT1,FTE,60000,Illustrative only,2026\n")
    body = await published_tender(ledger)

    made = await ledger.client.post(
        f"/tenders/{body['tender_id']}/bids",
        json=offer(commitment(quantity="12"), commitment(measure="NT14", quantity="5000")),
        headers=SUPPLIER,
    )

    assert made.status_code == 201, made.text
    result = made.json()
    assert (result["total_proxy_value_gbp"], result["proxy_value_share"]) == ("720000", "0.6")
    assert result["fully_proxied"] is False
    assert result["commitments"][0]["proxy_value_gbp"] == "720000"
    assert result["commitments"][1]["proxy_value_gbp"] is None
    assert [(w["code"], w["field"]) for w in result["warnings"]] == [
        ("out-of-proportion", "commitments")
    ]
    assert "60% of the contract value" in result["warnings"][0]["message"]


async def test_the_proportionality_threshold_is_a_setting(service_client: ClientFactory) -> None:
    async with open_ledger(service_client, proportionality_share="0.75") as ledger:
        await load_proxy_values(ledger, "NT1,FTE,60000,Illustrative only,2026\n")
        body = await published_tender(ledger)
        made = await ledger.client.post(
            f"/tenders/{body['tender_id']}/bids", json=offer(), headers=SUPPLIER
        )

    assert made.json()["proxy_value_share"] == "0.6"
    assert made.json()["warnings"] == []


# -- evaluation and award -------------------------------------------------------------------


async def test_evaluation_weighs_the_buyers_score_with_the_computed_quantitative_score(
    ledger: Ledger,
) -> None:
    await load_proxy_values(ledger, "NT1,FTE,60000,Illustrative only,2026\n")
    tender_id, (big, small) = await closed_tender_with_bids(
        ledger,
        (SUPPLIER, offer(commitment(quantity="12"))),
        (RIVAL, offer(commitment(quantity="6"))),
    )
    url = f"/tenders/{tender_id}/evaluations"

    first = await ledger.client.put(
        f"{url}/{big}",
        json={"qualitative_score": "80", "rationale": "Strong local recruitment plan."},
        headers=BUYER,
    )
    second = await ledger.client.put(
        f"{url}/{small}",
        json={"qualitative_score": "90", "rationale": "Excellent VCFSE partnership."},
        headers=BUYER,
    )
    scoring = await ledger.client.get(url, headers=BUYER)

    assert first.status_code == 200, first.text
    # 60% x 80 + 40% x 100 = 88, which is 17.6 points of the award at a 20% weighting.
    assert (first.json()["quantitative_score"], first.json()["weighted_score"]) == ("100", "88")
    assert first.json()["award_contribution"] == "17.6"
    assert first.json()["evaluator"] == "cm@council-a"
    # 60% x 90 + 40% x 50 = 74, so 14.8 points.
    assert (second.json()["quantitative_score"], second.json()["weighted_score"]) == ("50", "74")
    assert second.json()["award_contribution"] == "14.8"
    assert scoring.json()["basis"] == "proxy_value"
    assert scoring.json()["not_yet_evaluated"] == []
    assert {e["bid_id"] for e in scoring.json()["evaluations"]} == {big, small}


async def test_without_proxy_values_bids_are_scored_on_units_per_measure(ledger: Ledger) -> None:
    tender_id, (both, jobs_only) = await closed_tender_with_bids(
        ledger,
        (SUPPLIER, offer(commitment(quantity="12"), commitment(measure="NT10", quantity="50"))),
        (RIVAL, offer(commitment(quantity="6"))),
    )

    scoring = await ledger.client.get(f"/tenders/{tender_id}/evaluations", headers=BUYER)

    assert scoring.json()["basis"] == "units"
    # NT1: 12/12 and 6/12; NT10: 50/50 and 0/50; each bid's mean share, times 100.
    assert scoring.json()["quantitative_scores"] == {both: "100", jobs_only: "25"}
    assert sorted(scoring.json()["not_yet_evaluated"]) == sorted([both, jobs_only])


async def test_evaluation_rules_are_refused_naming_the_field(ledger: Ledger) -> None:
    body = await published_tender(ledger)
    url = f"/tenders/{body['tender_id']}"
    made = (await ledger.client.post(f"{url}/bids", json=offer(), headers=SUPPLIER)).json()
    score = {"qualitative_score": "70", "rationale": "ok"}
    evaluate = f"{url}/evaluations/{made['bid_id']}"

    before_closing = await ledger.client.put(evaluate, json=score, headers=BUYER)
    ledger.move_to(date(2026, 8, 1))
    await ledger.client.post(f"{url}/close", headers=BUYER)
    too_high = await ledger.client.put(
        evaluate, json={**score, "qualitative_score": "101"}, headers=BUYER
    )
    no_rationale = await ledger.client.put(
        evaluate, json={**score, "rationale": "  "}, headers=BUYER
    )
    unknown = await ledger.client.put(
        f"{url}/evaluations/{body['tender_id']}", json=score, headers=BUYER
    )
    as_supplier = await ledger.client.put(evaluate, json=score, headers=SUPPLIER)
    others = await ledger.client.put(evaluate, json=score, headers=STRANGER)

    assert before_closing.status_code == 409
    assert (too_high.status_code, fields(too_high)) == (422, ["qualitative_score"])
    assert (no_rationale.status_code, fields(no_rationale)) == (422, ["rationale"])
    assert unknown.status_code == 404
    assert as_supplier.status_code == 403
    assert others.status_code == 404


async def test_the_award_turns_each_commitment_into_an_obligation_with_its_targets(
    ledger: Ledger,
) -> None:
    tender_id, (winner, loser) = await closed_tender_with_bids(
        ledger,
        (
            SUPPLIER,
            offer(
                commitment(quantity="12"),
                commitment(measure="NT14", quantity="50000", place="Wirral", vcfse_partner="wcvs"),
            ),
        ),
        (RIVAL, offer(commitment(quantity="6"))),
    )
    for bid_id in (winner, loser):
        await ledger.client.put(
            f"/tenders/{tender_id}/evaluations/{bid_id}",
            json={"qualitative_score": "75", "rationale": "Sound."},
            headers=BUYER,
        )
    bid = (await ledger.client.get(f"/bids/{winner}", headers=SUPPLIER)).json()
    kpi = bid["commitments"][0]["commitment_id"]

    awarded = await ledger.client.post(
        f"/tenders/{tender_id}/award",
        json={"bid_id": winner, "reference": "CT-2026-07", "kpis": [kpi]},
        headers={**BUYER, "If-Match": '"7"'},
    )

    assert awarded.status_code == 201, awarded.text
    contract = awarded.json()
    assert awarded.headers["Location"] == f"/contracts/{contract['contract_id']}"
    assert (contract["supplier"], contract["buyer"], contract["reference"]) == (
        "acme-ltd",
        "council-a",
        "CT-2026-07",
    )
    assert (contract["starts_on"], contract["ends_on"]) == ("2026-11-15", "2028-08-14")
    assert (contract["tender_id"], contract["bid_id"]) == (tender_id, winner)
    assert (contract["value_gbp"], contract["places"]) == ("1200000", ["Liverpool", "Wirral"])
    jobs, spend = contract["obligations"]
    assert jobs["targets"] == bid["commitments"][0]["targets"]
    assert (jobs["total"], jobs["is_kpi"], jobs["commitment_id"]) == ("12", True, kpi)
    assert (spend["measure"], spend["unit"], spend["total"], spend["is_kpi"]) == (
        "NT14",
        "GBP",
        "50000",
        False,
    )
    assert (spend["place"], spend["vcfse_partner"]) == ("Wirral", "wcvs")
    seen_by_supplier = await ledger.client.get(
        f"/contracts/{contract['contract_id']}", headers=SUPPLIER
    )
    assert seen_by_supplier.json() == contract
    tender_now = (await ledger.client.get(f"/tenders/{tender_id}", headers=RIVAL)).json()
    assert tender_now["status"] == "awarded"
    assert tender_now["award"]["contract_id"] == contract["contract_id"]
    losing = (await ledger.client.get(f"/bids/{loser}", headers=RIVAL)).json()
    assert losing["status"] == "unsuccessful"
    # Scored on units (no proxy values): NT1 6/12 and NT14 0/50000, a mean of 25;
    # 60% x 75 + 40% x 25 = 55.
    assert losing["evaluation"]["weighted_score"] == "55"
    assert [b["status"] for b in (await ledger.client.get("/bids", headers=SUPPLIER)).json()] == [
        "awarded"
    ]
    awarded_tenders = await ledger.client.get(
        "/tenders", params={"status": "awarded"}, headers=BUYER
    )
    assert [t["tender_id"] for t in awarded_tenders.json()] == [tender_id]
    [event] = [e for e in await ledger.events() if e.type == "ContractAwarded"]
    assert (event.data["tender_id"], event.data["bid_id"]) == (tender_id, winner)
    assert event.data["obligations"][1]["place"] == "Wirral"


async def test_award_rules_are_refused(ledger: Ledger) -> None:
    tender_id, (winner, other) = await closed_tender_with_bids(
        ledger, (SUPPLIER, offer()), (RIVAL, offer())
    )
    url = f"/tenders/{tender_id}"
    award = {"bid_id": winner, "reference": "CT-1"}
    await ledger.client.put(
        f"{url}/evaluations/{winner}",
        json={"qualitative_score": "75", "rationale": "Sound."},
        headers=BUYER,
    )

    not_all_evaluated = await ledger.client.post(f"{url}/award", json=award, headers=BUYER)
    await ledger.client.put(
        f"{url}/evaluations/{other}",
        json={"qualitative_score": "60", "rationale": "Thin."},
        headers=BUYER,
    )
    not_a_bid = await ledger.client.post(
        f"{url}/award", json={**award, "bid_id": tender_id}, headers=BUYER
    )
    unknown_kpi = await ledger.client.post(
        f"{url}/award", json={**award, "kpis": [tender_id]}, headers=BUYER
    )
    taken = await ledger.client.post(
        "/contracts",
        json={
            "reference": "CT-1",
            "title": "Existing",
            "supplier": "acme-ltd",
            "starts_on": "2026-04-01",
            "ends_on": "2027-03-31",
            "obligations": [{"measure": "NT1", "target_per_quarter": "1"}],
        },
        headers=BUYER,
    )
    reference_used = await ledger.client.post(f"{url}/award", json=award, headers=BUYER)
    awarded = await ledger.client.post(
        f"{url}/award", json={**award, "reference": "CT-2"}, headers=BUYER
    )
    again = await ledger.client.post(
        f"{url}/award", json={**award, "reference": "CT-3"}, headers=BUYER
    )

    assert not_all_evaluated.status_code == 409
    assert other in not_all_evaluated.json()["detail"]
    assert (not_a_bid.status_code, fields(not_a_bid)) == (422, ["bid_id"])
    assert (unknown_kpi.status_code, fields(unknown_kpi)) == (422, ["kpis.0"])
    assert taken.status_code == 201
    assert (reference_used.status_code, fields(reference_used)) == (422, ["reference"])
    assert awarded.status_code == 201, awarded.text
    assert again.status_code == 409
