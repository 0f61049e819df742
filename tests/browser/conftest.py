"""The portal in a real browser: Debian's Chromium driven by Playwright, against the four services
running as processes (as in tests/e2e), with reporting serving the portal under /ui.

Screenshots of each main screen go to ``SVL_SCREENSHOT_DIR`` when it is set, else to a temporary
folder of the session (its path is printed at the end of the run). Each screen photographed is
first checked with axe-core (installed by ``make browser`` into .tools/npm) at WCAG 2.0, 2.1 and
2.2 A and AA, and with the project's own checks of what axe leaves to best practice.

Without Chromium or axe-core the browser tests fail, saying to run ``make browser``; set
``SVL_SKIP_BROWSER=1`` to skip them on purpose instead.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect
from svledger.bus import SERVICES
from svledger.migrate import upgrade
from svledger.periods import Quarter

from tests.conftest import bearer
from tests.e2e.conftest import probe_ready, start_service
from tests.harness import NatsServer, eventually, free_port

CHROMIUM = Path("/usr/bin/chromium")
REPOSITORY = Path(__file__).resolve().parents[2]
AXE = REPOSITORY / ".tools" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
# axe is served to the page as if from the portal itself, so the portal's Content-Security-Policy
# (scripts from 'self' only) stays as strict in the tests as in production.
AXE_PATH = "__tests__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SKIP_BROWSER = "SVL_SKIP_BROWSER"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PORTAL_FACTORY = "reporting.portal.app:create_app"
OIDC_ISSUER = "https://login.example.test/realms/svl"
OIDC_CLIENT_ID = "svl-portal"

# The services answer in milliseconds, but events cross NATS between them and CI machines are
# busy: allow for that.
expect.set_options(timeout=30_000)


@dataclass
class Portal:
    """The running system: each service's base URL, logs, and where screenshots go."""

    urls: dict[str, str]
    logs: dict[str, Path]
    screenshots: Path

    @property
    def ui(self) -> str:
        """The portal's address."""
        return f"{self.urls['reporting']}/ui/"

    def client(self, service: str) -> httpx.AsyncClient:
        """An HTTP client for one service's API."""
        return httpx.AsyncClient(base_url=self.urls[service], timeout=10)


@dataclass
class Parties:
    """A buyer and a supplier of this test's own, so tests sharing the system never meet."""

    buyer: str
    supplier: str
    vcfse: str
    cvs: str

    def headers(self, who: str) -> dict[str, str]:
        """Bearer headers for the buyer, the supplier, the VCFSE or the CVS (each its role)."""
        organisation = getattr(self, who)
        return bearer(organisation, who, subject=f"{who}@{organisation}")


