"""Contracts awarded in commitments become the contract and obligation read models."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from reporting.adapters.projections import record_contract
from reporting.consumers.event_data import day, optional_quantity, quantity
from reporting.domain.progress import AwardedContract, Commitment

CONTRACT_AWARDED = "ContractAwarded"


async def contract_awarded(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Record the contract, and what each of its obligations commits in total."""
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
        )
        for i, ob in enumerate(data["obligations"])
    ]
    await record_contract(tx.conn, contract, commitments)


CONTRACTS = Consumer(
    ConsumerSpec(
        name="reporting-contracts",
        stream=service_stream("commitments").name,
        subjects=("svl.commitments.contract.>",),
    ),
    handlers={CONTRACT_AWARDED: contract_awarded},
)
