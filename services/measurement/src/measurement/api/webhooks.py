"""Routes for webhook subscriptions and their delivery log."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field
from svledger.idempotency import Outcome
from svledger.web import IdempotencyKey, replayable

from measurement.adapters.webhook_secrets import SecretBox
from measurement.api.dependencies import PartyDep, ServiceDep
from measurement.application.webhooks import deliveries, subscribe, subscriptions, unsubscribe
from measurement.domain.webhooks import SUBSCRIBABLE

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class SubscriptionIn(BaseModel):
    """A URL to post events to; no event types means every alert and return event.

    The URL must be https (plain http only where the service allows it) and its host must
    resolve to public internet addresses only: never loopback, private, link-local, multicast,
    reserved or unspecified ones. It is checked again before every delivery.
    """

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(max_length=2_000)
    event_types: list[str] = Field(
        default=[], max_length=len(SUBSCRIBABLE), examples=[["AlertRaised", "ReturnOverdue"]]
    )


class SubscriptionOut(BaseModel):
    """A subscription; its secret is shown only when it is created."""

    subscription_id: uuid.UUID
    url: str
    event_types: list[str]
    created_at: datetime
    secret: str | None = Field(
        default=None, description="the HMAC-SHA256 key for X-SVL-Signature; shown once"
    )

    @classmethod
    def of(cls, row: dict[str, Any], *, secret: str | None = None) -> SubscriptionOut:
        """From a stored subscription (whose stored secret is sealed and never shown)."""
        return cls.model_validate(
            {**row, "event_types": row["event_types"].split(), "secret": secret}
        )


class AttemptOut(BaseModel):
    """One attempt to deliver."""

    attempt: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    """One event's delivery to the subscription and every attempt at it."""

    delivery_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str = Field(
        description="pending, delivered, failed (attempts used up) or refused (the target "
        "was not allowed when due: never retried; last_error says why)"
    )
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptOut]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionOut,
    summary="Subscribe a URL to alert and return events",
)
async def post_subscription(
    body: SubscriptionIn, owner: PartyDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Events on your organisation's contracts are posted to the URL, signed with the secret."""

    async def create() -> tuple[int, dict[str, Any]]:
        row = await subscribe(
            service.runtime.database,
            owner,
            str(body.url),
            body.event_types,
            targets=service.webhook_targets,
            box=service.webhook_secrets,
        )
        # Kept for replays with the secret still sealed; opened only into the response.
        return 201, {**SubscriptionOut.of(row).model_dump(mode="json"), _SEALED: row["secret"]}

    outcome = await service.runtime.idempotency.run(
        owner.organisation, key, body.model_dump(mode="json"), create
    )
    shown = _with_secret_opened(outcome, service.webhook_secrets)
    return replayable(shown, {"Location": f"/webhooks/{shown.body['subscription_id']}"})


_SEALED = "_sealed_secret"


def _with_secret_opened(outcome: Outcome, box: SecretBox) -> Outcome:
    body = dict(outcome.body)
    sealed = body.pop(_SEALED, None)
    if sealed is not None:  # a response stored before secrets were sealed has it as it was
        body["secret"] = box.open(sealed)
    return replace(outcome, body=body)


@router.get("", summary="Your webhook subscriptions")
async def get_subscriptions(owner: PartyDep, service: ServiceDep) -> list[SubscriptionOut]:
    """Active subscriptions of your organisation (secrets are not shown again)."""
    rows = await subscriptions(service.runtime.database, owner)
    return [SubscriptionOut.of(r) for r in rows]


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Unsubscribe")
async def delete_subscription(
    subscription_id: uuid.UUID, owner: PartyDep, service: ServiceDep
) -> None:
    """Stop posting to the URL; the delivery log stays readable."""
    await unsubscribe(service.runtime.database, owner, subscription_id)


@router.get("/{subscription_id}/deliveries", summary="A subscription's delivery log")
async def get_deliveries(
    subscription_id: uuid.UUID,
    owner: PartyDep,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Deliveries newest first, each with every attempt, its status code or error."""
    rows = await deliveries(service.runtime.database, owner, subscription_id, limit)
    return [DeliveryOut.model_validate(r) for r in rows]
