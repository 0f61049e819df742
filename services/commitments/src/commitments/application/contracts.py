"""Command handlers and queries for contracts: registration (one, or a file of many),
variations, completion and termination."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from svledger.auth import Principal
from svledger.errors import FieldProblem, NotFound, ValidationFailed
from svledger.paging import Page

from commitments.adapters.spreadsheets import Row
from commitments.application.context import Context, expect_version
from commitments.application.rows import RowReader, refuse_rows
from commitments.domain.contract import Contract, ContractTerms, ObligationTerms, TargetsGiven
from commitments.domain.profile import DeliveryProfile, ProfileKind

# The columns of a contracts file: one row per obligation; rows sharing a reference are one
# contract, and must agree on the contract's own columns.
CONTRACT_COLUMNS = (
    "title",
    "supplier",
    "starts_on",
    "ends_on",
    "value_gbp",
    "return_due_days",
)


async def register_contract(
    ctx: Context, buyer: Principal, terms: ContractTerms, framework_version: str | None
) -> Contract:
    """Record a contract the caller's organisation let, with its obligations."""
    framework = await ctx.frameworks.pinned(ctx.load, framework_version, "framework_version")
    contract_id = uuid.uuid4()
    event = Contract.award(contract_id, terms, framework)
    taken = await ctx.read_models.references_taken(terms.buyer, [terms.reference])
    if taken:
        raise _reference_taken(terms.reference, "reference")
    async with ctx.work(buyer) as work:
        recorded = await work.append(Contract.stream_id(str(contract_id)), 0, [event])
    return Contract.require(recorded, f"contract {contract_id}")


async def import_contracts(
    ctx: Context, buyer: Principal, rows: list[Row], framework_version: str | None
) -> list[Contract]:
    """Register every contract in a file, or none: each bad row is named with its reason."""
    framework = await ctx.frameworks.pinned(ctx.load, framework_version, "framework_version")
    problems: list[FieldProblem] = []
    checked: list[FieldProblem] = []
    groups: dict[str, list[_ContractRow]] = {}
    for row in rows:
        parsed = _ContractRow.read(row, problems)
        if parsed.reference:
            groups.setdefault(parsed.reference, []).append(parsed)
    if not rows:
        problems.append(FieldProblem("file", "the file has no rows of contracts"))
    taken = await ctx.read_models.references_taken(buyer.organisation, groups)
    events = []
    for reference, group in groups.items():
        first = group[0]
        for other in group[1:]:
            for column in CONTRACT_COLUMNS:
                if other.contract[column] != first.contract[column]:
                    problems.append(
                        FieldProblem(
                            f"rows.{other.number}.{column}",
                            f"row {other.number}: {column} differs from row {first.number}, "
                            f"which has the same reference {reference}",
                        )
                    )
        if reference in taken:
            checked.extend(_reference_taken(reference, f"rows.{first.number}.reference").errors)
        terms = first.terms(buyer.organisation, [r.obligation for r in group])
        if terms is None:
            continue
        contract_id = uuid.uuid4()
        try:
            events.append((contract_id, Contract.award(contract_id, terms, framework)))
        except ValidationFailed as exc:
            checked.extend(_on_rows(exc.errors, group))
    refuse_rows(problems, checked)
    async with ctx.work(buyer) as work:
        recorded = [
            await work.append(Contract.stream_id(str(contract_id)), 0, [event])
            for contract_id, event in events
        ]
    return [Contract.require(r, "contract") for r in recorded]


async def get_contract(ctx: Context, reader: Principal, contract_id: uuid.UUID) -> Contract:
    """A contract the caller's organisation is party to; 404 for anyone else."""
    contract = Contract.rehydrate(await ctx.load(Contract.stream_id(str(contract_id))))
    if contract is None or not contract.visible_to(reader.organisation):
        raise NotFound(f"contract {contract_id} was not found")
    return contract


async def list_contracts(
    ctx: Context, reader: Principal, status: str | None, measure: str | None, page: Page
) -> list[dict[str, Any]]:
    """Contracts the caller's organisation let or delivers, with obligations and targets."""
    return await ctx.read_models.contracts(
        reader.organisation, status=status, measure=measure, page=page
    )


async def vary_obligation(
    ctx: Context,
    buyer: Principal,
    contract_id: uuid.UUID,
    obligation_id: uuid.UUID,
    *,
    given: TargetsGiven,
    reason: str,
    agreed_on: date,
    if_match: int | None,
) -> Contract:
    """New targets for one obligation, agreed with the supplier; the old ones stay in history."""
    async with ctx.work(buyer) as work:
        contract = await _buyers_contract(work.load, buyer, contract_id)
        expect_version(contract.version, if_match, f"contract {contract_id}")
        event = contract.vary(str(obligation_id), given, reason, agreed_on, ctx.today())
        await work.save(contract, Contract.stream_id(str(contract_id)), [event])
    return contract


