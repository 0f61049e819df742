"""Accountability in a real browser: escalating an alert by hand with its reason and history,
and suppliers' track records, on the supplier's standing and beside a bid's commitments."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Route, expect

from tests.browser.conftest import (
    PageFactory,
    Parties,
    Portal,
    closed_tender,
    current_quarter,
    register_contract,
    screenshot,
    sign_in,
)
from tests.harness import eventually

NT1 = {"measure": "NT1", "target_per_quarter": "4", "description": "Local people employed"}


async def submit_return(
    portal: Portal, parties: Parties, contract: dict[str, Any], quantity: str
) -> dict[str, Any]:
    """The supplier's return for this quarter, by the API: one line on the first obligation."""
    async with portal.client("measurement") as measurement:
        submitted = await measurement.post(
            f"/contracts/{contract['contract_id']}/returns",
            headers=parties.headers("supplier"),
            json={
                "period": current_quarter().label,
                "lines": [
                    {
                        "obligation_id": contract["obligations"][0]["obligation_id"],
                        "quantity": quantity,
                    }
                ],
            },
        )
    assert submitted.status_code == 201, submitted.text
    receipt: dict[str, Any] = submitted.json()
    return receipt


async def test_a_buyer_escalates_an_alert_with_a_reason_and_sees_its_escalations(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    contract = await register_contract(portal, parties, [NT1])
    receipt = await submit_return(portal, parties, contract, "1")
    [alert_id] = [a["alert_id"] for a in receipt["assessments"] if a["alert_id"]]

    page = await new_page()
    await sign_in(page, portal, parties.buyer, "buyer")
    await page.goto(f"{portal.ui}#/alerts/{alert_id}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Under delivery: NT1")
    await expect(page.get_by_text("Not escalated: it is with the contract manager")).to_be_visible()

    # The reason is required, and its absence is said beside it.
    escalate = page.get_by_role("button", name="Escalate to Head of procurement")
    await escalate.click()
    reason = page.locator(".field--error").filter(has=page.get_by_label("Why it needs escalating"))
    await expect(reason).to_contain_text("This is required.")
    await page.get_by_label("Why it needs escalating").fill(
        "Third quarter below target and no recovery plan offered."
    )
    await escalate.click()
    await expect(page.get_by_text("Alert escalated to the head of procurement.")).to_be_visible()
    escalations = page.get_by_role("table", name="Escalations of this alert, oldest first")
    first = escalations.get_by_role("row").nth(1)
    await expect(first).to_contain_text("Contract manager")
    await expect(first).to_contain_text("Head of procurement")
    await expect(first).to_contain_text(f"buyer@{parties.buyer}")
    await expect(first).to_contain_text("no recovery plan offered")
    await expect(page.locator("dl.summary")).to_contain_text("Head of procurement (level 2 of 3)")

    # A second tab opened now, then the board is reached from the first.
    stale = await new_page()
    await sign_in(stale, portal, parties.buyer, "buyer")
    await stale.goto(f"{portal.ui}#/alerts/{alert_id}")
    await expect(stale.get_by_role("button", name="Escalate to Board")).to_be_visible()
    await page.get_by_label("Why it needs escalating").fill("The head of procurement asked for it.")
    await page.get_by_role("button", name="Escalate to Board").click()
    await expect(page.get_by_text("Alert escalated to the board.")).to_be_visible()
    await expect(page.get_by_text("already with the board, the top level")).to_be_visible()
    await expect(page.get_by_role("button", name=re.compile("^Escalate to"))).to_have_count(0)
    await expect(escalations.get_by_role("row")).to_have_count(3)
    await screenshot(page, portal, "buyer-alert-escalated")

    # The stale tab is told the alert moved on since it was opened ...
    await stale.get_by_label("Why it needs escalating").fill("Escalating from an old tab.")
    await stale.get_by_role("button", name="Escalate to Board").click()
    refused = stale.get_by_role("alert")
    await expect(refused).to_contain_text("Someone changed this since you opened it")

    # ... and, sending no version at all, the service's refusal (409) in its own words.
    async def without_version(route: Route) -> None:
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "if-match"}
        await route.continue_(headers=headers)

    await stale.route(f"{portal.urls['measurement']}/alerts/*/escalation", without_version)
    await stale.get_by_role("button", name="Escalate to Board").click()
    await expect(stale.get_by_role("alert")).to_contain_text(
        "The alert is already with the board, the top level"
    )
    await screenshot(stale, portal, "buyer-alert-escalation-refused")


