"""Contract routes: register contracts (one, or a CSV/XLSX of many), read and list them, vary
an obligation's targets, complete or terminate."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from svledger.quantities import figure
from svledger.web import CurrentPrincipal, IdempotencyKey, IfMatch, PageDep, etag, replayable

from commitments.adapters.spreadsheets import read_table
from commitments.api.dependencies import BuyerDep, ContextDep, ServiceDep
from commitments.api.schemas import Money, Name, ProfileIn, Quantity, RuleWarningOut
from commitments.application.contracts import (
    complete_contract,
    get_contract,
    import_contracts,
    list_contracts,
    register_contract,
    terminate_contract,
    vary_obligation,
)
from commitments.domain.contract import Contract, ContractTerms, ObligationTerms, TargetsGiven

router = APIRouter(prefix="/contracts", tags=["contracts"])


class TargetsIn(BaseModel):
    """Targets given one of three ways: per quarter for all, a map per quarter, or a total."""

    model_config = ConfigDict(extra="forbid")

    target_per_quarter: Quantity | None = Field(
        default=None, description="the same target in every quarter of the contract"
    )
    targets: dict[str, Quantity] | None = Field(
        default=None, description="target per quarter, keyed like 2026-27-Q1"
    )
    total: Quantity | None = Field(
        default=None, description="a total over the contract, spread by the profile"
    )
    profile: ProfileIn | None = None

    @model_validator(mode="after")
    def _one_way_of_giving_targets(self) -> Self:
        given = [x is not None for x in (self.target_per_quarter, self.targets, self.total)]
        if sum(given) != 1:
            raise ValueError("give one of target_per_quarter, targets or total")
        if self.profile is not None and self.total is None:
            raise ValueError("a profile spreads a total: give total with it")
        return self

    def given(self) -> TargetsGiven:
        """The domain's view."""
        return TargetsGiven(
            per_quarter=self.target_per_quarter,
            targets=self.targets,
            total=self.total,
            profile=(self.profile or ProfileIn()).profile(),
        )


class ObligationIn(TargetsIn):
    """An obligation: a measure, its targets, and where and with whom it is delivered."""

    measure: str = Field(min_length=1, max_length=20, examples=["NT1"])
    description: str = Field(default="", max_length=2000)
    is_kpi: bool = False
    place: Name | None = None
    vcfse_partner: Name | None = None


class ContractIn(BaseModel):
    """A contract that was awarded, with its social value obligations."""

    model_config = ConfigDict(extra="forbid")

    reference: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    supplier: Name = Field(description="the supplier organisation id")
    starts_on: date
    ends_on: date
    value_gbp: Money | None = None
    return_due_days: int = Field(default=30, ge=0, le=365)
    obligations: list[ObligationIn] = Field(min_length=1, max_length=200)
    places: list[Name] = Field(default_factory=list, max_length=100)
    framework_version: str | None = Field(
        default=None, description="the framework the obligations are counted in (the default)"
    )

    def terms(self, buyer: str) -> ContractTerms:
        """The domain's view of the request."""
        return ContractTerms(
            reference=self.reference,
            title=self.title,
            buyer=buyer,
            supplier=self.supplier,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            value_gbp=self.value_gbp,
            return_due_days=self.return_due_days,
            obligations=[
                ObligationTerms(
                    ob.measure,
                    ob.given(),
                    ob.description,
                    ob.is_kpi,
                    place=ob.place,
                    vcfse_partner=ob.vcfse_partner,
                )
                for ob in self.obligations
            ],
            places=list(self.places),
        )


class VariationIn(TargetsIn):
    """New targets for an obligation (the full map, or a total and profile), as agreed."""

    reason: str = Field(min_length=1, max_length=2000)
    agreed_on: date


class CompletionIn(BaseModel):
    """The day a contract ran its course."""

    model_config = ConfigDict(extra="forbid")

    completed_on: date


