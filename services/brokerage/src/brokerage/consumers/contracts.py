"""Contract events from commitments: record what each supplier owes."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction

from brokerage.adapters.obligations import record_obligations
from brokerage.domain.obligations import CONTRACT_AWARDED, obligations_awarded


async def record_awarded_obligations(tx: StoreTransaction, event: EventEnvelope) -> None:
    """A contract was awarded: record each obligation its supplier took on."""
    await record_obligations(tx.conn, obligations_awarded(event.data))


CONTRACTS = Consumer(
    spec=ConsumerSpec(
        name="brokerage-contracts",
        stream=service_stream("commitments").name,
        subjects=("svl.commitments.contract.>",),
    ),
    handlers={CONTRACT_AWARDED: record_awarded_obligations},
)
