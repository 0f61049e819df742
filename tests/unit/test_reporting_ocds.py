"""Offline OCDS validation: the metrics extension merged in, codelists checked, errors found."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
from reporting.adapters.exact_json import dumps, dumps_in_pieces
from reporting.adapters.ocds import Package, package_head, release
from reporting.adapters.ocds_validation import merge_patch, parse, release_schema, validate_package
from reporting.domain.portfolio import ContractFacts, LineFacts, ObligationFacts, Portfolio

PUBLISHED = datetime(2027, 1, 15, 12, tzinfo=UTC)
T = TypeVar("T")


def a_package() -> dict[str, Any]:
    contract = ContractFacts(
        contract_id="c1",
        reference="WC-001",
        title="Highways",
        buyer="council",
        supplier="builder",
        starts_on=date(2026, 4, 1),
        ends_on=date(2027, 3, 31),
        value_gbp=Decimal("1250000.50"),
        framework_version="toms",
        awarded_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    ob = ObligationFacts(
        contract_id="c1",
        obligation_id="ob1",
        sequence=0,
        measure="NT1",
        theme="Jobs",
        outcome="Local jobs",
        unit="FTE",
        description="Local people employed",
        is_kpi=True,
        targets={"2026-27-Q1": Decimal(4), "2026-27-Q2": Decimal(4)},
    )
    portfolio = Portfolio(
        [contract],
        [ob],
        [LineFacts("c1", "ob1", "2026-27-Q1", Decimal("2.5"), True)],
        proxy_values={},
        as_of=date(2027, 1, 15),
    )
    built = Package(
        package_head("http://x/y", "council", PUBLISHED),
        made([release(portfolio, contract, "ocds-abc123", PUBLISHED)]),
    )
    parsed: dict[str, Any] = parse(b"".join(asyncio.run(gathered(built.pieces()))).decode())
    return parsed


async def made(items: list[T]) -> AsyncIterator[T]:
    """``items``, one at a time, as a package's releases come."""
    for item in items:
        yield item


async def gathered(pieces: AsyncIterator[bytes]) -> list[bytes]:
    """Every piece a package is written in."""
    return [piece async for piece in pieces]


def test_the_metrics_extension_is_merged_into_the_release_schema() -> None:
    schema = release_schema()

    assert "agreedMetrics" in schema["definitions"]["Contract"]["properties"]
    assert "metrics" in schema["definitions"]["Implementation"]["properties"]
    assert "transactions" in schema["definitions"]["Implementation"]["properties"]  # core kept
    assert "Observation" in schema["definitions"]


def test_a_merge_patch_merges_objects_replaces_values_and_null_removes() -> None:
    target = {"a": {"b": 1, "c": 2}, "d": [1], "e": 3}
    assert merge_patch(target, {"a": {"b": 9, "c": None}, "d": [2], "f": 4}) == {
        "a": {"b": 9},
        "d": [2],
        "e": 3,
        "f": 4,
    }


def test_a_package_built_from_a_contract_is_valid() -> None:
    validation = validate_package(a_package())

    assert validation.errors == []
    assert validation.warnings == []
    assert validation.valid


def test_amounts_are_exact_json_numbers() -> None:
    text = dumps({"amount": Decimal("1250000.5000"), "tiny": Decimal("0.0001")})
    assert text == b'{"amount":1250000.5,"tiny":0.0001}'
    assert json.loads(text, parse_float=Decimal)["amount"] == Decimal("1250000.5")


def test_every_amount_of_a_long_document_is_exact_and_its_text_stays_text() -> None:
    amounts = [Decimal(i) / Decimal(8) for i in range(3000)]
    document = {"rows": [{"amount": a, "label": str(a), "on": date(2027, 1, 1)} for a in amounts]}

    parsed = json.loads(dumps(document), parse_float=Decimal, parse_int=Decimal)

    assert [row["amount"] for row in parsed["rows"]] == amounts
    assert [row["label"] for row in parsed["rows"]] == [str(a) for a in amounts]
    assert {row["on"] for row in parsed["rows"]} == {"2027-01-01"}
    with pytest.raises(TypeError) as refused:
        dumps({"amount": Decimal("NaN")})
    assert "NaN cannot be written as a JSON number" in str(refused.value.__cause__)


