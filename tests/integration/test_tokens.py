"""Bearer tokens: what is refused, and JWKS keys that rotate without a restart."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from svledger.auth import TokenVerifier
from svledger.errors import Unauthorized
from svledger.settings import DEV_SECRET, ServiceSettings

ISSUER, AUDIENCE = "https://id.example.test", "social-value-ledger"


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "sub": "cm@council-a",
        "org": "council-a",
        "roles": ["buyer"],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return base


def hs_verifier() -> TokenVerifier:
    return TokenVerifier(
        ServiceSettings(jwt_secret=DEV_SECRET, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    )


def hs(payload: dict[str, Any], secret: str = DEV_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


async def test_a_valid_token_names_the_caller() -> None:
    principal = await hs_verifier().verify(hs(claims()))
    assert (principal.subject, principal.organisation) == ("cm@council-a", "council-a")
    assert {r.value for r in principal.roles} == {"buyer"}


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (claims(exp=int(time.time()) - 10), "expired"),
        (claims(nbf=int(time.time()) + 3600), "not yet valid"),
        (claims(aud="another-api"), "audience"),
        (claims(iss="https://evil.example.test"), "issuer"),
        ({k: v for k, v in claims().items() if k != "org"}, "org"),
    ],
)
async def test_tokens_with_bad_claims_are_refused(payload: dict[str, Any], why: str) -> None:
    with pytest.raises(Unauthorized):
        await hs_verifier().verify(hs(payload))


async def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(Unauthorized):
        await hs_verifier().verify(hs(claims(), secret="x" * 40))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def test_an_unsigned_alg_none_token_is_refused() -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims()).encode())
    with pytest.raises(Unauthorized):
        await hs_verifier().verify(f"{header}.{body}.")


async def test_a_tampered_payload_is_refused() -> None:
    header, _, signature = hs(claims()).split(".")
    forged = _b64(json.dumps(claims(org="council-b", roles=["admin"])).encode())
    with pytest.raises(Unauthorized):
        await hs_verifier().verify(f"{header}.{forged}.{signature}")


class Jwks:
    """A JWKS endpoint on loopback whose keys the test can rotate."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"keys": jwks.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, key: rsa.RSAPrivateKey, kid: str) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        self.keys = [{**jwk, "kid": kid, "use": "sig", "alg": "RS256"}]


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    endpoint = Jwks()
    yield endpoint
    endpoint.server.shutdown()


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs(payload: dict[str, Any], key: rsa.RSAPrivateKey, kid: str) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


async def test_jwks_keys_rotate_without_a_restart(jwks: Jwks) -> None:
    verifier = TokenVerifier(
        ServiceSettings(
            jwks_url=jwks.url,
            jwt_issuer=ISSUER,
            jwt_audience=AUDIENCE,
            jwks_refresh_cooldown_s=0,
        )
    )
    old, new = new_key(), new_key()
    jwks.publish(old, "2026-11")
    assert (await verifier.verify(rs(claims(), old, "2026-11"))).organisation == "council-a"

    jwks.publish(new, "2026-12")

    assert (await verifier.verify(rs(claims(), new, "2026-12"))).organisation == "council-a"
    with pytest.raises(Unauthorized):
        await verifier.verify(rs(claims(), new, "unknown-kid"))


async def test_an_hs256_token_signed_with_the_rsa_public_key_is_refused(jwks: Jwks) -> None:
    verifier = TokenVerifier(
        ServiceSettings(jwks_url=jwks.url, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    )
    key = new_key()
    jwks.publish(key, "k1")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "k1"}).encode())
    body = _b64(json.dumps(claims()).encode())
    import hashlib
    import hmac

    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized):
        await verifier.verify(f"{header}.{body}.{_b64(signature)}")


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="SVL_JWT_SECRET"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="production", jwt_secret="s" * 40).jwt_secret == "s" * 40
