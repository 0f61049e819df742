"""Command handlers and queries for contracts."""

from __future__ import annotations

import uuid

from svledger.auth import Principal
from svledger.envelope import Metadata
from svledger.errors import NotFound
from svledger.eventstore import EventStore

from commitments.domain.contract import Contract, ContractTerms
from commitments.domain.framework import Framework


async def register_contract(
    store: EventStore, framework: Framework, actor: Principal, terms: ContractTerms
) -> Contract:
    """Record a contract the caller's organisation let, with its obligations."""
    contract_id = uuid.uuid4()
    event = Contract.award(contract_id, terms, framework)
    metadata = Metadata(actor=actor.subject, organisation=actor.organisation)
    recorded = await store.append(Contract.stream_id(str(contract_id)), 0, [event], metadata)
    return Contract.require(recorded, f"contract {contract_id}")


async def get_contract(store: EventStore, reader: Principal, contract_id: uuid.UUID) -> Contract:
    """A contract the caller's organisation is party to; 404 for anyone else."""
    contract = Contract.rehydrate(await store.load(Contract.stream_id(str(contract_id))))
    if contract is None or not contract.visible_to(reader.organisation):
        raise NotFound(f"contract {contract_id} was not found")
    return contract