async def test_a_supplier_sees_its_track_record_which_starts_empty_and_never_as_a_penalty(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()
    await sign_in(page, portal, parties.supplier, "supplier")
    record = page.locator("h3#track-record + *")
    await expect(record).to_contain_text("New supplier, no record yet")
    await expect(record).to_contain_text("never held against you")

    # A return of 3 FTE against 4, accepted: the record has its best quarter.
    contract = await register_contract(portal, parties, [NT1])
    await submit_return(portal, parties, contract, "3")
    period = current_quarter().label
    path = f"/contracts/{contract['contract_id']}/returns/{period}"
    async with portal.client("measurement") as measurement:
        found = await measurement.get(path, headers=parties.headers("buyer"))
        accepted = await measurement.post(
            f"{path}/acceptance",
            headers={**parties.headers("buyer"), "If-Match": found.headers["ETag"]},
        )
    assert accepted.status_code == 200, accepted.text

    async def best_quarter() -> str | None:
        async with portal.client("commitments") as commitments:
            found = await commitments.get(
                f"/suppliers/{parties.supplier}/track-record", headers=parties.headers("supplier")
            )
        measures = found.json()["measures"] if found.status_code == 200 else []
        return next((m["best_delivered_per_quarter"] for m in measures), None)

    await eventually(best_quarter, until=lambda best: best == "3", what="the track record")
    await page.reload()
    await expect(record).not_to_contain_text("New supplier")
    nt1 = record.get_by_role("row").filter(has_text="NT1")
    await expect(nt1).to_contain_text("3 FTE (CW-2026-001")
    await expect(nt1).to_contain_text("75%")
    await expect(record).to_contain_text("Contracts on record")
    await screenshot(page, portal, "supplier-track-record")


def new_supplier_record(parties: Parties, tender_id: str, bid_id: str) -> dict[str, Any]:
    """The bid's track record as the commitments service gives it for a supplier with none."""
    return {
        "tender_id": tender_id,
        "bid_id": bid_id,
        "supplier": parties.supplier,
        "revision": 1,
        "new_supplier": True,
        "overpromise_multiple": "1.5",
        "as_of": None,
        "commitments": [
            {
                "commitment_id": "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",
                "measure": "NT17",
                "unit": "hours",
                "committed_total": "200",
                "committed_per_quarter": "50",
                "best_delivered_per_quarter": None,
                "best_quarter": None,
                "ratio": None,
                "overpromise": False,
                "message": "a new supplier: no delivery on record to compare with",
                "record": None,
            }
        ],
        "track_record": {
            "supplier": parties.supplier,
            "as_of": None,
            "new_supplier": True,
            "contracts": 0,
            "overall_delivery_ratio": None,
            "measures": [],
            "returns": {"due": 0, "on_time": 0, "late": 0, "missing": 0, "on_time_share": None},
            "alerts": {"open": 0, "resolved": 0},
        },
    }


async def test_a_new_supplier_bid_reads_as_new_never_as_over_promising(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    tender_id = "9d9b3f0e-2f6d-4c61-9d3e-0a1b2c3d4e5f"
    bid_id = "1f1e2d3c-4b5a-4987-8675-abcdefabcdef"
    tender, bid = closed_tender(parties, tender_id, bid_id)
    record = new_supplier_record(parties, tender_id, bid_id)

    async def commitments_api(route: Route) -> None:
        request = route.request
        path = request.url.split(portal.urls["commitments"], 1)[1].split("?")[0]
        answers: dict[str, Any] = {
            f"/tenders/{tender_id}": tender,
            f"/tenders/{tender_id}/bids": [{k: bid[k] for k in bid if k != "commitments"}],
            f"/bids/{bid_id}": bid,
            f"/tenders/{tender_id}/bids/{bid_id}/track-record": record,
            f"/tenders/{tender_id}/evaluations": {
                "tender_id": tender_id,
                "version": 3,
                "basis": "proxy value",
                "quantitative_scores": {bid_id: "100"},
                "evaluations": [],
                "not_yet_evaluated": [bid_id],
            },
        }
        if request.method == "GET" and path in answers:
            await route.fulfill(json=answers[path], headers={"ETag": '"3"'})
        else:
            await route.continue_()

    page = await new_page()
    await page.route(f"{portal.urls['commitments']}/**", commitments_api)
    await sign_in(page, portal, parties.buyer, "buyer")
    await page.goto(f"{portal.ui}#/tenders/{tender_id}")
    await expect(page.get_by_role("heading", level=1, name="Community transport")).to_be_visible()
    beside = page.get_by_role("group", name=f"{parties.supplier}'s track record beside this bid")
    await expect(beside).to_contain_text("New supplier, no record yet")
    await expect(beside).to_contain_text("This is not a penalty")
    await expect(page.get_by_text("Over-promise")).to_have_count(0)
    await screenshot(page, portal, "buyer-bid-new-supplier")
