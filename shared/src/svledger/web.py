"""FastAPI pieces every service shares: problem+json errors, authentication, health, limits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svledger.auth import Principal, Role, TokenVerifier
from svledger.errors import PROBLEM_BASE, DomainError, RateLimited, Unauthorized
from svledger.idempotency import Outcome
from svledger.ratelimit import WriteLimiter

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem(  # noqa: PLR0917 - mirrors the RFC 9457 members in order
    status: int,
    type_slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    errors: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """An RFC 9457 problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def install_problem_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and stray HTTP errors to problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return problem(
            exc.status,
            exc.type_slug,
            exc.title,
            exc.detail,
            instance=request.url.path,
            errors=[e.as_json() for e in exc.errors],
            extra=exc.extra,
            headers=headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            "validation-failed",
            "The request has invalid fields",
            f"check these fields: {fields}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(
            exc.status_code, "http-error"
        )
        return problem(
            exc.status_code,
            slug,
            str(exc.detail),
            str(exc.detail),
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "internal-error",
            "Internal error",
            "something went wrong on our side; it has been logged",
            instance=request.url.path,
        )


_bearer = HTTPBearer(auto_error=False, description="A JWT with sub, org and roles claims")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer token; 401 when missing or invalid."""
    if credentials is None:
        raise Unauthorized("send a bearer token in the Authorization header")
    verifier: TokenVerifier = request.app.state.verifier
    return await verifier.verify(credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="repeat a request safely: the same key and body give the same response",
    ),
]


def replayable(outcome: Outcome, headers: dict[str, str] | None = None) -> JSONResponse:
    """The response for an idempotent command, marked when it is a replay."""
    extra = dict(headers or {})
    if outcome.replayed:
        extra["Idempotent-Replayed"] = "true"
    return JSONResponse(jsonable_encoder(outcome.body), status_code=outcome.status, headers=extra)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def limit_writes(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """App-wide dependency: count each authenticated write against its organisation's limit.

    Unauthenticated writes pass through here and are refused by the route's own auth.
    """
    if request.method not in WRITE_METHODS or credentials is None:
        return
    principal = await current_principal(request, credentials)
    limiter: WriteLimiter = request.app.state.write_limiter
    limiter.take(principal.organisation)


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only callers holding one of ``roles`` (else 403)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(*roles)
        return principal

    return dependency


class BodySizeLimit:
    """Refuse request bodies larger than ``max_bytes`` with 413, before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise StarletteHTTPException(413, self._detail())
            return message

        await self.app(scope, limited, send)

    def _detail(self) -> str:
        return f"the request body is larger than the limit of {self.max_bytes} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, "too-large", "Request body too large", self._detail())
        await response(scope, receive, send)
