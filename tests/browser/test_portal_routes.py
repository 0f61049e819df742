"""The portal's own routes, without a browser: config, development sign-in, files, plotly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from fastapi import FastAPI
from reporting.portal import PortalSettings, mount
from svledger.settings import ServiceSettings
from svledger.web import install_problem_handlers

STRONG_SECRET = "a-production-secret-of-at-least-32-characters"


async def client_for(
    settings: ServiceSettings, portal: PortalSettings | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    mount(app, settings, portal)
    routes = len(app.routes)
    mount(app, settings, portal)  # mounting again changes nothing
    assert len(app.routes) == routes
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://portal.test:8104") as c:
        yield c


@pytest.fixture
async def development() -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(ServiceSettings(environment="development")):
        yield client


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(environment="production", jwt_secret=STRONG_SECRET)
    portal = PortalSettings(
        oidc_issuer="https://login.example.org/realms/svl/", oidc_client_id="svl-portal"
    )
    async for client in client_for(settings, portal):
        yield client


async def test_development_sign_in_issues_a_token_for_the_organisation_and_role_chosen(
    development: httpx.AsyncClient,
) -> None:
    response = await development.post(
        "/ui/dev-token", json={"organisation": "council-a", "role": "buyer"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert (claims["org"], claims["roles"], claims["sub"]) == (
        "council-a",
        ["buyer"],
        "buyer@council-a",
    )
    assert response.headers["cache-control"] == "no-store"


async def test_development_sign_in_refuses_an_unknown_role_naming_the_field(
    development: httpx.AsyncClient,
) -> None:
    response = await development.post(
        "/ui/dev-token", json={"organisation": "council-a", "role": "mayor"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["role"]


async def test_production_answers_404_to_development_sign_in_and_offers_oidc(
    production: httpx.AsyncClient,
) -> None:
    refused = await production.post(
        "/ui/dev-token", json={"organisation": "council-a", "role": "admin"}
    )
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    config = (await production.get("/ui/config.json")).json()
    assert config["sign_in"]["development"] is False
    assert config["sign_in"]["oidc"] == {
        "issuer": "https://login.example.org/realms/svl",
        "client_id": "svl-portal",
        "scope": "openid profile email",
    }


async def test_config_points_the_browser_at_each_service_on_the_host_it_used(
    development: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SVL_BROKERAGE_PORT", "9103")
    monkeypatch.setenv("SVL_PORTAL_MEASUREMENT_URL", "https://measurement.example.org/")
    async for client in client_for(ServiceSettings(environment="development")):
        services = (await client.get("/ui/config.json")).json()["services"]
    assert services == {
        "commitments": "http://portal.test:8101",
        "measurement": "https://measurement.example.org",
        "brokerage": "http://portal.test:9103",
        "reporting": "http://portal.test:8104",
    }


async def test_the_page_is_served_with_a_policy_that_allows_only_the_services(
    development: httpx.AsyncClient,
) -> None:
    assert (await development.get("/ui")).headers["location"] == "/ui/"
    page = await development.get("/ui/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="js/main.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self' http://portal.test:8101 http://portal.test:8102" in policy


async def test_plotly_is_served_from_the_installed_package(
    development: httpx.AsyncClient,
) -> None:
    response = await development.get("/ui/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "plotly.js v" in response.text[:200]


@pytest.mark.parametrize(
    "path", ["/ui/../routes.py", "/ui/%2e%2e/routes.py", "/ui/js/nothing.js", "/ui/js"]
)
async def test_nothing_outside_the_portal_files_is_served(
    development: httpx.AsyncClient, path: str
) -> None:
    response = await development.get(path)
    assert response.status_code == 404
