"""FastAPI pieces every service shares: problem+json errors, authentication, health, limits."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from svledger.auth import Principal, Role, TokenVerifier
from svledger.errors import PROBLEM_BASE, DomainError, RateLimited, Unauthorized, ValidationFailed
from svledger.idempotency import Outcome
from svledger.paging import MAX_LIMIT, MAX_OFFSET, Page
from svledger.ratelimit import WriteLimiter

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# What every error response looks like, for the OpenAPI document: clients (and schemathesis)
# may rely on it. Extra members (``retry_after``, a conflict's details) are allowed.
PROBLEM_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "title": "Problem",
        "description": "An RFC 9457 problem: what went wrong and, for bad input, which fields.",
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "description": "the problem type, a URI"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
        },
        "additionalProperties": True,
    },
    "FieldProblem": {
        "title": "FieldProblem",
        "type": "object",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
    },
}

_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}

# Every API route answers errors as problem+json: documented as status ranges so the codes a
# route documents itself (200, 201, 204) keep their own schemas.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"description": "Refused: a problem document says why", "content": _PROBLEM_CONTENT},
    "5XX": {"description": "Failed, or a dependency is down", "content": _PROBLEM_CONTENT},
}


def document_problems(app: FastAPI) -> None:
    """Add the problem schemas to the app's OpenAPI document (FastAPI's own 422 schema is
    replaced by the 4XX problem that routes declare through :data:`PROBLEM_RESPONSES`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            document.setdefault("components", {}).setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


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
    """The caller, from the bearer token; 401 when missing or invalid.

    Verified once per request: the write limit and the route both ask.
    """
    if credentials is None:
        raise Unauthorized("send a bearer token in the Authorization header")
    known: Principal | None = request.scope.get(_PRINCIPAL)
    if known is None:
        verifier: TokenVerifier = request.app.state.verifier
        known = request.scope[_PRINCIPAL] = await verifier.verify(credentials.credentials)
    return known


_PRINCIPAL = "svl.principal"  # the request's verified caller, in the ASGI scope


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="repeat a request safely: the same key and body give the same response",
    ),
]


_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='the version (ETag) you read, e.g. "3": refused with 412 if it moved on',
        ),
    ] = None,
) -> int | None:
    """The version an update expects, from ``If-Match``; None when absent or ``*``.

    A coroutine, as :func:`page` is: FastAPI runs a plain function dependency in a worker
    thread, a cost on every request for a few microseconds of parsing."""
    if value is None or value.strip() == "*":
        return None
    match = _ENTITY_TAG.match(value.strip())
    if match is None:
        raise ValidationFailed(
            f'If-Match must be an ETag this service gave, like "3", not {value!r}',
            field="If-Match",
        )
    return int(match.group(1))


IfMatch = Annotated[int | None, Depends(if_match)]


def etag(version: int) -> dict[str, str]:
    """The ETag header for an aggregate at ``version``."""
    return {"ETag": f'"{version}"'}


async def page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many")] = 0,
) -> Page:
    """Which slice of a list to return."""
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(page)]


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


NUL = "\x00"


class RefuseNulCharacters:
    """Refuse U+0000 in the path, the query or a JSON or form body: 422 naming the field.

    PostgreSQL cannot store NUL in text or JSON at all (a 500 deep in the database otherwise),
    and no name, narrative or reference has a use for it; refusing it here keeps SQLite and
    PostgreSQL alike. Uploaded files are left alone: a spreadsheet is binary.
    Must sit inside :class:`BodySizeLimit`, which bounds what is read here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _nul_in_path(scope) or _nul_in_query(scope)
        if field is not None:
            await _refuse_nul(field, scope, receive, send)
            return
        try:
            body, messages = await _read_body(receive)
        except StarletteHTTPException as exc:  # the body is over the size limit
            await problem(exc.status_code, "too-large", str(exc.detail), str(exc.detail))(
                scope, receive, send
            )
            return
        field = _nul_in_json(body) or await _nul_in_form(scope, body)
        if field is not None:
            await _refuse_nul(field, scope, receive, send)
            return
        await self.app(scope, _replay(messages, receive), send)


def _nul_in_path(scope: Scope) -> str | None:
    return "path" if NUL in str(scope.get("path", "")) else None


def _nul_in_query(scope: Scope) -> str | None:
    query = bytes(scope.get("query_string") or b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if NUL in name or NUL in value:
            return name.replace(NUL, "") or "query"
    return None


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def _nul_in_json(body: bytes) -> str | None:
    if b"\\u0000" not in body:  # JSON can only carry NUL escaped
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON: the route says what is wrong with it
    return _nul_in_document(document, ())


def _nul_in_document(value: Any, at: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        return (".".join(at) or "body") if NUL in value else None
    items: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if NUL in key:
                return ".".join((*at, key.replace(NUL, "")))
            items.append((key, item))
    elif isinstance(value, list):
        items = [(str(i), item) for i, item in enumerate(value)]
    for key, item in items:
        found = _nul_in_document(item, (*at, key))
        if found is not None:
            return found
    return None


async def _nul_in_form(scope: Scope, body: bytes) -> str | None:
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
    if not content_type.startswith((b"multipart/form-data", b"application/x-www-form-urlencoded")):
        return None

    async def once() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(scope, once).form() as form:
            for name, value in form.multi_items():
                if isinstance(value, str) and (NUL in value or NUL in name):
                    return name.replace(NUL, "") or "form"
    except Exception:  # a malformed form: the route refuses it with its own problem
        return None
    return None


async def _refuse_nul(field: str, scope: Scope, receive: Receive, send: Send) -> None:
    detail = f"{field} contains a NUL character (U+0000), which is never valid here"
    response = problem(
        422,
        "validation-failed",
        "The request has invalid fields",
        detail,
        instance=str(scope.get("path", "")).replace(NUL, "\\0"),
        errors=[{"field": field, "message": detail}],
    )
    await response(scope, receive, send)
