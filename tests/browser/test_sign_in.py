"""Signing in: the development sign-in, and OIDC (authorization code with PKCE) against an
identity provider that the test plays inside the browser."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.async_api import Route, expect
from svledger.auth import issue_dev_token
from svledger.settings import ServiceSettings

from tests.browser.conftest import (
    OIDC_CLIENT_ID,
    OIDC_ISSUER,
    PageFactory,
    Parties,
    Portal,
    screenshot,
)


def s256(verifier: str) -> str:
    """The PKCE code challenge for a verifier (RFC 7636, S256)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def test_oidc_sign_in_runs_the_authorization_code_flow_with_pkce(
    portal: Portal, parties: Parties, new_page: PageFactory
) -> None:
    page = await new_page()
    asked: dict[str, str] = {}
    exchanged: dict[str, str] = {}
    cors = {"Access-Control-Allow-Origin": portal.urls["reporting"]}

    async def identity_provider(route: Route) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if path.endswith("/.well-known/openid-configuration"):
            await route.fulfill(
                json={
                    "issuer": OIDC_ISSUER,
                    "authorization_endpoint": f"{OIDC_ISSUER}/authorize",
                    "token_endpoint": f"{OIDC_ISSUER}/token",
                },
                headers=cors,
            )
        elif path.endswith("/authorize"):
            asked.update({k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()})
            back = {"code": "one-time-code", "state": asked["state"]}
            await route.fulfill(
                status=302, headers={"Location": f"{asked['redirect_uri']}?{urlencode(back)}"}
            )
        elif path.endswith("/token"):
            exchanged.update({k: v[0] for k, v in parse_qs(request.post_data or "").items()})
            token = issue_dev_token(
                ServiceSettings(),
                subject="cm@council",
                organisation=parties.buyer,
                roles=["buyer"],
            )
            body = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
            await route.fulfill(
                body=json.dumps(body), content_type="application/json", headers=cors
            )
        else:
            await route.fulfill(status=404)

    await page.route(f"{OIDC_ISSUER}/**", identity_provider)
    await page.goto(f"{portal.ui}#/sign-in")
    await expect(page.get_by_text(f"You will be sent to {OIDC_ISSUER}")).to_be_visible()
    await screenshot(page, portal, "sign-in")
    await page.get_by_role("button", name="Sign in with your organisation's account").click()

    await expect(page.get_by_text("Signed in as cm@council")).to_be_visible()
    await expect(page.get_by_role("heading", level=1, name="Portfolio dashboard")).to_be_visible()
    assert (asked["response_type"], asked["client_id"], asked["code_challenge_method"]) == (
        "code",
        OIDC_CLIENT_ID,
        "S256",
    )
    assert asked["redirect_uri"] == portal.ui
    assert exchanged["grant_type"] == "authorization_code"
    assert exchanged["code"] == "one-time-code"
    assert s256(exchanged["code_verifier"]) == asked["code_challenge"]
    # The code and state do not linger in the address bar.
    assert "code=" not in page.url
