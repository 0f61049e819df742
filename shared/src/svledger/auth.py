"""Bearer JWT authentication: who is calling, for which organisation, in which roles."""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass
from typing import Any

import jwt

from svledger.errors import Forbidden, Unauthorized
from svledger.settings import ServiceSettings


class Role(enum.StrEnum):
    """What a caller may do; a token carries one or more."""

    ADMIN = "admin"
    BUYER = "buyer"
    SUPPLIER = "supplier"
    VCFSE = "vcfse"
    CVS = "cvs"
    AUDITOR = "auditor"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    subject: str
    organisation: str
    roles: frozenset[Role]

    def has(self, *roles: Role) -> bool:
        """True when the caller holds any of ``roles``."""
        return bool(self.roles.intersection(roles))

    def require(self, *roles: Role) -> None:
        """Refuse with 403 unless the caller holds one of ``roles``."""
        if not self.has(*roles):
            wanted = ", ".join(sorted(r.value for r in roles))
            raise Forbidden(f"this action needs one of the roles: {wanted}")


class TokenVerifier:
    """Verifies bearer tokens: HS256 with the configured secret, or RS/ES keys from a JWKS URL.

    The JWKS client caches keys and refetches when it meets an unknown key id, so keys rotate
    without a restart.
    """

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._jwks = (
            jwt.PyJWKClient(
                settings.jwks_url,
                cache_keys=True,
                cooldown_duration=settings.jwks_refresh_cooldown_s,
            )
            if settings.jwks_url
            else None
        )

    async def verify(self, token: str) -> Principal:
        """Decode and check a token; raise :class:`Unauthorized` naming what was wrong."""
        try:
            if self._jwks is not None:
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                claims = jwt.decode(
                    token,
                    signing_key.key,
                    algorithms=["RS256", "ES256", "PS256"],
                    audience=self.settings.jwt_audience,
                    issuer=self.settings.jwt_issuer,
                    options={"require": ["exp", "sub"]},
                )
            else:
                claims = jwt.decode(
                    token,
                    self.settings.jwt_secret,
                    algorithms=["HS256"],
                    audience=self.settings.jwt_audience,
                    issuer=self.settings.jwt_issuer,
                    options={"require": ["exp", "sub"]},
                )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the token has expired; obtain a new one") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token is not valid: {exc}") from exc
        return _principal(claims)


def _principal(claims: dict[str, Any]) -> Principal:
    org = claims.get("org")
    if not isinstance(org, str) or not org:
        raise Unauthorized("the token has no 'org' claim naming the caller's organisation")
    raw_roles = claims.get("roles") or []
    if isinstance(raw_roles, str):
        raw_roles = [raw_roles]
    roles = set()
    for raw in raw_roles:
        try:
            roles.add(Role(raw))
        except ValueError:
            continue
    return Principal(subject=str(claims["sub"]), organisation=org, roles=frozenset(roles))


def issue_dev_token(
    settings: ServiceSettings,
    *,
    subject: str,
    organisation: str,
    roles: list[str],
    ttl_s: int = 12 * 3600,
) -> str:
    """A locally signed token for development and tests (refused outside development)."""
    if settings.environment == "production":
        raise RuntimeError("development tokens cannot be issued in production")
    now = int(time.time())
    claims = {
        "sub": subject,
        "org": organisation,
        "roles": [Role(r).value for r in roles],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_s,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")
