"""Contracts in commitments: awarded, varied, completed or terminated; pledges; proxy values."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import (
    ContractEnd,
    ProxyValue,
    contract_changed,
    record_contract,
    record_contract_end,
    record_pledge,
    record_proxy_values,
    record_variation,
)
from reporting.consumers.event_data import (
    day,
    optional_day,
    optional_quantity,
    optional_text,
    quantity,
    targets,
    texts,
)
from reporting.consumers.tracking import tracked
from reporting.domain.pledge import Pledge
from reporting.domain.progress import AwardedContract, Commitment

CONTRACT_AWARDED = "ContractAwarded"
OBLIGATION_VARIED = "ObligationVaried"
CONTRACT_COMPLETED = "ContractCompleted"
CONTRACT_TERMINATED = "ContractTerminated"
PROXY_VALUES_LOADED = "ProxyValuesLoaded"
PLEDGE_RECORDED = "PledgeRecorded"
PLEDGE_REVISED = "PledgeRevised"


async def contract_awarded(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Record the contract, and what each of its obligations commits, quarter by quarter."""
    data = event.data
    contract = AwardedContract(
        contract_id=str(data["contract_id"]),
        reference=data["reference"],
        title=data["title"],
        buyer=data["buyer"],
        supplier=data["supplier"],
        starts_on=day(data, "starts_on"),
        ends_on=day(data, "ends_on"),
        value_gbp=optional_quantity(data, "value_gbp"),
        framework_version=data["framework_version"],
        awarded_at=event.recorded_at,
        return_due_days=int(data.get("return_due_days", 30)),
        tender_id=optional_text(data, "tender_id"),
        places=texts(data, "places"),
    )
    commitments = [
        Commitment(
            contract_id=contract.contract_id,
            obligation_id=str(ob["obligation_id"]),
            sequence=i,
            measure=ob["measure"],
            theme=ob["theme"],
            outcome=ob["outcome"],
            unit=ob["unit"],
            description=ob.get("description", ""),
            is_kpi=bool(ob.get("is_kpi", False)),
            committed_total=quantity(ob, "total"),
            targets=targets(ob),
            place=optional_text(ob, "place"),
            vcfse_partner=optional_text(ob, "vcfse_partner"),
            proxy_gbp_per_unit=optional_quantity(ob, "proxy_value_gbp_per_unit"),
        )
        for i, ob in enumerate(data["obligations"])
    ]
    await record_contract(tx.conn, contract, commitments)
    # Returns may have come in before the contract: count them now that it is here.
    contract_changed(tx, contract.contract_id)


async def obligation_varied(tx: StoreTransaction, event: EventEnvelope) -> None:
    """New targets agreed for one obligation replace the old ones."""
    data = event.data
    await record_variation(
        tx.conn,
        str(data["contract_id"]),
        str(data["obligation_id"]),
        targets(data),
        optional_day(data, "agreed_on"),
    )
    contract_changed(tx, str(data["contract_id"]))


async def contract_completed(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The contract ran its course."""
    data = event.data
    await record_contract_end(
        tx.conn,
        ContractEnd(str(data["contract_id"]), "completed", day(data, "completed_on"), None),
    )


async def contract_terminated(tx: StoreTransaction, event: EventEnvelope) -> None:
    """The contract ended early: only the targets still due remain."""
    data = event.data
    await record_contract_end(
        tx.conn,
        ContractEnd(
            str(data["contract_id"]),
            "terminated",
            day(data, "terminated_on"),
            optional_text(data, "reason"),
            {str(ob["obligation_id"]): targets(ob) for ob in data.get("obligations") or []},
        ),
    )
    contract_changed(tx, str(data["contract_id"]))


async def proxy_values_loaded(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A framework version's proxy-value table, replacing any loaded before."""
    data = event.data
    await record_proxy_values(
        tx.conn,
        str(data["version"]),
        [
            ProxyValue(
                measure=str(row["code"]),
                unit=str(row.get("unit") or ""),
                gbp_per_unit=quantity(row, "gbp_per_unit"),
                source=str(row.get("source") or ""),
                year=str(row.get("year") or ""),
            )
            for row in data.get("proxy_values") or []
        ],
    )


async def pledge_recorded(tx: StoreTransaction, event: EventEnvelope) -> None:
    """An organisation's Partner VCFSE pledge, recorded or revised (the whole of it)."""
    data = event.data
    baseline = data.get("baseline") or {}
    await record_pledge(
        tx.conn,
        Pledge(
            organisation=str(data["organisation"]),
            base_year=str(data["base_year"]),
            baseline={str(m): quantity(baseline, m) for m in baseline},
            targets={
                str(year): {str(m): quantity(by_measure, m) for m in by_measure}
                for year, by_measure in (data.get("targets") or {}).items()
            },
            framework_version=str(data.get("framework_version") or ""),
            recorded_on=day(data, "recorded_on"),
            revision=int(data.get("revision", 0)),
        ),
    )


_COMMITMENTS = service_stream("commitments").name

CONTRACTS = tracked(
    ConsumerSpec(
        name="reporting-contracts", stream=_COMMITMENTS, subjects=("svl.commitments.contract.>",)
    ),
    {
        CONTRACT_AWARDED: contract_awarded,
        OBLIGATION_VARIED: obligation_varied,
        CONTRACT_COMPLETED: contract_completed,
        CONTRACT_TERMINATED: contract_terminated,
    },
)

FRAMEWORKS = tracked(
    ConsumerSpec(
        name="reporting-frameworks",
        stream=_COMMITMENTS,
        subjects=("svl.commitments.framework.>",),
    ),
    {PROXY_VALUES_LOADED: proxy_values_loaded},
)

PLEDGES = tracked(
    ConsumerSpec(
        name="reporting-pledges", stream=_COMMITMENTS, subjects=("svl.commitments.pledge.>",)
    ),
    {PLEDGE_RECORDED: pledge_recorded, PLEDGE_REVISED: pledge_recorded},
)
