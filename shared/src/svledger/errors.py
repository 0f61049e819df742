"""One domain error hierarchy: each class carries the HTTP status and problem type it maps to.

Pure Python: domain code raises these without knowing about HTTP frameworks. The API layer
(``svledger.problems``) turns them into RFC 9457 problem+json responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

PROBLEM_BASE = "https://social-value-ledger.org/problems/"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field that was wrong, and why."""

    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        """Serialise for the ``errors`` member of a problem document."""
        return {"field": self.field, "message": self.message}


class DomainError(Exception):
    """Base of every error the services raise on purpose."""

    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "The request cannot be carried out"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[FieldProblem] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])
        if field is not None and not self.errors:
            self.errors.append(FieldProblem(field, detail))
        self.extra = dict(extra or {})

    @property
    def type_uri(self) -> str:
        """The machine-readable problem type."""
        return PROBLEM_BASE + self.type_slug


class ValidationFailed(DomainError):
    """The input is well formed but breaks a rule; ``errors`` names each offending field."""

    status = 422
    type_slug = "validation-failed"
    title = "The request has invalid fields"


class NotFound(DomainError):
    """The resource does not exist, or belongs to another organisation (never say which)."""

    status = 404
    type_slug = "not-found"
    title = "Not found"


class Unauthorized(DomainError):
    """No valid credentials."""

    status = 401
    type_slug = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    """Authenticated, but the role does not allow this action."""

    status = 403
    type_slug = "forbidden"
    title = "Not allowed"


class Conflict(DomainError):
    """The request clashes with the current state of the resource."""

    status = 409
    type_slug = "conflict"
    title = "Conflict with the current state"


class ConcurrencyError(Conflict):
    """Someone else changed the stream first: reload and try again."""

    type_slug = "concurrent-modification"
    title = "The resource was changed by someone else"


class PreconditionFailed(DomainError):
    """An ``If-Match`` version did not match the resource's current version."""

    status = 412
    type_slug = "precondition-failed"
    title = "The resource has changed since you read it"


class RateLimited(DomainError):
    """Too many writes from one organisation; ``retry_after_s`` says when to try again."""

    status = 429
    type_slug = "rate-limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after_s})
        self.retry_after_s = retry_after_s


class ServiceUnavailable(DomainError):
    """A dependency the request needs is not reachable right now."""

    status = 503
    type_slug = "unavailable"
    title = "Temporarily unavailable"