async def complete_contract(
    ctx: Context,
    buyer: Principal,
    contract_id: uuid.UUID,
    completed_on: date,
    if_match: int | None,
) -> Contract:
    """Record that a contract ran its course."""
    async with ctx.work(buyer) as work:
        contract = await _buyers_contract(work.load, buyer, contract_id)
        expect_version(contract.version, if_match, f"contract {contract_id}")
        event = contract.complete(completed_on, ctx.today())
        await work.save(contract, Contract.stream_id(str(contract_id)), [event])
    return contract


async def terminate_contract(
    ctx: Context,
    buyer: Principal,
    contract_id: uuid.UUID,
    *,
    terminated_on: date,
    reason: str,
    if_match: int | None,
) -> Contract:
    """End a contract early: targets of quarters starting after ``terminated_on`` are cancelled."""
    async with ctx.work(buyer) as work:
        contract = await _buyers_contract(work.load, buyer, contract_id)
        expect_version(contract.version, if_match, f"contract {contract_id}")
        event = contract.terminate(terminated_on, reason)
        await work.save(contract, Contract.stream_id(str(contract_id)), [event])
    return contract


async def _buyers_contract(load: Any, buyer: Principal, contract_id: uuid.UUID) -> Contract:
    contract = Contract.rehydrate(await load(Contract.stream_id(str(contract_id))))
    if contract is None or contract.buyer != buyer.organisation:
        raise NotFound(f"contract {contract_id} was not found among the contracts you let")
    return contract


def _reference_taken(reference: str, field: str) -> ValidationFailed:
    return ValidationFailed(
        f"you have already registered a contract with reference {reference}",
        field=field,
    )


def _on_rows(problems: list[FieldProblem], group: list[_ContractRow]) -> list[FieldProblem]:
    """Name a contract's problems by the rows they come from (obligation i is row i)."""
    named = []
    for p in problems:
        parts = p.field.split(".")
        if parts[0] == "obligations" and len(parts) > 2 and parts[1].isdigit():
            number = group[int(parts[1])].number
            column = {"targets": "target_per_quarter"}.get(parts[2], parts[2])
        else:
            number, column = group[0].number, parts[0]
        named.append(FieldProblem(f"rows.{number}.{column}", f"row {number}: {p.message}"))
    return named


@dataclass(frozen=True, slots=True)
class _ContractRow:
    """One row of a contracts file: the contract's columns and one obligation."""

    number: int
    reference: str
    contract: dict[str, Any]
    obligation: ObligationTerms

    @classmethod
    def read(cls, row: Row, problems: list[FieldProblem]) -> _ContractRow:
        cells = RowReader(row, problems)
        reference = cells.text("reference", max_length=100)
        contract = {
            "title": cells.text("title"),
            "supplier": cells.text("supplier", max_length=200),
            "starts_on": cells.day("starts_on"),
            "ends_on": cells.day("ends_on"),
            "value_gbp": cells.quantity("value_gbp", required=False),
            "return_due_days": cells.integer("return_due_days", 30, 0, 365),
        }
        return cls(row.number, reference, contract, _obligation(cells))

    def terms(self, buyer: str, obligations: list[ObligationTerms]) -> ContractTerms | None:
        """The contract's terms, or None when its dates could not be read."""
        c = self.contract
        if c["starts_on"] is None or c["ends_on"] is None:
            return None
        return ContractTerms(
            reference=self.reference,
            title=c["title"],
            buyer=buyer,
            supplier=c["supplier"],
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            value_gbp=c["value_gbp"],
            return_due_days=c["return_due_days"],
            obligations=obligations,
        )


def _obligation(cells: RowReader) -> ObligationTerms:
    """The row's obligation, as far as its cells can be read (problems are noted)."""
    measure = cells.text("measure", max_length=20)
    per_quarter = cells.quantity("target_per_quarter", required=False)
    total = cells.quantity("total", required=False)
    profile = _profile(cells)
    if (per_quarter is None) == (total is None):
        cells.problem("total", "give either total (with an optional profile) or target_per_quarter")
    given = TargetsGiven(per_quarter=per_quarter, total=total, profile=profile)
    return ObligationTerms(
        measure=measure,
        given=given,
        description=cells.text("description", required=False, max_length=2000),
        is_kpi=cells.flag("is_kpi"),
        place=cells.optional_text("place", max_length=200),
        vcfse_partner=cells.optional_text("vcfse_partner", max_length=200),
    )


def _profile(cells: RowReader) -> DeliveryProfile:
    """``even`` (or empty), ``annual: 2026-27=40; 2027-28=60``, ``quarterly: 2026-27-Q1=1; ...``."""
    text = cells.text("profile", required=False)
    kind, _, rest = text.partition(":")
    try:
        profile = DeliveryProfile(ProfileKind(kind.strip().lower() or "even"))
    except ValueError:
        cells.problem("profile", f"'{kind}' is not a profile: even, annual or quarterly")
        return DeliveryProfile()
    weights: dict[str, Decimal] = {}
    for pair in filter(None, (p.strip() for p in rest.split(";"))):
        label, _, weight = pair.partition("=")
        try:
            weights[label.strip()] = Decimal(weight.strip())
        except ArithmeticError:
            cells.problem("profile", f"'{pair}' is not a weight like 2026-27=40")
    return replace(profile, weights=weights)