async def test_a_document_written_in_pieces_is_the_whole_document_making_its_items_as_it_goes() -> (
    None
):
    items = [{"amount": Decimal(i) / 4, "on": date(2027, 1, 1)} for i in range(5)]
    taken: list[int] = []

    async def making() -> AsyncIterator[dict[str, Any]]:
        for i, item in enumerate(items):
            taken.append(i)
            yield item

    head = {"releases": "stale", "uri": "http://example/p", "total": Decimal("1.5000")}
    pieces = dumps_in_pieces(head, "releases", making())
    first = [await anext(pieces), await anext(pieces)]
    taken_by_the_first_release = list(taken)
    rest = await gathered(pieces)

    whole = b"".join(first + rest)
    assert whole == dumps({"uri": "http://example/p", "total": Decimal("1.5"), "releases": items})
    assert json.loads(whole, parse_float=Decimal)["releases"][3]["amount"] == Decimal("0.75")
    assert taken_by_the_first_release == [0]
    assert b"".join(await gathered(dumps_in_pieces({"uri": "u"}, "releases", made([])))) == (
        b'{"uri":"u","releases":[]}'
    )


@pytest.mark.parametrize(
    ("damage", "where", "message"),
    [
        (
            lambda p: p["releases"][0]["contracts"][0].update(status="ongoing"),
            "/releases/0/contracts/0/status",
            "'ongoing'",
        ),
        (lambda p: p["releases"][0].pop("ocid"), "/releases/0", "'ocid' is a required property"),
        (lambda p: p.update(publishedDate="15/01/2027"), "/publishedDate", "date-time"),
        (
            lambda p: p["releases"][0]["contracts"][0]["value"].update(currency="ZZZ"),
            "/releases/0/contracts/0/value/currency",
            "'ZZZ'",
        ),
        (
            lambda p: p["releases"][0]["contracts"][0]["value"].update(amount="lots"),
            "/releases/0/contracts/0/value/amount",
            "'lots'",
        ),
        (
            lambda p: p["releases"][0]["contracts"][0]["agreedMetrics"][0].update(id=7),
            "/releases/0/contracts/0/agreedMetrics/0/id",
            "7",
        ),
        (lambda p: p["releases"][0]["tag"].append("finished"), "/releases/0/tag", "'finished'"),
    ],
)
def test_validation_finds_what_is_wrong_and_where(damage: Any, where: str, message: str) -> None:
    broken = copy.deepcopy(a_package())
    damage(broken)

    validation = validate_package(broken)

    assert not validation.valid
    assert any(e.path == where and message in e.message for e in validation.errors), (
        validation.errors
    )


def test_a_code_outside_an_open_codelist_is_a_warning_not_an_error() -> None:
    extended = a_package()
    extended["releases"][0]["parties"][0]["roles"].append("socialValueAuditor")

    validation = validate_package(extended)

    assert validation.errors == []
    [warning] = validation.warnings
    assert warning.path == "/releases/0/parties/0/roles"
    assert "'socialValueAuditor' is not in the open codelist partyRole.csv" in warning.message


def test_the_command_line_validates_a_file_and_fails_on_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(dumps(a_package()))
    bad_package = a_package()
    bad_package["releases"][0]["contracts"][0]["status"] = "ongoing"
    bad = tmp_path / "bad.json"
    bad.write_bytes(dumps(bad_package))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "reporting.cli", "validate-ocds", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )

    passed, failed = run(good), run(bad)

    assert passed.returncode == 0, passed.stderr
    assert "valid" in passed.stdout
    assert failed.returncode == 1
    assert "/releases/0/contracts/0/status" in failed.stdout
