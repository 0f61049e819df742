"""Every event the measurement service records, with its stream and fields.

Other services read these (reporting reads them all; brokerage reads alerts), so a field is
added, never renamed or removed; a change of meaning is a new schema version with an upcaster.
Tests check that every event the service emits matches its entry here. ``CONSUMED`` lists the
other services' events measurement reads and the fields it relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from svledger.catalogue import ConsumedSpec, consumed


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One event type: where it lives, its fields, and what it means."""

    type: str
    stream: str
    fields: frozenset[str]
    description: str


def _spec(type_: str, stream: str, fields: str, description: str) -> EventSpec:
    return EventSpec(type_, stream, frozenset(fields.split()), description)


_LINE_FIELDS = frozenset(
    ["obligation_id", "quantity", "narrative", "case_study", "beneficiaries", "places", "evidence"]
)
_REVISION = "contract_id period version revised_on late narrative reason lines by"
_ALERT = "alert_id contract_id"

CATALOGUE: dict[str, EventSpec] = {
    spec.type: spec
    for spec in (
        _spec(
            "ScheduleOpened",
            "schedule-<contract_id>",
            "contract_id reference title buyer supplier starts_on ends_on return_due_days "
            "periods obligations",
            "A contract was awarded: its quarters, due dates and obligations' targets.",
        ),
        _spec(
            "ScheduleVaried",
            "schedule-<contract_id>",
            "contract_id obligation_id targets previous_targets reason agreed_on",
            "An obligation's targets were varied by agreement (from ObligationVaried).",
        ),
        _spec(
            "ScheduleClosed",
            "schedule-<contract_id>",
            "contract_id reason closed_on cancelled_periods",
            "The contract completed or was terminated; cancelled periods need no return.",
        ),
        _spec(
            "ReturnSubmitted",
            "schedule-<contract_id>",
            "contract_id period version submitted_on due_on late narrative lines by",
            "A supplier's return for a period (version 1); late when after the due date.",
        ),
        _spec(
            "ReturnAmended",
            "schedule-<contract_id>",
            _REVISION,
            "A return not yet accepted was replaced by a new version (the full set of lines).",
        ),
        _spec(
            "ReturnCorrected",
            "schedule-<contract_id>",
            _REVISION,
            "An accepted return was corrected, with a reason; it stays accepted.",
        ),
        _spec(
            "ReturnAccepted",
            "schedule-<contract_id>",
            "contract_id period version accepted_on by",
            "The contract manager accepted a version of a return.",
        ),
        _spec(
            "ReturnQueried",
            "schedule-<contract_id>",
            "contract_id period version comment queried_on by",
            "The contract manager queried a return; the supplier answers by amending it.",
        ),
        _spec(
            "ReturnOverdue",
            "schedule-<contract_id>",
            "contract_id period due_on detected_on days_overdue alert_id",
            "A period passed its due date without a return (once per contract and period).",
        ),
        _spec(
            "ObligationAssessed",
            "schedule-<contract_id>",
            "contract_id obligation_id measure unit period target delivered cumulative_target "
            "cumulative_delivered ratio status forecast total alert_id alert_kind",
            "An obligation measured to a period: cumulative ratio, RAG status, forecast to end.",
        ),
        _spec(
            "AlertRaised",
            "alert-<alert_id>",
            "alert_id contract_id obligation_id measure period kind severity buyer supplier "
            "ratio raised_on level escalated_to detail",
            "An accountability alert: overdue_return, under_delivery, at_risk, pledge_behind.",
        ),
        _spec(
            "AlertAcknowledged",
            "alert-<alert_id>",
            f"{_ALERT} acknowledged_on by note",
            "The contract manager owns the alert; it stops escalating.",
        ),
        _spec(
            "AlertEscalated",
            "alert-<alert_id>",
            f"{_ALERT} from_level level escalated_to escalated_on by automatic reason",
            "The alert moved up a level: automatically, because nobody acknowledged it in time "
            "(by 'automatic'), or by hand, by the contract manager with a reason. Recorded "
            "before escalation by hand existed, it lacks by, automatic and reason: read them "
            "as 'automatic', true and ''.",
        ),
        _spec(
            "AlertResolved",
            "alert-<alert_id>",
            f"{_ALERT} resolution plan agreed_on reason resolved_on by automatic",
            "The alert was closed: recovered, remediation_plan_agreed, obligation_varied, waived.",
        ),
    )
}

RETURN_LINE_FIELDS = _LINE_FIELDS


_CONTRACT = "svl.commitments.contract.>"
_PLEDGE = "svl.commitments.pledge.>"
_MATCH = "svl.brokerage.match.>"

CONSUMED: dict[str, ConsumedSpec] = {
    spec.type: spec
    for spec in (
        consumed(
            "ContractAwarded",
            _CONTRACT,
            "contract_id reference title buyer supplier starts_on ends_on return_due_days "
            "obligations",
            "opens the contract's schedule (ScheduleOpened)",
        ),
        consumed(
            "ObligationVaried",
            _CONTRACT,
            "contract_id obligation_id targets previous_targets reason agreed_on",
            "new targets, reassessed at once (ScheduleVaried)",
        ),
        consumed("ContractCompleted", _CONTRACT, "contract_id completed_on", "closes the schedule"),
        consumed(
            "ContractTerminated",
            _CONTRACT,
            "contract_id terminated_on cancelled_periods",
            "closes the schedule; cancelled periods need no return",
        ),
        consumed(
            "PledgeRecorded",
            _PLEDGE,
            "organisation base_year baseline targets",
            "the organisation's Partner VCFSE pledge, checked by the scheduler",
        ),
        consumed(
            "PledgeRevised",
            _PLEDGE,
            "organisation base_year baseline targets",
            "replaces the pledge",
        ),
        consumed(
            "DeliveryConfirmed",
            _MATCH,
            "match_id delivery_id supplier vcfse contract_id obligation_id measure quantity "
            "unit delivered_on period confirmed_by confirmed_on",
            "corroborated evidence against the obligation in the quarter delivered (none "
            "when the match names no obligation)",
        ),
        consumed(
            "DeliveryDisputed",
            _MATCH,
            "delivery_id",
            "never counts; withdraws a corroboration if the delivery was confirmed before",
        ),
    )
}


def mismatches(event_type: str, data: dict[str, Any]) -> list[str]:
    """What is wrong with an event against the catalogue; empty when it matches."""
    spec = CATALOGUE.get(event_type)
    if spec is None:
        return [f"{event_type} is not in the catalogue"]
    problems = []
    if set(data) != spec.fields:
        missing = sorted(spec.fields - set(data))
        extra = sorted(set(data) - spec.fields)
        problems.append(f"{event_type}: missing {missing}, undocumented {extra}")
    for line in data.get("lines", []) if "lines" in spec.fields else []:
        if set(line) != _LINE_FIELDS:
            problems.append(f"{event_type}: a line has fields {sorted(line)}")
    return problems
