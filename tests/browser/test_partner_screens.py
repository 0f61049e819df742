"""The Partner VCFSE screens in a real browser: an organisation's pledge and policy, suppliers'
offers, and local needs analyses, each against the running services."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import (
    PageFactory,
    Parties,
    Portal,
    brokerage_knows_obligations,
    register_contract,
    screenshot,
    sign_in,
)


def error_beside(page: Page, label: str) -> Locator:
    """The field (or group of fields) labelled ``label``, marked as in error."""
    return page.locator(".field--error").filter(has=page.get_by_label(label, exact=True))


async def go_to(page: Page, link: str) -> None:
    """Follow a link of the main navigation and wait for its screen."""
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    await expect(page.get_by_role("heading", level=1)).to_be_focused()


async def test_a_supplier_makes_and_revises_its_pledge_and_records_its_policy(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()
    await sign_in(page, portal, parties.supplier, "supplier")
    await go_to(page, "Pledge and policy")
    await expect(page.get_by_role("heading", level=1, name="Pledge and policy")).to_be_visible()
    await expect(page.get_by_text("has not made a Partner VCFSE pledge yet")).to_be_visible()

    # A baseline without targets is refused, and said beside the targets.
    await page.get_by_label("Base year", exact=True).fill("2025-26")
    baseline = page.get_by_role("group", name="Baseline in the base year")
    await baseline.get_by_label(re.compile(r"^NT14")).fill("10000")
    await baseline.get_by_label(re.compile(r"^NT17")).fill("500")
    await page.get_by_role("button", name="Make the pledge").click()
    targets = page.get_by_role("group", name="Targets for the years after")
    await expect(targets).to_contain_text("Set targets for at least one following year")
    await expect(page.get_by_role("alert")).to_contain_text("Targets for the years after")
    await screenshot(page, portal, "supplier-pledge-errors")

    year_one = page.get_by_role("group", name="Targets, year 1 after the base year")
    await year_one.get_by_label("Financial year 1").fill("2026-27")
    await year_one.get_by_label(re.compile(r"^NT14")).fill("12000")
    await year_one.get_by_label(re.compile(r"^NT17")).fill("600")
    year_two = page.get_by_role("group", name="Targets, year 2 after the base year")
    await year_two.get_by_label("Financial year 2").fill("2027-28")
    await year_two.get_by_label(re.compile(r"^NT14")).fill("9000")
    await page.get_by_role("button", name="Make the pledge").click()
    await expect(page.get_by_text("Your pledge was made.")).to_be_visible()
    # A falling target is recorded, with a warning rather than a refusal.
    await expect(page.locator(".notice").filter(has_text="Points to note")).to_contain_text(
        "NT14 falls from 12000 in 2026-27 to 9000"
    )
    figures = page.get_by_role("table", name=re.compile(r"^Baseline in 2025-26 and targets"))
    nt14 = figures.get_by_role("row").filter(has_text="NT14")
    await expect(nt14).to_contain_text("10,000")
    await expect(nt14).to_contain_text("12,000")
    await expect(nt14).to_contain_text("9,000")

    # Revising needs a reason; the earlier version is kept.
    await page.get_by_text("Revise your pledge").click()
    revise = page.get_by_role("form", name="Revise your pledge")
    year_two = revise.get_by_role("group", name="Targets, year 2 after the base year")
    await year_two.get_by_label(re.compile(r"^NT14")).fill("15000")
    await revise.get_by_role("button", name="Save the revised pledge").click()
    await expect(error_beside(page, "Why you are revising the pledge")).to_contain_text(
        "Say why the pledge is revised"
    )
    await page.get_by_label("Why you are revising the pledge").fill(
        "Our board agreed to grow VCFSE spend every year."
    )
    await revise.get_by_role("button", name="Save the revised pledge").click()
    await expect(page.get_by_text("Your pledge was revised")).to_be_visible()
    await expect(page.get_by_text("Points to note")).to_have_count(0)
    await expect(figures.get_by_role("row").filter(has_text="NT14")).to_contain_text("15,000")
    await expect(page.get_by_text("Earlier versions of the pledge")).to_be_visible()

    # The policy: an unknown measure is refused beside the measures.
    await page.get_by_label("Why social value matters to your organisation").fill(
        "We want our spending to strengthen the communities we work in."
    )
    await page.get_by_label("Priority measures (optional)").fill("NT14, NT999")
    await page.get_by_role("button", name="Record the policy").click()
    await expect(error_beside(page, "Priority measures (optional)")).to_contain_text(
        "'NT999' is not a measure"
    )
    await page.get_by_label("Priority measures (optional)").fill("NT14, NT17")
    await page.get_by_role("button", name="Record the policy").click()
    await expect(page.get_by_text("Your social value policy was recorded.")).to_be_visible()
    await expect(page.get_by_text("We want our spending to strengthen")).to_be_visible()
    policy = page.locator("dl.summary").filter(has_text="Priority measures")
    await expect(policy).to_contain_text("NT14, NT17")
    await screenshot(page, portal, "supplier-pledge-and-policy")

    phone = await new_page(width=390, height=844)
    await sign_in(phone, portal, parties.supplier, "supplier")
    await phone.goto(f"{portal.ui}#/pledge")
    await expect(phone.get_by_role("heading", level=1, name="Pledge and policy")).to_be_visible()
    await expect(phone.get_by_text("Revise your pledge")).to_be_visible()
    overflow = await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"
    await screenshot(phone, portal, "supplier-pledge-phone")


async def test_a_supplier_posts_an_offer_towards_an_obligation_a_vcfse_finds_it(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    await register_contract(
        portal, parties, [{"measure": "NT17", "target_per_quarter": "50", "place": "Liverpool"}]
    )
    await brokerage_knows_obligations(portal, parties)
    title = f"Volunteers for food banks {uuid.uuid4().hex[:6]}"

    supplier = await new_page()
    await sign_in(supplier, portal, parties.supplier, "supplier")
    await go_to(supplier, "Offers")
    await expect(supplier.get_by_text("You have not posted an offer yet.")).to_be_visible()
    await supplier.get_by_label("Title").fill(title)
    await supplier.get_by_label("What you offer and how to use it").fill(
        "Staff volunteer a day a month: sorting, packing and driving."
    )
    await supplier.get_by_label("Kind of support").select_option("volunteering")
    await supplier.get_by_label("TOMs measures it counts in").fill("NT17")
    await supplier.get_by_label("Places (optional)").fill("Atlantis")
    await supplier.get_by_label("Quantity").fill("100")
    await supplier.get_by_role("button", name="Post the offer").click()
    # Every problem is said beside its own field.
    await expect(error_beside(supplier, "Places (optional)")).to_contain_text(
        "'Atlantis' is not a known place"
    )
    await expect(error_beside(supplier, "Unit")).to_contain_text(
        "Give a quantity and its unit together"
    )
    await screenshot(supplier, portal, "supplier-offer-errors")

    await supplier.get_by_label("Places (optional)").fill("Liverpool")
    await supplier.get_by_label("Unit").fill("hours")
    towards = supplier.get_by_label("Towards one of your obligations (optional)")
    await expect(towards.locator("option").nth(1)).to_contain_text("CW-2026-001: NT17")
    await towards.select_option(index=1)
    await supplier.get_by_role("button", name="Post the offer").click()
    await expect(supplier.get_by_text(f"Your offer “{title}” was posted")).to_be_visible()
    yours = supplier.get_by_role("table", name="Your offers, open and withdrawn")
    row = yours.get_by_role("row").filter(has_text=title)
    await expect(row).to_contain_text("CW-2026-001: NT17")
    await expect(row).to_contain_text("100 hours")
    await expect(row).to_contain_text("Open")
    await screenshot(supplier, portal, "supplier-offers")

    # A VCFSE organisation browses open offers by place.
    vcfse = await new_page()
    await sign_in(vcfse, portal, parties.vcfse, "vcfse")
    await go_to(vcfse, "Offers")
    listed = vcfse.get_by_role("table", name=re.compile(r"open offers?, newest first"))
    await expect(listed.get_by_role("row").filter(has_text=title)).to_contain_text(parties.supplier)
    await vcfse.get_by_label("Place").fill("Sefton")
    await vcfse.get_by_role("button", name="Filter").click()
    await expect(vcfse.get_by_label("Place")).to_have_value("Sefton")
    await expect(vcfse.get_by_text(title)).to_have_count(0)
    await vcfse.get_by_label("Place").fill("Liverpool")
    await vcfse.get_by_role("button", name="Filter").click()
    await expect(listed.get_by_role("row").filter(has_text=title)).to_be_visible()
    await screenshot(vcfse, portal, "vcfse-offers")

    # The supplier withdraws it: it stays listed as withdrawn, and leaves the open offers.
    await supplier.get_by_text(f"Withdraw “{title}”").click()
    await supplier.get_by_label("Why (optional)").fill("The volunteering day moved to spring.")
    await supplier.get_by_role("button", name="Withdraw the offer").click()
    await expect(supplier.get_by_text(f"The offer “{title}” was withdrawn")).to_be_visible()
    await expect(yours.get_by_role("row").filter(has_text=title)).to_contain_text("Withdrawn")
    await vcfse.reload()
    await expect(vcfse.get_by_role("heading", level=1, name="Offers")).to_be_visible()
    await expect(vcfse.get_by_text(title)).to_have_count(0)


async def test_a_cvs_publishes_its_local_needs_and_a_vcfse_reads_them(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    suffix = uuid.uuid4().hex[:6]
    food, lonely = f"Food poverty reduced {suffix}", f"Loneliness reduced {suffix}"

    cvs = await new_page()
    await sign_in(cvs, portal, parties.cvs, "cvs")
    await go_to(cvs, "Local needs")
    await expect(cvs.get_by_role("heading", level=1, name="Local needs")).to_be_visible()
    await expect(cvs.get_by_text("has not published a local needs analysis yet")).to_be_visible()
    await cvs.get_by_label("Title of the analysis").fill(f"Sefton local needs {suffix}")
    first = cvs.get_by_role("group", name="Need 1")
    await first.get_by_label("Place").fill("Sefton")
    await first.get_by_label("Outcome needed").fill(food)
    await first.get_by_label("Priority").select_option("high")
    await cvs.get_by_role("button", name="Add another need").click()
    second = cvs.get_by_role("group", name="Need 2")
    await expect(second.get_by_label("Place")).to_be_focused()
    await second.get_by_label("Place").fill("Sefton")
    await second.get_by_label("Outcome needed").fill(food.lower())
    await cvs.get_by_role("button", name="Publish the analysis").click()
    # The same place and outcome twice is refused, and said on the second need.
    await expect(cvs.locator(".field--error").filter(has_text="Need 2").first).to_contain_text(
        "appear twice"
    )
    await expect(cvs.get_by_role("alert")).to_contain_text("Need 2")
    await screenshot(cvs, portal, "cvs-local-needs-errors")

    await second.get_by_label("Outcome needed").fill(lonely)
    await second.get_by_label("Priority").select_option("medium")
    await second.get_by_label("Note (optional)").fill("Older people in Bootle and Netherton.")
    await cvs.get_by_role("button", name="Publish the analysis").click()
    await expect(cvs.get_by_text("was published with 2 needs")).to_be_visible()
    published = cvs.get_by_role("table", name=re.compile(r"needs?, highest priority first"))
    await expect(published.get_by_role("row").filter(has_text=food)).to_contain_text("High")
    await expect(published.get_by_role("row").filter(has_text=lonely)).to_contain_text(parties.cvs)
    await screenshot(cvs, portal, "cvs-local-needs")

    # Anyone signed in reads them, and filters by priority.
    vcfse = await new_page()
    await sign_in(vcfse, portal, parties.vcfse, "vcfse")
    await go_to(vcfse, "Local needs")
    publish = vcfse.get_by_role("form", name="Publish your local needs analysis")
    await expect(publish).to_have_count(0)
    await vcfse.get_by_label("Priority").select_option("high")
    await vcfse.get_by_role("button", name="Filter").click()
    await expect(vcfse.get_by_label("Priority")).to_have_value("high")
    await expect(vcfse.get_by_role("row").filter(has_text=food)).to_contain_text("High")
    await expect(vcfse.get_by_text(lonely)).to_have_count(0)
    await screenshot(vcfse, portal, "vcfse-local-needs")


@pytest.mark.parametrize(
    ("role", "screen", "title"),
    [
        ("supplier", "offers", "Offers"),
        ("buyer", "local-needs", "Local needs"),
        ("buyer", "webhooks", "Webhooks"),
    ],
)
async def test_the_partner_screens_read_at_phone_width(
    portal: Portal, parties: Parties, new_page: PageFactory, role: str, screen: str, title: str
) -> None:
    page = await new_page(width=390, height=844)
    await sign_in(page, portal, getattr(parties, role), role)
    await page.goto(f"{portal.ui}#/{screen}")
    await expect(page.get_by_role("heading", level=1, name=title)).to_be_focused()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{screen} scrolls sideways by {overflow}px at phone width"
    await screenshot(page, portal, f"{role}-{screen}-phone")
