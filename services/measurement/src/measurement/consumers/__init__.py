"""Event consumers of the measurement service: contracts and pledges from commitments, and
deliveries confirmed or disputed by VCFSE partners in brokerage.

One consumer per aggregate subject, so each stream's versions arrive without gaps; event types
without a handler are recorded as seen.

Measurement declares no ``READ_MODEL_TABLES``: ``svl rebuild`` replays every declared consumer,
and the contracts consumer records events of its own (schedules), which a replay would record
again. The tables written from other services' events alone (``pledges``, ``corroborations``)
could be rebuilt once the CLI can replay a subset of a service's consumers.
"""

from __future__ import annotations

import json

from svledger.bus import ConsumerSpec, service_stream
from svledger.clock import Clock, system_clock
from svledger.consumers import Consumer
from svledger.envelope import EventEnvelope
from svledger.eventstore import StoreTransaction
from svledger.quantities import exact_decimal, figure

from measurement.adapters.read_models import record_pledge
from measurement.application.corroborations import (
    DELIVERY_CONFIRMED,
    DELIVERY_DISPUTED,
    delivery_confirmed,
    delivery_disputed,
)
from measurement.application.schedules import ContractEvents
from measurement.domain.assessment import Thresholds

CONTRACTS_SPEC = ConsumerSpec(
    name="measurement-contracts",
    stream=service_stream("commitments").name,
    subjects=("svl.commitments.contract.>",),
)
PLEDGES_SPEC = ConsumerSpec(
    name="measurement-pledges",
    stream=service_stream("commitments").name,
    subjects=("svl.commitments.pledge.>",),
)
# Every match event arrives (so each match stream's versions come without gaps); only the
# confirmation and the dispute of a delivery have handlers.
DELIVERIES_SPEC = ConsumerSpec(
    name="measurement-deliveries",
    stream=service_stream("brokerage").name,
    subjects=("svl.brokerage.match.>",),
)


async def pledge_recorded(tx: StoreTransaction, event: EventEnvelope) -> None:
    """Keep the organisation's latest Partner VCFSE pledge (``PledgeRecorded``/``Revised``)."""
    data = event.data
    baseline = {m: figure(exact_decimal(v, f"baseline.{m}")) for m, v in data["baseline"].items()}
    targets = {
        year: {m: figure(exact_decimal(v, f"targets.{year}.{m}")) for m, v in by_measure.items()}
        for year, by_measure in data["targets"].items()
    }
    await record_pledge(
        tx.conn,
        {
            "organisation": data["organisation"],
            "base_year": data["base_year"],
            "baseline": json.dumps(baseline, sort_keys=True),
            "targets": json.dumps(targets, sort_keys=True),
            "version": event.stream_version,
        },
    )


def consumers_for(clock: Clock, thresholds: Thresholds) -> list[Consumer]:
    """The consumers, their handlers bound to the service's clock and thresholds."""
    contracts = ContractEvents(clock, thresholds)
    return [
        Consumer(
            CONTRACTS_SPEC,
            {
                "ContractAwarded": contracts.awarded,
                "ObligationVaried": contracts.varied,
                "ContractCompleted": contracts.completed,
                "ContractTerminated": contracts.terminated,
            },
        ),
        Consumer(
            PLEDGES_SPEC, {"PledgeRecorded": pledge_recorded, "PledgeRevised": pledge_recorded}
        ),
        Consumer(
            DELIVERIES_SPEC,
            {DELIVERY_CONFIRMED: delivery_confirmed, DELIVERY_DISPUTED: delivery_disputed},
        ),
    ]


# What `svl streams provision` declares; the running service binds handlers to its own clock.
CONSUMERS: list[Consumer] = consumers_for(system_clock, Thresholds())
