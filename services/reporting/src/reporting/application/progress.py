"""The progress of one contract, for its buyer or supplier only."""

from __future__ import annotations

import uuid

from svledger.auth import Principal
from svledger.errors import NotFound

from reporting.adapters.read_models import ReadModels
from reporting.domain.progress import ContractProgress


async def get_contract_progress(
    read_models: ReadModels, reader: Principal, contract_id: uuid.UUID
) -> ContractProgress:
    """A contract's progress for its buyer or supplier; 404 for anyone else."""
    progress = await read_models.contract_progress(str(contract_id))
    if progress is None or not progress.contract.visible_to(reader.organisation):
        raise NotFound(f"contract {contract_id} was not found")
    return progress
