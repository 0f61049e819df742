"""Command handlers and queries for quarterly returns: submit, amend, correct, review, upload."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from svledger.auth import Principal
from svledger.clock import Clock
from svledger.context import metadata_for
from svledger.envelope import Metadata
from svledger.errors import NotFound, ValidationFailed
from svledger.eventstore import EventStore, StoreTransaction

from measurement.application.corroborations import evidence_for_return, line_evidence
from measurement.application.recording import check_version, record
from measurement.application.schedules import apply_decision, load_schedule
from measurement.domain.assessment import Thresholds
from measurement.domain.schedule import (
    OBLIGATION_ASSESSED,
    Decision,
    ReturnLine,
    Schedule,
    SubmittedReturn,
)
from measurement.domain.uploads import UploadRow, lines_from_rows


@dataclass(frozen=True, slots=True)
class ReturnReceipt:
    """What a supplier learns from submitting, amending or correcting a return."""

    contract_id: str
    period: str
    version: int
    late: bool
    assessments: list[dict[str, Any]]
    alerts: list[str]
    resolved_alerts: list[str]
    schedule_version: int


@dataclass(frozen=True, slots=True)
class ReturnRead:
    """A period's return as read: the schedule it belongs to, its current version, and its
    lines each with the partner-confirmed deliveries that corroborate it."""

    schedule: Schedule
    submitted: SubmittedReturn
    lines: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ReturnDraft:
    """A return's content as a supplier sends it."""

    period: str
    lines: list[ReturnLine]
    narrative: str = ""
    reason: str = ""


def _metadata(principal: Principal) -> Metadata:
    return metadata_for(principal)


async def _own_schedule(
    tx: StoreTransaction, supplier: Principal, contract_id: uuid.UUID
) -> Schedule:
    schedule = Schedule.rehydrate(await tx.load(Schedule.stream_id(str(contract_id))))
    if schedule is None or schedule.supplier != supplier.organisation:
        raise NotFound(f"contract {contract_id} was not found among your contracts")
    return schedule


async def _record_return(
    tx: StoreTransaction,
    schedule: Schedule,
    expected: int,
    decision: Decision,
    *,
    principal: Principal,
    clock: Clock,
) -> ReturnReceipt:
    recorded = await apply_decision(
        tx, schedule, expected, decision, metadata=_metadata(principal), today=clock().date()
    )
    head = recorded[0].data
    return ReturnReceipt(
        contract_id=schedule.contract_id,
        period=head["period"],
        version=int(head["version"]),
        late=bool(head["late"]),
        assessments=[e.data for e in recorded if e.type == OBLIGATION_ASSESSED],
        alerts=[alert_id for alert_id, _ in decision.alerts],
        resolved_alerts=[alert_id for alert_id, _ in decision.resolve],
        schedule_version=recorded[-1].stream_version,
    )


async def submit_return(
    store: EventStore,
    clock: Clock,
    thresholds: Thresholds,
    *,
    supplier: Principal,
    contract_id: uuid.UUID,
    draft: ReturnDraft,
    if_match: int | None = None,
) -> ReturnReceipt:
    """A supplier's return for one period: recorded, assessed, and alerts raised, atomically."""
    async with store.transaction() as tx:
        schedule = await _own_schedule(tx, supplier, contract_id)
        check_version(if_match, schedule.version)
        expected = schedule.version
        decision = schedule.submit_return(
            draft.period,
            draft.lines,
            draft.narrative,
            clock().date(),
            thresholds,
            by=supplier.subject,
        )
        return await _record_return(
            tx, schedule, expected, decision, principal=supplier, clock=clock
        )


async def upload_return(
    store: EventStore,
    clock: Clock,
    thresholds: Thresholds,
    *,
    supplier: Principal,
    contract_id: uuid.UUID,
    sheet: tuple[Sequence[str], Sequence[UploadRow]],
    period: str,
    narrative: str,
) -> ReturnReceipt:
    """A return from a CSV or XLSX sheet: every row valid, or nothing stored."""
    async with store.transaction() as tx:
        schedule = await _own_schedule(tx, supplier, contract_id)
        header, rows = sheet
        lines = lines_from_rows(header, rows, schedule.obligations)
        expected = schedule.version
        decision = schedule.submit_return(
            period, lines, narrative, clock().date(), thresholds, by=supplier.subject
        )
        return await _record_return(
            tx, schedule, expected, decision, principal=supplier, clock=clock
        )


async def revise_return(
    store: EventStore,
    clock: Clock,
    thresholds: Thresholds,
    *,
    supplier: Principal,
    contract_id: uuid.UUID,
    draft: ReturnDraft,
    correction: bool,
    if_match: int | None = None,
) -> ReturnReceipt:
    """Amend a return under review, or correct an accepted one: a new version, history kept."""
    async with store.transaction() as tx:
        schedule = await _own_schedule(tx, supplier, contract_id)
        check_version(if_match, schedule.version)
        expected = schedule.version
        revise = schedule.correct_return if correction else schedule.amend_return
        decision = revise(
            draft.period,
            draft.lines,
            narrative=draft.narrative,
            reason=draft.reason,
            today=clock().date(),
            thresholds=thresholds,
            by=supplier.subject,
        )
        return await _record_return(
            tx, schedule, expected, decision, principal=supplier, clock=clock
        )


async def review_return(
    store: EventStore,
    clock: Clock,
    buyer: Principal,
    *,
    contract_id: uuid.UUID,
    period: str,
    query: str | None,
    if_match: int | None = None,
) -> tuple[SubmittedReturn, int]:
    """The contract manager accepts a return, or queries it when ``query`` says why."""
    async with store.transaction() as tx:
        stream = Schedule.stream_id(str(contract_id))
        schedule = Schedule.rehydrate(await tx.load(stream))
        if schedule is None or schedule.buyer != buyer.organisation:
            raise NotFound(f"contract {contract_id} was not found among contracts you let")
        check_version(if_match, schedule.version)
        today = clock().date()
        event = (
            schedule.accept_return(period, today, buyer.subject)
            if query is None
            else schedule.query_return(period, query, today, buyer.subject)
        )
        recorded = await record(tx, stream, schedule.version, [event], _metadata(buyer))
    return schedule.returns[period], recorded[-1].stream_version


async def load_return(
    store: EventStore, reader: Principal, contract_id: uuid.UUID, period: str
) -> ReturnRead:
    """One period's return with its history and corroborated evidence, for either party."""
    schedule = await load_schedule(store, reader, contract_id)
    if period not in schedule.periods:
        raise ValidationFailed(
            f"{period} is not a reporting period of this contract", field="period"
        )
    submitted = schedule.returns.get(period)
    if submitted is None:
        raise NotFound(f"no return for {period} has been submitted")
    evidence = await evidence_for_return(store, schedule, period)
    lines = [line_evidence(schedule, line, evidence) for line in submitted.lines]
    return ReturnRead(schedule, submitted, lines)
