"""Webhook signatures, retry timing, where webhooks may be sent, and secrets sealed at rest."""

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from measurement.adapters.webhook_secrets import SecretBox, SecretUnreadable
from measurement.adapters.webhook_targets import TargetRefused, WebhookTargets
from measurement.domain.webhooks import (
    IPAddress,
    address_problem,
    next_attempt,
    payload,
    scheme_problem,
    sign,
    verify,
)
from measurement.settings import DEV_WEBHOOK_SECRET_KEY, MeasurementSettings
from pydantic import ValidationError


def test_a_signature_is_hmac_sha256_of_the_body_and_fails_for_any_change() -> None:
    body = payload("d-1", {"type": "AlertRaised", "data": {"ratio": "0.5000"}})

    signature = sign("whsec_test", body)

    assert signature.startswith("sha256=")
    assert len(signature) == 7 + 64
    assert verify("whsec_test", body, signature)
    assert not verify("whsec_other", body, signature)
    assert not verify("whsec_test", body.replace(b"0.5000", b"0.9000"), signature)


def test_retries_back_off_then_stop_after_the_last_attempt() -> None:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    backoff = (5.0, 30.0)

    assert next_attempt(now, 1, backoff, 4) == now + timedelta(seconds=5)
    assert next_attempt(now, 3, backoff, 4) == now + timedelta(seconds=30)
    assert next_attempt(now, 4, backoff, 4) is None


# -- where webhooks may go ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "named"),
    [
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 wrapping 127.0.0.1
        ("169.254.169.254", "a link-local address"),  # cloud metadata services
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("192.0.2.10", "a private address"),  # documentation range
        ("100.64.0.1", "not a public internet address"),  # carrier-grade NAT
    ],
)
def test_webhooks_never_go_to_addresses_off_the_public_internet(address: str, named: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == named


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_webhooks_go_to_public_internet_addresses(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_plain_http_only_where_allowed() -> None:
    assert scheme_problem("https", allow_http=False) is None
    assert scheme_problem("http", allow_http=True) is None
    assert scheme_problem("http", allow_http=False) == "webhook URLs must use https"
    assert scheme_problem("ftp", allow_http=True) == "webhook URLs must use https, not ftp"


async def test_a_host_name_is_judged_by_every_address_it_resolves_to() -> None:
    answers = {"mixed.example": ["93.184.216.34", "10.0.0.7"], "public.example": ["8.8.8.8"]}

    async def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in answers[host]]

    targets = WebhookTargets(allow_http=False, allow_private_networks=False, resolve=resolver)

    with pytest.raises(TargetRefused, match=r"mixed.example resolves to 10.0.0.7, a private"):
        await targets.check("https://mixed.example/hooks")
    with pytest.raises(TargetRefused, match="must use https"):
        await targets.check("http://public.example/hooks")
    checked = await targets.check("https://public.example:8443/hooks?x=1")
    assert str(checked.at(checked.addresses[0])) == "https://8.8.8.8:8443/hooks?x=1"
    assert checked.host_header == "public.example:8443"


# -- secrets at rest ------------------------------------------------------------------------


def test_a_sealed_secret_opens_only_with_its_key_and_survives_a_rotation() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox(old_key).seal("whsec_abc")

    assert "whsec_abc" not in sealed
    assert SecretBox(old_key).open(sealed) == "whsec_abc"
    with pytest.raises(SecretUnreadable):
        SecretBox(new_key).open(sealed)
    rotated = SecretBox(new_key, [old_key])
    assert rotated.open(sealed) == "whsec_abc"
    assert SecretBox(new_key).open(rotated.reseal(sealed)) == "whsec_abc"
    # Stored before sealing existed: read as it is, until the dispatcher seals it.
    assert SecretBox(new_key).open("whsec_legacy") == "whsec_legacy"


def test_production_refuses_the_development_webhook_key() -> None:
    strong: dict[str, Any] = {"environment": "production", "jwt_secret": "s" * 40}
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET_KEY is the development key"):
        MeasurementSettings(**strong)
    with pytest.raises(ValidationError, match="must be a Fernet key"):
        MeasurementSettings(webhook_secret_key="not-a-key")
    own = Fernet.generate_key().decode()
    settings = MeasurementSettings(**strong, webhook_secret_key=own)
    assert settings.webhook_secret_key == own
    assert settings.webhooks_may_use_http is False
    assert settings.webhook_allow_private_networks is False
    assert MeasurementSettings(environment="test").webhooks_may_use_http is True
    assert MeasurementSettings(environment="development").webhook_secret_key == (
        DEV_WEBHOOK_SECRET_KEY
    )
