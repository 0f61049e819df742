"""Contract routes: register a contract that was awarded, read one."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Self

from fastapi import APIRouter, Depends, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from svledger.auth import Principal, Role
from svledger.periods import Quarter, quarters_between
from svledger.web import CurrentPrincipal, IdempotencyKey, replayable, require_roles

from commitments.api.dependencies import ServiceDep
from commitments.application.contracts import get_contract, register_contract
from commitments.domain.contract import ContractTerms, ObligationTerms

router = APIRouter(prefix="/contracts", tags=["contracts"])

Quantity = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=4)]


class ObligationIn(BaseModel):
    """An obligation: a measure and a target per quarter (one for all quarters, or each given)."""

    model_config = ConfigDict(extra="forbid")

    measure: str = Field(min_length=1, max_length=20, examples=["NT1"])
    description: str = Field(default="", max_length=2000)
    is_kpi: bool = False
    target_per_quarter: Quantity | None = Field(
        default=None, description="the same target in every quarter of the contract"
    )
    targets: dict[str, Quantity] | None = Field(
        default=None, description="target per quarter, keyed like 2026-27-Q1"
    )

    @model_validator(mode="after")
    def _one_way_of_giving_targets(self) -> Self:
        if (self.target_per_quarter is None) == (self.targets is None):
            raise ValueError("give either target_per_quarter or targets, not both or neither")
        return self


class ContractIn(BaseModel):
    """A contract that was awarded, with its social value obligations."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    supplier: str = Field(min_length=1, max_length=200, description="the supplier organisation id")
    starts_on: date
    ends_on: date
    value_gbp: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    return_due_days: int = Field(default=30, ge=0, le=365)
    obligations: list[ObligationIn] = Field(min_length=1, max_length=200)

    def terms(self, buyer: str) -> ContractTerms:
        """The domain's view of the request."""
        quarters = quarters_between(self.starts_on, self.ends_on)
        obligations = []
        for i, ob in enumerate(self.obligations):
            if ob.targets is not None:
                targets = {
                    Quarter.parse(k, field=f"obligations.{i}.targets.{k}"): v
                    for k, v in ob.targets.items()
                }
            else:
                targets = {q: ob.target_per_quarter or Decimal(0) for q in quarters}
            obligations.append(ObligationTerms(ob.measure, targets, ob.description, ob.is_kpi))
        return ContractTerms(
            reference=self.reference,
            title=self.title,
            buyer=buyer,
            supplier=self.supplier,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            value_gbp=self.value_gbp,
            return_due_days=self.return_due_days,
            obligations=obligations,
        )


class ObligationOut(BaseModel):
    """An obligation as recorded."""

    obligation_id: uuid.UUID
    measure: str
    theme: str
    outcome: str
    unit: str
    description: str
    is_kpi: bool
    targets: dict[str, str]
    total: str


class ContractOut(BaseModel):
    """A contract as recorded; ``version`` is also the ETag."""

    contract_id: uuid.UUID
    version: int
    reference: str
    title: str
    buyer: str
    supplier: str
    starts_on: date
    ends_on: date
    value_gbp: str | None
    return_due_days: int
    framework_version: str
    obligations: list[ObligationOut]

    @classmethod
    def of(cls, data: dict[str, Any], version: int) -> ContractOut:
        """From the contract's recorded state."""
        return cls.model_validate({**data, "version": version})


BuyerDep = Annotated[Principal, Depends(require_roles(Role.BUYER))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ContractOut,
    summary="Register an awarded contract",
)
async def post_contract(
    body: ContractIn, buyer: BuyerDep, service: ServiceDep, key: IdempotencyKey = None
) -> JSONResponse:
    """Record a contract your organisation let, with quarterly targets for each obligation."""

    async def register() -> tuple[int, dict[str, Any]]:
        contract = await register_contract(
            service.store, service.framework, buyer, body.terms(buyer.organisation)
        )
        return 201, ContractOut.of(contract.data, contract.version).model_dump(mode="json")

    outcome = await service.runtime.idempotency.run(
        buyer.organisation, key, body.model_dump(mode="json"), register
    )
    contract_id, version = outcome.body["contract_id"], outcome.body["version"]
    return replayable(outcome, {"Location": f"/contracts/{contract_id}", "ETag": f'"{version}"'})


@router.get("/{contract_id}", summary="Read a contract")
async def read_contract(
    contract_id: uuid.UUID, reader: CurrentPrincipal, service: ServiceDep, response: Response
) -> ContractOut:
    """A contract your organisation is party to, with its obligations and targets."""
    contract = await get_contract(service.store, reader, contract_id)
    response.headers["ETag"] = f'"{contract.version}"'
    return ContractOut.of(contract.data, contract.version)
