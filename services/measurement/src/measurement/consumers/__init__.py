"""Event consumers of the measurement service."""

from __future__ import annotations

from svledger.bus import ConsumerSpec, service_stream
from svledger.consumers import Consumer

from measurement.application.returns import open_schedule

CONTRACTS = Consumer(
    ConsumerSpec(
        name="measurement-contracts",
        stream=service_stream("commitments").name,
        subjects=("svl.commitments.contract.>",),
    ),
    {"ContractAwarded": open_schedule},
)

CONSUMERS: list[Consumer] = [CONTRACTS]