class TerminationIn(BaseModel):
    """The last day of a contract ended early, and why."""

    model_config = ConfigDict(extra="forbid")

    terminated_on: date
    reason: str = Field(min_length=1, max_length=2000)


class VariationOut(BaseModel):
    """One agreed change of an obligation's targets."""

    targets: dict[str, str]
    previous_targets: dict[str, str]
    reason: str
    agreed_on: date


class ObligationOut(BaseModel):
    """An obligation as recorded, with its variations."""

    obligation_id: uuid.UUID
    measure: str
    theme: str
    outcome: str
    unit: str
    description: str
    is_kpi: bool
    targets: dict[str, str]
    total: str
    place: str | None = None
    vcfse_partner: str | None = None
    commitment_id: uuid.UUID | None = None
    proxy_value_gbp_per_unit: str | None = None
    cancelled_targets: dict[str, str] = Field(default_factory=dict)
    variations: list[VariationOut] = Field(default_factory=list)


class ContractOut(BaseModel):
    """A contract as recorded; ``version`` is also the ETag."""

    contract_id: uuid.UUID
    version: int
    reference: str
    title: str
    buyer: str
    supplier: str
    status: str
    starts_on: date
    ends_on: date
    value_gbp: str | None
    return_due_days: int
    framework_version: str
    places: list[str] = Field(default_factory=list)
    tender_id: uuid.UUID | None = None
    bid_id: uuid.UUID | None = None
    warnings: list[RuleWarningOut] = Field(default_factory=list)
    completed_on: date | None = None
    terminated_on: date | None = None
    termination_reason: str | None = None
    cancelled_periods: list[str] = Field(default_factory=list)
    obligations: list[ObligationOut]

    @classmethod
    def of(cls, contract: Contract) -> ContractOut:
        """From the contract's recorded state."""
        return cls.model_validate(contract.view())


class ObligationListedOut(BaseModel):
    """An obligation in a list of contracts: its targets now, and any cancelled."""

    obligation_id: uuid.UUID
    measure: str
    theme: str
    outcome: str
    unit: str
    description: str
    is_kpi: bool
    place: str | None
    vcfse_partner: str | None
    total: str
    targets: dict[str, str]
    cancelled_targets: dict[str, str]


class ContractListedOut(BaseModel):
    """A contract in a list, with its obligations and targets."""

    contract_id: uuid.UUID
    version: int
    reference: str
    title: str
    buyer: str
    supplier: str
    status: str
    starts_on: date
    ends_on: date
    value_gbp: str | None
    framework_version: str
    tender_id: uuid.UUID | None
    obligations: list[ObligationListedOut]

    @classmethod
    def of(cls, row: dict[str, Any]) -> ContractListedOut:
        """From a read-model row."""
        return cls.model_validate(
            {
                **row,
                "value_gbp": None if row["value_gbp"] is None else figure(row["value_gbp"]),
                "obligations": [
                    {
                        **ob,
                        "total": figure(ob["total"]),
                        "targets": {p: figure(t) for p, t in ob["targets"].items()},
                        "cancelled_targets": {
                            p: figure(t) for p, t in ob["cancelled_targets"].items()
                        },
                    }
                    for ob in row["obligations"]
                ],
            }
        )


class ImportOut(BaseModel):
    """The contracts a file registered, in the order of their first rows."""

    contracts: list[ContractOut]


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
            service.context, buyer, body.terms(buyer.organisation), body.framework_version
        )
        return 201, ContractOut.of(contract).model_dump(mode="json")

    outcome = await service.runtime.idempotency.run(
        buyer.organisation, key, body.model_dump(mode="json"), register
    )
    contract_id, version = outcome.body["contract_id"], outcome.body["version"]
    return replayable(outcome, {"Location": f"/contracts/{contract_id}", **etag(version)})