def start_portal(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Reporting with the portal mounted, under uvicorn."""
    command = [sys.executable, "-m", "uvicorn", "--factory", PORTAL_FACTORY]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the screenshots of the main screens go."""
    chosen = os.environ.get("SVL_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nportal screenshots: {folder}")


@pytest.fixture(scope="session")
async def portal(screenshot_dir: Path, chromium: Path, axe_core: Path) -> AsyncIterator[Portal]:
    """NATS and the four services as processes, on SQLite, once for the browser tests (which
    skip or fail, as the browser tier does, before anything starts)."""
    # A folder of our own: pytest prunes old basetemp folders, even under a running session.
    root = Path(tempfile.mkdtemp(prefix="svl-portal-"))
    nats = NatsServer(root / "nats")
    nats.start()
    urls = {service: f"http://127.0.0.1:{free_port()}" for service in SERVICES}
    env = dict(os.environ)
    env.update(
        SVL_NATS_URL=nats.url,
        SVL_ENVIRONMENT="test",
        SVL_LOG_JSON="true",
        SVL_CORS_ORIGINS=json.dumps([urls["reporting"]]),
        # Webhooks may reach a receiver the tests run on this machine (test_webhooks); outside
        # tests only public internet addresses are allowed.
        SVL_MEASUREMENT_WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",
        # An identity provider that only exists inside the browser tests (see test_sign_in).
        SVL_PORTAL_OIDC_ISSUER=OIDC_ISSUER,
        SVL_PORTAL_OIDC_CLIENT_ID=OIDC_CLIENT_ID,
    )
    for service in SERVICES:
        env[f"SVL_PORTAL_{service.upper()}_URL"] = urls[service]
        database = f"sqlite+aiosqlite:///{root / f'{service}.db'}"
        upgrade(service, database)
        env[f"SVL_{service.upper()}_DATABASE_URL"] = database
    logs = {service: root / f"{service}.log" for service in SERVICES}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for service in SERVICES:
            port = int(urls[service].rsplit(":", 1)[1])
            if service == "reporting":
                processes[service] = start_portal(port, env, logs[service])
            else:
                processes[service] = start_service(service, port, env, logs[service])
        for service, process in processes.items():
            await eventually(
                functools.partial(probe_ready, urls[service], process, logs[service]),
                until=lambda status: status == 200,
                timeout_s=90,
                what=f"{service} to be ready",
            )
        yield Portal(urls, logs, screenshot_dir)
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        nats.stop()
        shutil.rmtree(root, ignore_errors=True)


def browser_tier_wanted() -> None:
    """Skip when SVL_SKIP_BROWSER is set; otherwise the browser tier runs or fails, never skips."""
    if os.environ.get(SKIP_BROWSER, "").strip().lower() in ("1", "true", "yes"):
        pytest.skip(f"{SKIP_BROWSER} is set: the browser tests are skipped on purpose")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, installed by `make browser` (tools/ensure-chromium)."""
    browser_tier_wanted()
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}: run `make browser` "
            f"(tools/ensure-chromium), or set {SKIP_BROWSER}=1 to skip them",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_core() -> Path:
    """axe-core's browser build, installed by `make browser` (tools/ensure-axe)."""
    browser_tier_wanted()
    if not AXE.exists():
        pytest.fail(
            f"the browser tests need axe-core at {AXE}: run `make browser` "
            f"(tools/ensure-chromium, which runs tools/ensure-axe), or set {SKIP_BROWSER}=1",
            pytrace=False,
        )
    return AXE


@pytest.fixture(scope="session")
async def browser(chromium: Path, axe_core: Path) -> AsyncIterator[Browser]:
    """Chromium, headless; Playwright's own browser download is never used."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@dataclass
class BrowserErrors:
    """Uncaught script errors and Content-Security-Policy refusals seen by a page."""

    seen: list[str]


@pytest.fixture
async def context_errors() -> BrowserErrors:
    """Collects what went wrong in the pages of one test."""
    return BrowserErrors([])


PageFactory = Callable[..., Awaitable[Page]]


@pytest.fixture
async def new_page(browser: Browser, context_errors: BrowserErrors) -> AsyncIterator[PageFactory]:
    """Opens pages (one per person in the test), each in a context of its own."""
    contexts = []

    async def open_page(width: int = 1280, height: int = 900) -> Page:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="en-GB", timezone_id="Europe/London"
        )
        contexts.append(context)
        await context.route(f"**/ui/{AXE_PATH}", serve_axe)
        page = await context.new_page()
        page.on("pageerror", lambda error: context_errors.seen.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                context_errors.seen.append(f"console: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        await context.close()
    assert context_errors.seen == [], context_errors.seen


async def serve_axe(route: Route) -> None:
    """axe-core, answered by the test from .tools/npm: it never reaches the portal."""
    await route.fulfill(path=AXE, content_type="text/javascript; charset=utf-8")


@pytest.fixture
def parties() -> Parties:
    """Organisations of this test's own."""
    suffix = uuid.uuid4().hex[:8]
    return Parties(
        buyer=f"council-{suffix}",
        supplier=f"acme-{suffix}",
        vcfse=f"foodbank-{suffix}",
        cvs=f"sefton-cvs-{suffix}",
    )


# ---- what a test does as a person --------------------------------------------------------------


async def sign_in(page: Page, portal: Portal, organisation: str, role: str) -> None:
    """The development sign-in, as a person would use it."""
    await page.goto(f"{portal.ui}#/sign-in")
    await expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    await page.get_by_label("Organisation", exact=True).fill(organisation)
    await page.get_by_label("Role", exact=True).select_option(role)
    await page.get_by_label("Your user id (optional)").fill(f"{role}@{organisation}")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_text(f"Signed in as {role}@{organisation}")).to_be_visible()
    # The first screen is drawn once its heading takes focus.
    await expect(page.get_by_role("heading", level=1)).to_be_focused()


