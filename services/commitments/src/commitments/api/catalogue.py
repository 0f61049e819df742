"""The event catalogue, published for the teams whose services consume these events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from commitments.domain.catalogue import CATALOGUE, CONSUMED, FieldSpec

router = APIRouter(prefix="/events", tags=["events"])


def _field(spec: FieldSpec) -> dict[str, Any]:
    described: dict[str, Any] = {
        "kind": spec.kind.value,
        "meaning": spec.meaning,
        "nullable": spec.nullable,
        "optional": spec.optional,
    }
    if spec.members:
        described["fields"] = {name: _field(member) for name, member in spec.members.items()}
    return described


@router.get("/catalogue", summary="The events this service records")
async def read_catalogue() -> list[dict[str, Any]]:
    """Each event type: version, subject, meaning and fields."""
    return [
        {
            "type": spec.type,
            "version": spec.version,
            "subject": f"svl.commitments.{spec.aggregate}.{spec.type}",
            "stream": f"{spec.aggregate}-<id>",
            "meaning": spec.meaning,
            "fields": {name: _field(f) for name, f in spec.fields.items()},
        }
        for spec in CATALOGUE.values()
    ]


@router.get("/consumed", summary="The events of other services this service reads")
async def read_consumed() -> list[dict[str, Any]]:
    """Each event type read: the subject it arrives on, the fields relied on, and what for."""
    return [
        {
            "type": spec.type,
            "subject": spec.subject,
            "fields": sorted(spec.fields),
            "use": spec.use,
        }
        for spec in CONSUMED.values()
    ]
