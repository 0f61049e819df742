"""What each kind of person sees and does in the portal, in a real browser, end to end."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import FilePayload, Route, expect

from tests.browser.conftest import (
    COMMITMENT_ID,
    PageFactory,
    Parties,
    Portal,
    assert_accessible,
    brokerage_knows_obligations,
    closed_tender,
    current_quarter,
    portfolio_delivered,
    register_contract,
    reporting_progress,
    schedule_of,
    screenshot,
    sign_in,
)
from tests.harness import eventually

NT1 = {
    "measure": "NT1",
    "target_per_quarter": "4",
    "description": "Local people employed on the contract",
    "is_kpi": True,
}
NT17 = {"measure": "NT17", "target_per_quarter": "20", "description": "Volunteering for VCFSEs"}
CONTRACT = "CW-2026-001: Highways maintenance"


def text_of(path: Path) -> str:
    """A downloaded file's text."""
    return path.read_text(encoding="utf-8")


def csv_file(content: bytes) -> FilePayload:
    """A CSV file as the browser's file picker would hand it over."""
    return {"name": "return.csv", "mimeType": "text/csv", "buffer": content}


async def test_a_short_return_raises_an_alert_the_buyer_sees_acknowledges_and_resolves(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    contract = await register_contract(portal, parties, [NT1])
    quarter = current_quarter()

    # The contract manager's dashboard before any return: one obligation, not yet assessed.
    buyer = await new_page()
    await sign_in(buyer, portal, parties.buyer, "buyer")
    await expect(buyer.get_by_role("heading", name="Portfolio dashboard")).to_be_visible()
    await expect(buyer.get_by_role("link", name=CONTRACT)).to_be_visible()
    tiles = buyer.get_by_role("list", name="Obligations by RAG status, and open alerts")
    await expect(tiles.get_by_role("listitem").filter(has_text="Not yet assessed")).to_have_text(
        re.compile(r"^\s*1\s*Not yet assessed")
    )
    await expect(tiles.get_by_role("listitem").filter(has_text="Red")).to_have_text(
        re.compile(r"^\s*0\s*Red")
    )

    # The supplier reports 2 FTE against a target of 4: assessed red at once, and alerted.
    supplier = await new_page()
    await sign_in(supplier, portal, parties.supplier, "supplier")
    await expect(supplier.get_by_role("heading", name="Your returns")).to_be_visible()
    await screenshot(supplier, portal, "supplier-returns")
    await supplier.get_by_role("link", name=CONTRACT).click()
    await expect(supplier.get_by_role("heading", name="Returns for CW-2026-001")).to_be_visible()
    await supplier.get_by_label("Delivered in the quarter, in FTE").fill("2")
    await supplier.get_by_label("What happened (optional)").fill(
        "Two apprentices from Bootle started in June."
    )
    await supplier.get_by_label("Evidence references (optional)").fill("payroll extract PX-0042")
    await screenshot(supplier, portal, "supplier-return-form")
    await supplier.get_by_role("button", name="Submit the return").click()
    receipt = supplier.get_by_role("status").filter(has_text="received")
    await expect(receipt).to_contain_text(f"Return for Q{quarter.number} {quarter.label[:7]}")
    await expect(receipt.get_by_role("row").filter(has_text="NT1")).to_contain_text("Red")
    await expect(receipt).to_contain_text("1 alert was raised for the contract manager")
    await screenshot(supplier, portal, "supplier-return-receipt")

    # Once reporting has the assessment, the dashboard's figures have changed.
    await reporting_progress(portal, parties, contract["contract_id"], assessed=True)
    await buyer.reload()
    await expect(tiles.get_by_role("listitem").filter(has_text="Red")).to_have_text(
        re.compile(r"^\s*1\s*Red")
    )
    await expect(tiles.get_by_role("listitem").filter(has_text="Not yet assessed")).to_have_text(
        re.compile(r"^\s*0\s*Not yet assessed")
    )
    await expect(tiles.get_by_role("listitem").filter(has_text="Open alert")).to_have_text(
        re.compile(r"^\s*1\s*Open alert")
    )
    # Each chart is drawn by plotly.js, served by the portal itself.
    await expect(buyer.locator(".chart[data-drawn='true']")).to_have_count(3)
    await expect(buyer.locator(".chart svg.main-svg").first).to_be_visible()
    await screenshot(buyer, portal, "buyer-dashboard")

    # The contract page: committed against delivered, the return's story, and the open alert.
    await buyer.get_by_role("link", name=CONTRACT).click()
    await expect(buyer.get_by_role("heading", level=1, name="Highways maintenance")).to_be_visible()
    figures = buyer.get_by_role("table", name="Each obligation, committed against delivered")
    nt1 = figures.get_by_role("row").filter(has_text="NT1")
    await expect(nt1).to_contain_text("16 FTE")
    await expect(nt1).to_contain_text("4 FTE")
    await expect(nt1).to_contain_text("2 FTE")
    await expect(nt1).to_contain_text("50%")
    await expect(nt1).to_contain_text("Red")
    await expect(buyer.locator(".chart[data-drawn='true']")).to_have_count(1)
    await expect(buyer.locator(".chart svg.main-svg").first).to_be_visible()
    await expect(buyer.get_by_text("Two apprentices from Bootle started in June.")).to_be_visible()
    await expect(buyer.get_by_text("payroll extract PX-0042")).to_be_visible()
    alerts = buyer.get_by_role("table", name="Alerts on this contract")
    await expect(alerts.get_by_role("row").filter(has_text="Under delivery: NT1")).to_contain_text(
        "Open"
    )
    await screenshot(buyer, portal, "buyer-contract")

    # Acknowledge the alert, then resolve it with a remediation plan.
    await alerts.get_by_role("link", name=re.compile(r"Under delivery: NT1")).click()
    await expect(buyer.get_by_role("heading", level=1)).to_contain_text("Under delivery: NT1")
    await buyer.get_by_label("Note (optional)").fill("Asked for a recovery plan this month.")
    await buyer.get_by_role("button", name="Acknowledge").click()
    await expect(
        buyer.get_by_text("Alert acknowledged: it will not escalate further.")
    ).to_be_visible()
    await expect(buyer.get_by_role("heading", name="Acknowledged")).to_be_visible()

    await buyer.get_by_label("How was it resolved?").select_option("remediation_plan_agreed")
    await buyer.get_by_role("button", name="Resolve").click()
    # The API's refusal is shown in words, beside the fields it concerns.
    plan = buyer.locator(".field--error").filter(has=buyer.get_by_label("Remediation plan"))
    await expect(plan).to_contain_text("A remediation plan needs its text")
    when = buyer.locator(".field--error").filter(has=buyer.get_by_label("Plan agreed on"))
    await expect(when).to_contain_text("A remediation plan needs its date")
    await screenshot(buyer, portal, "buyer-alert-with-errors")

    await buyer.get_by_label("Remediation plan").fill("Two more local hires by the end of Q4.")
    await buyer.get_by_label("Plan agreed on").fill(date.today().isoformat())
    await buyer.get_by_role("button", name="Resolve").click()
    await expect(buyer.get_by_text("Alert resolved: Remediation plan agreed.")).to_be_visible()
    await expect(
        buyer.get_by_role("heading", name="Resolved: Remediation plan agreed")
    ).to_be_visible()
    await screenshot(buyer, portal, "buyer-alert-resolved")

    # The contract manager accepts the return: its lines now count as delivered.
    await buyer.get_by_role("link", name="Contract CW-2026-001").click()
    await buyer.get_by_role("button", name="Accept this return").click()
    await expect(buyer.get_by_text(f"The return for Q{quarter.number}")).to_contain_text(
        "was accepted"
    )
    await portfolio_delivered(portal, parties, "NT1", "2")
    await buyer.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    await buyer.get_by_text("By theme and measure: the figures as a table").click()
    by_theme = buyer.get_by_role("table", name="By theme and measure")
    await expect(by_theme.get_by_role("row").filter(has_text="NT1")).to_contain_text("2 FTE")
    await expect(buyer.locator(".chart[data-drawn='true']")).to_have_count(3)
    await screenshot(buyer, portal, "buyer-dashboard-accepted")
    # The exports come from the reporting service, fetched with the person's token.
    export = "Portfolio: each contract, committed against delivered: download as CSV"
    async with buyer.expect_download() as downloading:
        await buyer.get_by_role("button", name=export).click()
    download = await downloading.value
    assert download.suggested_filename == "portfolio.csv"
    assert "CW-2026-001" in text_of(await download.path())

    # The inbox lists the alert among the resolved.
    await buyer.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    await expect(buyer.get_by_role("heading", name="Alerts inbox")).to_be_visible()
    await buyer.get_by_label("Status").select_option("resolved")
    await buyer.get_by_role("button", name="Filter").click()
    inbox = buyer.get_by_role("table", name=re.compile(r"alerts?, oldest first"))
    await expect(inbox.get_by_role("row").filter(has_text="Under delivery: NT1")).to_contain_text(
        "Resolved"
    )
    await screenshot(buyer, portal, "buyer-alerts-inbox")


async def test_an_upload_with_a_bad_row_names_every_bad_row_and_stores_nothing(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    contract = await register_contract(portal, parties, [NT1, NT17])
    page = await new_page()
    await sign_in(page, portal, parties.supplier, "supplier")
    await page.goto(f"{portal.ui}#/returns/{contract['contract_id']}")
    await expect(page.get_by_role("heading", name="Returns for CW-2026-001")).to_be_visible()

    await page.get_by_text("Or upload a CSV or XLSX file").click()
    await page.get_by_label("CSV or XLSX file").set_input_files(
        files=csv_file(
            b"measure,quantity,narrative\n"
            b"NT1,2,Two hires from Bootle\n"
            b"NT17,lots,Volunteering at the food bank\n"
        )
    )
    await page.get_by_role("button", name="Upload the return").click()
    rows = page.get_by_role("table", name=re.compile(r"of the file cannot be taken"))
    await expect(rows.get_by_role("row").filter(has_text="Row 3")).to_contain_text(
        "'lots' is not a number"
    )
    await expect(rows.get_by_role("row").filter(has_text="Row 3")).to_contain_text("quantity")
    await expect(page.get_by_role("alert")).to_contain_text("Row 3, quantity")
    await screenshot(page, portal, "supplier-upload-errors")

    schedule = await schedule_of(portal, parties, contract["contract_id"])
    assert [p["return_version"] for p in schedule["periods"]] == [None] * 4

    # The corrected file goes in, and the receipt says how it was assessed.
    await page.get_by_label("CSV or XLSX file").set_input_files(
        files=csv_file(b"measure,quantity\nNT1,4\nNT17,20\n")
    )
    await page.get_by_role("button", name="Upload the return").click()
    receipt = page.get_by_role("status").filter(has_text="received")
    await expect(receipt).to_contain_text("No alert was raised.")
    await expect(receipt.get_by_role("row").filter(has_text="NT17")).to_contain_text("Green")


async def test_a_queried_return_is_answered_by_amending_it(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    contract = await register_contract(portal, parties, [NT1])
    contract_id = contract["contract_id"]
    period = current_quarter().label
    async with portal.client("measurement") as measurement:
        submitted = await measurement.post(
            f"/contracts/{contract_id}/returns",
            headers=parties.headers("supplier"),
            json={
                "period": period,
                "lines": [
                    {"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "4"}
                ],
            },
        )
    assert submitted.status_code == 201, submitted.text

    buyer = await new_page()
    await sign_in(buyer, portal, parties.buyer, "buyer")
    await buyer.goto(f"{portal.ui}#/contracts/{contract_id}")
    await buyer.get_by_text("Query this return").click()
    await buyer.get_by_label("What do you want the supplier to explain or correct?").fill(
        "Which four people are these, and are they local?"
    )
    await buyer.get_by_role("button", name="Send the query").click()
    await expect(buyer.get_by_text("Your query was sent")).to_be_visible()

    supplier = await new_page()
    await sign_in(supplier, portal, parties.supplier, "supplier")
    await supplier.goto(f"{portal.ui}#/returns/{contract_id}")
    query = supplier.locator(".notice").filter(has_text="The contract manager queried")
    await expect(query).to_contain_text("Which four people are these, and are they local?")
    await supplier.get_by_label("Your answer to the query").fill(
        "Four apprentices, all living in Bootle; payroll extract PX-0043."
    )
    await supplier.get_by_label("Delivered in the quarter, in FTE").fill("3")
    await screenshot(supplier, portal, "supplier-query-to-answer")
    await supplier.get_by_role("button", name="Send the amended return").click()
    await expect(supplier.get_by_text("was amended and assessed again")).to_be_visible()
    sent = supplier.locator("section.card").filter(has_text="Version")
    await expect(sent).to_contain_text("2")
    await expect(sent).to_contain_text("Submitted")


async def test_a_buyer_drafts_and_publishes_a_tender_with_the_60_40_rule_beside_the_form(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()
    await sign_in(page, portal, parties.buyer, "buyer")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Tenders").click()
    await page.get_by_role("link", name="Draft a new tender").click()
    await expect(page.get_by_role("heading", name="The 60:40 rule, and why")).to_be_visible()

    today = date.today()
    await page.get_by_label("Title").fill("Community transport")
    await page.get_by_label("Estimated value (£)").fill("750000")
    await page.get_by_label("Contract starts on").fill((today + timedelta(days=90)).isoformat())
    await page.get_by_label("Contract ends on").fill((today + timedelta(days=455)).isoformat())
    # Closing after the contract starts is refused, and said beside the closing date.
    await page.get_by_label("Bids close on").fill((today + timedelta(days=120)).isoformat())
    await page.get_by_label("VCFSE organisations may bid or partner").check()
    await page.get_by_label("Relevant measures (optional)").fill("NT1, NT10, NT17")
    await page.get_by_role("button", name="Save the draft").click()
    closes = page.locator(".field--error").filter(has=page.get_by_label("Bids close on"))
    await expect(closes).to_contain_text("The tender closes before the contract starts")
    await screenshot(page, portal, "buyer-tender-draft-errors")

    await page.get_by_label("Bids close on").fill((today + timedelta(days=50)).isoformat())
    await page.get_by_role("button", name="Save the draft").click()
    await expect(page.get_by_role("heading", level=1, name="Community transport")).to_be_visible()
    await expect(page.get_by_text("The tender was saved as a draft")).to_be_visible()
    await page.get_by_role("button", name="Publish the tender").click()
    await expect(
        page.get_by_text("Published: suppliers can bid until the closing date.")
    ).to_be_visible()
    await expect(page.get_by_role("definition").filter(has_text="Published").first).to_be_visible()
    await screenshot(page, portal, "buyer-tender")


async def test_guidance_says_what_counts_for_each_measure(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()
    await sign_in(page, portal, parties.supplier, "supplier")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Guidance").click()
    await expect(page.get_by_role("heading", level=1, name="Guidance")).to_be_visible()
    await page.get_by_text("Guidance for NT17: what counts and what evidence to keep").click()
    await expect(
        page.get_by_text("Number of voluntary hours donated to support VCSEs")
    ).to_be_visible()
    await expect(
        page.get_by_text("Timesheets and the organisation's confirmation of the hours")
    ).to_be_visible()
    await screenshot(page, portal, "guidance")


async def test_vcfse_screens_say_plainly_what_is_not_available_yet(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()

    async def brokerage_without_boards(route: Route) -> None:
        response = await route.fetch()
        document = await response.json()
        document["paths"] = {
            path: item
            for path, item in document["paths"].items()
            if not path.startswith(
                ("/board", "/asks", "/matches", "/opportunities", "/organisations")
            )
        }
        await route.fulfill(response=response, json=document)

    await page.route(f"{portal.urls['brokerage']}/openapi.json", brokerage_without_boards)
    await sign_in(page, portal, parties.vcfse, "vcfse")
    await expect(page.get_by_role("heading", level=1, name="Asks and matches")).to_be_visible()
    missing = page.locator(".notice--unavailable").filter(
        has=page.get_by_role("heading", name="Your asks and matches: not available yet")
    )
    await expect(missing).to_contain_text("GET /board on the brokerage service")
    await screenshot(page, portal, "vcfse-not-yet-available")


async def test_a_vcfse_posts_an_ask_accepts_a_match_and_confirms_the_support_delivered(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    contract = await register_contract(
        portal, parties, [{"measure": "NT17", "target_per_quarter": "50", "place": "Liverpool"}]
    )
    await brokerage_knows_obligations(portal, parties)
    today = date.today()

    # The food bank joins the directory and asks for volunteers.
    vcfse = await new_page()
    await sign_in(vcfse, portal, parties.vcfse, "vcfse")
    await expect(vcfse.get_by_role("heading", level=1, name="Join the directory")).to_be_visible()
    await vcfse.get_by_label("Organisation name").fill("North Liverpool Food Bank")
    await vcfse.get_by_label("What kind of organisation").select_option("registered_charity")
    await vcfse.get_by_label("Places you work in").fill("Liverpool, Sefton")
    await vcfse.get_by_label("Charity number").fill("1123456")
    await vcfse.get_by_role("button", name="Join the directory").click()
    await expect(vcfse.get_by_text("You have joined the directory.")).to_be_visible()
    await vcfse.get_by_text("Post a new ask").click()
    await vcfse.get_by_label("Title").fill("Volunteers for the winter food drive")
    await vcfse.get_by_label("What you need and why").fill("Sorting and delivering parcels.")
    await vcfse.get_by_label("Kind of support").select_option("volunteering")
    await vcfse.get_by_label("How much").fill("40")
    await vcfse.get_by_label("Unit").fill("hours")
    await vcfse.get_by_label("Place", exact=True).fill("Liverpool")
    await vcfse.get_by_label("Needed by").fill((today + timedelta(days=30)).isoformat())
    await vcfse.get_by_label("TOMs measures it counts in (optional)").fill("NT17")
    await vcfse.get_by_role("button", name="Post the ask").click()
    await expect(vcfse.get_by_text("Your ask was posted")).to_be_visible()
    asks = vcfse.get_by_role("table", name=re.compile("Asks of"))
    await expect(asks).to_contain_text("Volunteers for the winter food drive")

    # The supplier owing NT17 in Liverpool sees the ask with the reasons it fits, and proposes.
    supplier = await new_page()
    await sign_in(supplier, portal, parties.supplier, "supplier")
    main_nav = supplier.get_by_role("navigation", name="Main")
    await main_nav.get_by_role("link", name="VCFSE partners").click()
    await supplier.get_by_label("Organisation name").fill("Acme Ltd")
    await supplier.get_by_label("Places you work in").fill("Liverpool")
    await supplier.get_by_role("button", name="Join the directory").click()
    fits = supplier.get_by_role("table", name="Asks that fit, best first")
    ask = fits.get_by_role("row").filter(has_text="Volunteers for the winter food drive")
    await expect(ask).to_contain_text("Measure")
    await screenshot(supplier, portal, "supplier-partners")
    await ask.get_by_role("button", name="Propose a match").click()
    await expect(supplier.get_by_text("You proposed a match")).to_be_visible()

    # The food bank accepts; the supplier records what it delivered; the food bank confirms.
    await vcfse.reload()
    await vcfse.get_by_role("button", name="Accept").click()
    await expect(vcfse.get_by_text("You accepted the match.")).to_be_visible()
    await supplier.reload()
    await supplier.get_by_text("Record support you delivered").click()
    await supplier.get_by_label("How much, in hours").fill("25")
    await supplier.get_by_label("Delivered on").fill(today.isoformat())
    await supplier.get_by_label("Note (optional)").fill("Saturday sorting shift")
    await supplier.get_by_role("button", name="Record the delivery").click()
    await expect(supplier.get_by_text("Recorded: the VCFSE organisation is asked")).to_be_visible()

    await vcfse.reload()
    deliveries = vcfse.get_by_role("table", name="Support recorded through this match")
    await expect(deliveries).to_contain_text("Saturday sorting shift")
    await deliveries.get_by_role("button", name="Confirm").click()
    await expect(vcfse.get_by_text("You confirmed the delivery")).to_be_visible()
    await expect(deliveries.get_by_role("row").filter(has_text="25 hours")).to_contain_text(
        "Confirmed"
    )
    await expect(asks.get_by_role("row").filter(has_text="winter food drive")).to_contain_text(
        "25 hours"
    )
    await screenshot(vcfse, portal, "vcfse-board")

    # The supplier returns 30 hours; the contract manager sees 25 of them confirmed by the partner.
    async def corroborated() -> list[object]:
        async with portal.client("measurement") as measurement:
            found = await measurement.get(
                f"/contracts/{contract['contract_id']}/corroborations",
                headers=parties.headers("buyer"),
            )
        return list(found.json()) if found.status_code == 200 else []

    await eventually(corroborated, what="measurement to learn of the confirmed delivery")
    async with portal.client("measurement") as measurement:
        returned = await measurement.post(
            f"/contracts/{contract['contract_id']}/returns",
            headers=parties.headers("supplier"),
            json={
                "period": current_quarter().label,
                "lines": [
                    {"obligation_id": contract["obligations"][0]["obligation_id"], "quantity": "30"}
                ],
            },
        )
    assert returned.status_code == 201, returned.text
    buyer = await new_page()
    await sign_in(buyer, portal, parties.buyer, "buyer")
    await buyer.goto(f"{portal.ui}#/contracts/{contract['contract_id']}")
    lines = buyer.get_by_role("table", name=re.compile(r"^Lines of the .* return"))
    line = lines.get_by_role("row").filter(has_text="NT17")
    await expect(line).to_contain_text("30 hours")
    await expect(line).to_contain_text("25 hours confirmed")
    await expect(line).to_contain_text(f"confirmed by {parties.vcfse}")
    confirmed = buyer.get_by_role("table", name="Deliveries confirmed by VCFSE partners")
    await expect(confirmed.get_by_role("row").filter(has_text=parties.vcfse)).to_contain_text(
        "25 hours"
    )
    await screenshot(buyer, portal, "buyer-contract-corroborated")


async def test_the_dashboard_reads_at_phone_width(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    await register_contract(portal, parties, [NT1])
    page = await new_page(width=390, height=844)
    await sign_in(page, portal, parties.buyer, "buyer")
    await expect(page.get_by_role("link", name=CONTRACT)).to_be_visible()
    await expect(page.locator(".chart[data-drawn='true']")).to_have_count(3)
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    await screenshot(page, portal, "buyer-dashboard-phone")


@pytest.mark.parametrize("role", ["buyer", "supplier", "vcfse", "cvs", "auditor"])
async def test_keyboard_alone_reaches_the_main_content_and_every_screen(
    portal: Portal, parties: Parties, new_page: PageFactory, role: str
) -> None:
    """Every screen of the role's navigation, reached by keyboard and checked with axe-core."""
    page = await new_page()
    await sign_in(page, portal, getattr(parties, role, f"{role}-{parties.buyer}"), role)
    skip = page.get_by_role("link", name="Skip to main content")
    first = await page.evaluate(
        "document.querySelector('a[href], button, input, select, textarea').textContent"
    )
    assert first == "Skip to main content"
    await skip.focus()
    await expect(skip).to_be_in_viewport()
    await page.keyboard.press("Enter")
    await expect(page.locator("#main")).to_be_focused()
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    for index in range(await nav.count()):
        link = nav.nth(index)
        name = (await link.inner_text()).strip()
        await link.focus()
        await page.keyboard.press("Enter")
        await expect(link).to_have_attribute("aria-current", "page")
        await expect(page.get_by_role("heading", level=1)).to_be_focused()
        assert await page.get_by_role("heading", level=1).count() == 1, name
        await assert_accessible(page)


async def test_a_buyer_scores_the_bids_of_a_closed_tender_and_awards_it(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    # A tender closes only after its closing date, which a test cannot wait for: the tender and
    # its bids are played by the test in the browser, and the award answers with a real contract.
    contract = await register_contract(portal, parties, [NT17], title="Community transport")
    tender_id, bid_id = (
        "7d9b3f0e-2f6d-4c61-9d3e-0a1b2c3d4e5f",
        "0f1e2d3c-4b5a-4987-8675-abcdefabcdef",
    )
    commitment_id = COMMITMENT_ID
    tender, bid = closed_tender(
        parties,
        tender_id,
        bid_id,
        vcfse_partner="North Liverpool Food Bank",
        method_statement="A named coordinator; quarterly reports with the food bank.",
    )
    # The supplier delivered at most 20 hours of NT17 in a quarter; the bid offers 50 a quarter.
    best = {
        "delivered": "20",
        "period": "2026-27-Q1",
        "contract_id": contract["contract_id"],
        "reference": "CW-2026-001",
    }
    track_record = {
        "tender_id": tender_id,
        "bid_id": bid_id,
        "supplier": parties.supplier,
        "revision": 1,
        "new_supplier": False,
        "overpromise_multiple": "1.5",
        "as_of": "2027-01-20T10:00:00Z",
        "commitments": [
            {
                "commitment_id": commitment_id,
                "measure": "NT17",
                "unit": "hours",
                "committed_total": "200",
                "committed_per_quarter": "50",
                "best_delivered_per_quarter": "20",
                "best_quarter": best,
                "ratio": "2.5",
                "overpromise": True,
                "message": "this offer is 2.5 times your best delivered rate on NT17",
                "record": None,
            }
        ],
        "track_record": {
            "supplier": parties.supplier,
            "as_of": "2027-01-20T10:00:00Z",
            "new_supplier": False,
            "contracts": 1,
            "overall_delivery_ratio": "0.8",
            "measures": [],
            "returns": {"due": 3, "on_time": 2, "late": 1, "missing": 0, "on_time_share": "0.6667"},
            "alerts": {"open": 1, "resolved": 2},
        },
    }
    sent: dict[str, object] = {}

    async def commitments_api(route: Route) -> None:
        request = route.request
        path = request.url.split(portal.urls["commitments"], 1)[1].split("?")[0]
        if request.method == "GET" and path == f"/tenders/{tender_id}":
            exposed = {"ETag": '"3"', "Access-Control-Expose-Headers": "ETag"}
            await route.fulfill(json=tender, headers=exposed)
        elif request.method == "GET" and path == f"/tenders/{tender_id}/bids":
            await route.fulfill(json=[{k: bid[k] for k in bid if k != "commitments"}])
        elif request.method == "GET" and path == f"/bids/{bid_id}":
            await route.fulfill(json=bid)
        elif request.method == "GET" and path == f"/tenders/{tender_id}/bids/{bid_id}/track-record":
            await route.fulfill(json=track_record)
        elif request.method == "GET" and path == f"/tenders/{tender_id}/evaluations":
            await route.fulfill(
                json={
                    "tender_id": tender_id,
                    "version": 3,
                    "basis": "proxy value",
                    "quantitative_scores": {bid_id: "100"},
                    "evaluations": [],
                    "not_yet_evaluated": [bid_id],
                }
            )
        elif request.method == "PUT" and path == f"/tenders/{tender_id}/evaluations/{bid_id}":
            sent["evaluation"] = request.post_data_json
            sent["evaluation_if_match"] = request.headers.get("if-match")
            await route.fulfill(status=200, json={"bid_id": bid_id})
        elif request.method == "POST" and path == f"/tenders/{tender_id}/award":
            sent["award"] = request.post_data_json
            await route.fulfill(status=201, json=contract)
        else:
            await route.continue_()

    page = await new_page()
    await page.route(f"{portal.urls['commitments']}/**", commitments_api)
    await sign_in(page, portal, parties.buyer, "buyer")
    await page.goto(f"{portal.ui}#/tenders/{tender_id}")
    await expect(page.get_by_role("heading", level=1, name="Community transport")).to_be_visible()
    bids = page.get_by_role("table", name="Bids and their scores")
    await expect(bids.get_by_role("row").filter(has_text=parties.supplier)).to_contain_text("100")
    await expect(page.get_by_role("heading", name="The 60:40 rule, and why")).to_be_visible()
    await expect(
        page.get_by_text("Drivers volunteer with the food bank's deliveries.")
    ).to_be_visible()

    # Beside the commitments, the supplier's track record: an offer above 1.5 times its best.
    record = page.get_by_role("group", name=f"{parties.supplier}'s track record beside this bid")
    nt17 = record.get_by_role("row").filter(has_text="NT17")
    await expect(nt17).to_contain_text("50 hours")
    await expect(nt17).to_contain_text("20 hours (CW-2026-001, 2026-27-Q1)")
    await expect(nt17).to_contain_text("Over-promise")
    await expect(nt17).to_contain_text("2.5 times the supplier's best delivered rate on NT17")
    await expect(record).to_contain_text("2 of 3 (1 late, 0 missing)")

    await page.get_by_text("Score this bid on quality").click()
    await page.get_by_label("Qualitative score, 0 to 100").fill("72")
    await page.get_by_label("Why this score").fill("A credible plan with a named VCFSE partner.")
    await screenshot(page, portal, "buyer-tender-scoring")
    await page.get_by_role("button", name="Record the score").click()
    await expect(
        page.get_by_text(f"Your score for {parties.supplier}'s bid was recorded.")
    ).to_be_visible()
    assert sent["evaluation"] == {
        "qualitative_score": "72",
        "rationale": "A credible plan with a named VCFSE partner.",
    }
    assert sent["evaluation_if_match"] == '"3"'

    await page.get_by_label("Contract reference").fill("CT-2027-004")
    await page.get_by_label(re.compile(r"^NT17: 200 hours")).check()
    await page.get_by_role("button", name="Award", exact=True).click()
    await expect(page.get_by_text("Awarded: the winning bid's commitments")).to_be_visible()
    await expect(page.get_by_text("Contract CW-2026-001", exact=True)).to_be_visible()
    assert sent["award"] == {
        "bid_id": bid_id,
        "reference": "CT-2027-004",
        "return_due_days": "30",
        "kpis": [commitment_id],
    }