async def screenshot(page: Page, portal: Portal, name: str) -> Path:
    """A full-page screenshot of the screen as it stands, after checking its accessibility."""
    await assert_accessible(page)
    path = portal.screenshots / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


ACCESSIBILITY_CHECK = Path(__file__).with_name("accessibility.js").read_text()


AXE_RUN = """async (tags) => {
  // Let layout settle (tables mark themselves scrollable once laid out) before checking.
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const result = await window.axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    url: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(" "), html: n.html, why: n.failureSummary,
    })),
  }));
}"""


async def assert_accessible(page: Page) -> None:
    """No axe-core violation at WCAG 2.0, 2.1 and 2.2 A and AA, and the project's own basics."""
    await assert_no_axe_violations(page)
    await assert_accessibility_basics(page)


async def assert_no_axe_violations(page: Page) -> None:
    """axe-core on the screen as it stands; on failure, every violation and where it is."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(url=urljoin(page.url, AXE_PATH))
    violations: list[dict[str, Any]] = await page.evaluate(AXE_RUN, AXE_TAGS)
    assert violations == [], describe_violations(page.url, violations)


def describe_violations(url: str, violations: list[dict[str, Any]]) -> str:
    """axe's findings as lines a person can act on."""
    lines = [f"axe-core found {len(violations)} WCAG A/AA violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} [{v['url']}]")
        for node in v["nodes"][:10]:
            why = " ".join(str(node["why"]).split())
            lines.append(f"    at {node['target']}: {node['html'][:160]}\n      {why}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


async def assert_accessibility_basics(page: Page) -> None:
    """What axe leaves to best practice, checked as rules here: one h1 and headings in order;
    and names for controls, images and links, unique ids, a page language and text contrast
    of at least 4.5:1 (3:1 for large text), which axe checks too."""
    problems: list[str] = await page.evaluate(ACCESSIBILITY_CHECK)
    assert problems == [], "\n".join(problems)


# ---- arranging data through the APIs -------------------------------------------------------------


def current_quarter(today: date | None = None) -> Quarter:
    """The financial-year quarter running today: it has started, so a return can be made."""
    return Quarter.containing(today or date.today())


async def register_contract(
    portal: Portal,
    parties: Parties,
    obligations: list[dict[str, Any]],
    reference: str = "CW-2026-001",
    title: str = "Highways maintenance",
) -> dict[str, Any]:
    """A contract the buyer let, starting this quarter, once measurement knows it."""
    quarter = current_quarter()
    async with portal.client("commitments") as commitments:
        created = await commitments.post(
            "/contracts",
            headers=parties.headers("buyer"),
            json={
                "reference": reference,
                "title": title,
                "supplier": parties.supplier,
                "starts_on": quarter.starts.isoformat(),
                "ends_on": (quarter.starts + timedelta(days=364)).isoformat(),
                "value_gbp": "1200000",
                "places": ["Liverpool"],
                "obligations": obligations,
            },
        )
    assert created.status_code == 201, created.text
    contract: dict[str, Any] = created.json()
    await schedule_of(portal, parties, contract["contract_id"])
    return contract


async def schedule_of(portal: Portal, parties: Parties, contract_id: str) -> dict[str, Any]:
    """The contract's return schedule, once measurement has learned the contract."""

    async def probe() -> dict[str, Any] | None:
        async with portal.client("measurement") as measurement:
            found = await measurement.get(
                f"/contracts/{contract_id}/schedule", headers=parties.headers("supplier")
            )
        return found.json() if found.status_code == 200 else None

    schedule = await eventually(probe, what="measurement to learn the contract")
    assert schedule is not None
    return schedule


async def reporting_progress(
    portal: Portal, parties: Parties, contract_id: str, *, assessed: bool
) -> dict[str, Any]:
    """The contract's progress in reporting, once it has (or has not yet) an assessment."""

    async def probe() -> dict[str, Any] | None:
        async with portal.client("reporting") as reporting:
            found = await reporting.get(
                f"/contracts/{contract_id}/progress", headers=parties.headers("buyer")
            )
        return found.json() if found.status_code == 200 else None

    def ready(progress: dict[str, Any] | None) -> bool:
        if progress is None:
            return False
        delivered = [o["delivered_to_date"] for o in progress["obligations"]]
        return all(d is not None for d in delivered) if assessed else True

    progress = await eventually(probe, until=ready, what="reporting to show the contract")
    assert progress is not None
    return progress


async def brokerage_knows_obligations(portal: Portal, parties: Parties) -> list[dict[str, Any]]:
    """What the supplier owes, once the brokerage has learned its contracts."""

    async def probe() -> list[dict[str, Any]]:
        async with portal.client("brokerage") as brokerage:
            found = await brokerage.get("/obligations", headers=parties.headers("supplier"))
        return list(found.json()) if found.status_code == 200 else []

    return await eventually(probe, what="the brokerage to learn what the supplier owes")


async def portfolio_delivered(
    portal: Portal, parties: Parties, measure: str, delivered: str
) -> None:
    """Wait until the buyer's portfolio by theme counts ``delivered`` of ``measure``."""

    async def probe() -> list[str]:
        async with portal.client("reporting") as reporting:
            found = await reporting.get("/portfolio/by/theme", headers=parties.headers("buyer"))
        if found.status_code != 200:
            return []
        groups = found.json()["groups"]
        return [m["delivered"] for g in groups for m in g["measures"] if m["measure"] == measure]

    await eventually(probe, until=lambda d: d == [delivered], what=f"{measure} delivered")


# The one commitment of the bid in closed_tender.
COMMITMENT_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"


def closed_tender(
    parties: Parties,
    tender_id: str,
    bid_id: str,
    *,
    vcfse_partner: str | None = None,
    method_statement: str = "A named coordinator.",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A closed tender with one bid of 200 hours of NT17: played by the test, since a test cannot
    wait for a real closing date."""
    tender = {
        "tender_id": tender_id,
        "version": 3,
        "buyer": parties.buyer,
        "status": "closed",
        "framework_version": "cm-toms-2023",
        "title": "Community transport",
        "description": "Door-to-door transport for older people.",
        "estimated_value_gbp": "750000",
        "contract_starts_on": "2027-04-01",
        "contract_ends_on": "2028-03-31",
        "social_value_weighting": "10",
        "qualitative_weight": "60",
        "quantitative_weight": "40",
        "relevant_measures": ["NT17"],
        "places": ["Liverpool"],
        "vcfse_relevant": True,
        "closes_on": "2027-01-15",
        "warnings": [],
        "published_on": "2026-11-01",
        "closed_on": "2027-01-16",
        "cancellation": None,
        "award": None,
    }
    bid = {
        "bid_id": bid_id,
        "version": 1,
        "tender_id": tender_id,
        "supplier": parties.supplier,
        "buyer": parties.buyer,
        "status": "submitted",
        "framework_version": "cm-toms-2023",
        "revision": 1,
        "submitted_on": "2027-01-10",
        "commitments": [
            {
                "commitment_id": COMMITMENT_ID,
                "measure": "NT17",
                "theme": "Growth",
                "outcome": "More opportunities for local MSMEs and VCSEs",
                "unit": "hours",
                "quantity": "200",
                "profile": {"kind": "even", "weights": {}},
                "targets": {},
                "place": "Liverpool",
                "vcfse_partner": vcfse_partner,
                "narrative": "Drivers volunteer with the food bank's deliveries.",
                "proxy_value_gbp_per_unit": None,
                "proxy_value_gbp": None,
            }
        ],
        "method_statement": method_statement,
        "additionality_declared": True,
        "total_proxy_value_gbp": None,
        "proxy_value_share": None,
        "warnings": [],
        "fully_proxied": False,
        "withdrawal": None,
        "evaluation": None,
    }
    return tender, bid
