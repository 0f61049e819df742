"""Contract events from commitments: record what each supplier owes, and where, and stop
proposing partners for contracts that have ended."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from brokerage.adapters.obligations import close_contract, record_contract, record_obligations
from brokerage.domain.obligations import (
    CONTRACT_AWARDED,
    CONTRACT_COMPLETED,
    CONTRACT_TERMINATED,
    contract_awarded,
    obligations_awarded,
)


async def record_awarded_obligations(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A contract was awarded: record it, and each obligation its supplier took on."""
    obligations = obligations_awarded(event.data)
    await record_contract(tx.conn, contract_awarded(event.data))
    await record_obligations(tx.conn, obligations)


async def record_completion(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A contract ran its course: its obligations are no longer open."""
    await close_contract(tx.conn, str(event.data["contract_id"]), "completed")


async def record_termination(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A contract ended early: its obligations are no longer open."""
    await close_contract(tx.conn, str(event.data["contract_id"]), "terminated")


CONTRACTS = Consumer(
    spec=ConsumerSpec(
        name="brokerage-contracts",
        stream=service_stream("commitments").name,
        subjects=("svl.commitments.contract.>",),
    ),
    handlers={
        CONTRACT_AWARDED: record_awarded_obligations,
        CONTRACT_COMPLETED: record_completion,
        CONTRACT_TERMINATED: record_termination,
    },
)