@router.post(
    "/imports",
    status_code=status.HTTP_201_CREATED,
    response_model=ImportOut,
    summary="Register many existing contracts from a CSV or XLSX file",
)
async def post_contract_file(
    file: Annotated[UploadFile, File(description="CSV or XLSX, one row per obligation")],
    buyer: BuyerDep,
    service: ServiceDep,
    framework_version: Annotated[str | None, Form()] = None,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """All or nothing: any bad row stores nothing and every bad row is named with its reason.

    Columns: reference, title, supplier, starts_on, ends_on, value_gbp, return_due_days,
    measure, total or target_per_quarter, profile (even; annual: 2026-27=40; 2027-28=60;
    quarterly: 2026-27-Q1=1; ...), description, is_kpi, place, vcfse_partner. Rows that share a
    reference are one contract.
    """
    content = await file.read()

    async def register() -> tuple[int, dict[str, Any]]:
        rows = read_table(file.filename or "", content)
        contracts = await import_contracts(service.context, buyer, rows, framework_version)
        return 201, ImportOut(contracts=[ContractOut.of(c) for c in contracts]).model_dump(
            mode="json"
        )

    fingerprint = {"file": hashlib.sha256(content).hexdigest(), "framework": framework_version}
    outcome = await service.runtime.idempotency.run(buyer.organisation, key, fingerprint, register)
    return replayable(outcome)


@router.get("", summary="List your contracts")
async def read_contracts(
    reader: CurrentPrincipal,
    ctx: ContextDep,
    page: PageDep,
    status: Annotated[
        Literal["active", "completed", "terminated"] | None, Query(description="only these")
    ] = None,
    measure: Annotated[str | None, Query(description="only contracts with this measure")] = None,
) -> list[ContractListedOut]:
    """Contracts your organisation let or delivers, with their obligations and targets."""
    rows = await list_contracts(ctx, reader, status, measure, page)
    return [ContractListedOut.of(r) for r in rows]


@router.get("/{contract_id}", summary="Read a contract")
async def read_contract(
    contract_id: uuid.UUID, reader: CurrentPrincipal, ctx: ContextDep
) -> JSONResponse:
    """A contract your organisation is party to, with its obligations, targets and history."""
    contract = await get_contract(ctx, reader, contract_id)
    return _contract_response(contract)


@router.post(
    "/{contract_id}/obligations/{obligation_id}/variations",
    response_model=ContractOut,
    summary="Vary an obligation's targets",
)
async def post_variation(
    contract_id: uuid.UUID,
    obligation_id: uuid.UUID,
    body: VariationIn,
    *,
    buyer: BuyerDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """Record new targets agreed with the supplier, with the reason and the day agreed."""
    contract = await vary_obligation(
        ctx,
        buyer,
        contract_id,
        obligation_id,
        given=body.given(),
        reason=body.reason,
        agreed_on=body.agreed_on,
        if_match=version,
    )
    return _contract_response(contract)


@router.post("/{contract_id}/completion", response_model=ContractOut, summary="Complete")
async def post_completion(
    contract_id: uuid.UUID, body: CompletionIn, buyer: BuyerDep, ctx: ContextDep, version: IfMatch
) -> JSONResponse:
    """Record that a contract ran its course."""
    contract = await complete_contract(ctx, buyer, contract_id, body.completed_on, version)
    return _contract_response(contract)


@router.post("/{contract_id}/termination", response_model=ContractOut, summary="Terminate early")
async def post_termination(
    contract_id: uuid.UUID,
    body: TerminationIn,
    buyer: BuyerDep,
    ctx: ContextDep,
    version: IfMatch,
) -> JSONResponse:
    """End a contract early; targets of quarters starting after the last day are cancelled."""
    contract = await terminate_contract(
        ctx,
        buyer,
        contract_id,
        terminated_on=body.terminated_on,
        reason=body.reason,
        if_match=version,
    )
    return _contract_response(contract)


def _contract_response(contract: Contract) -> JSONResponse:
    body = ContractOut.of(contract).model_dump(mode="json")
    return JSONResponse(body, headers=etag(contract.version))
