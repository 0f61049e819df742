"""Input meant to break things gets a 4xx naming what was wrong, on both databases.

The fuzzing (test_fuzz.py) finds such inputs by chance; these are the ones it found, and their
kin, asked for every time: NUL characters (PostgreSQL cannot store them: a 500 from deep in
the database, before the fix in ``svledger.web.RefuseNulCharacters``), numbers beyond what the
database's integers hold, and bodies over the size limit however they are sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import ClientFactory, bearer

EVERYONE = bearer("org-x", "admin", "buyer", "supplier", "vcfse", "cvs", "auditor")
HUGE = "9" * 30
SOME_ID = "e3e70682-c209-1cac-a29f-6fbed82c07cd"


@dataclass(frozen=True)
class Probe:
    """A hostile request and the field the refusal must name."""

    method: str
    url: str
    culprit: str  # the field the problem document must name
    kwargs: dict[str, Any] = field(default_factory=dict)


PROBES: dict[str, list[Probe]] = {
    "commitments": [
        Probe("GET", "/policies/council%00a", "path"),
        Probe("GET", "/contracts?measure=N%00T1", "measure"),
        Probe("PUT", "/policies/org-x", "statement", {"json": {"statement": "a\u0000b"}}),
        Probe(
            "POST",
            "/frameworks/uploads",
            "version",
            {
                "data": {"version": "v\x001", "title": "t"},
                "files": {"file": ("f.csv", b"theme,outcome,code,measure,unit\n")},
            },
        ),
        *(
            Probe("GET", f"{path}?offset={HUGE}", "offset")
            for path in ("/contracts", "/tenders", "/bids", "/pledges", f"/tenders/{SOME_ID}/bids")
        ),
    ],
    "measurement": [
        Probe("GET", f"/contracts/{SOME_ID}/returns/2026-27-Q1%00", "path"),
        Probe(
            "POST",
            f"/contracts/{SOME_ID}/returns",
            "narrative",
            {"json": {"period": "2026-27-Q1", "narrative": "\u0000", "lines": []}},
        ),
        Probe("GET", f"/alerts?offset={HUGE}", "offset"),
        Probe("GET", "/alerts?max_age_days=99999999", "max_age_days"),
    ],
    "brokerage": [
        Probe("GET", "/organisations/x%00y", "path"),
        Probe("GET", "/asks?place=a%00b", "place"),
        Probe(
            "POST", "/organisations", "contacts.0.name", {"json": {"contacts": [{"name": "\x00"}]}}
        ),
        *(
            Probe("GET", f"{path}?offset={HUGE}", "offset")
            for path in ("/asks", "/offers", "/organisations", "/matches", "/local-needs")
        ),
    ],
    "reporting": [
        Probe("GET", "/suppliers/x%00y/standing", "path"),
        Probe("GET", "/stories?measure=NT%001", "measure"),
    ],
}

# Refusals that do not hold because of defects in services this work may not change:
# (service, method, url) -> the finding in /tmp/findings/<service>.md. Remove when fixed.
KNOWN_FAILURES: dict[tuple[str, str, str], str] = {}


@pytest.fixture(params=list(PROBES))
async def service(
    request: pytest.FixtureRequest, service_client: ClientFactory
) -> tuple[str, httpx.AsyncClient]:
    """One service in-process (it stops with ``service_client``)."""
    name = str(request.param)
    return name, await service_client(name, writes_per_minute=0)


def refused_naming(response: httpx.Response, field_name: str) -> bool:
    """A 4xx problem document naming the field."""
    if not 400 <= response.status_code < 500:
        return False
    if response.headers.get("content-type") != "application/problem+json":
        return False
    return field_name in [e["field"] for e in response.json().get("errors", [])]


async def test_hostile_input_is_refused_naming_the_field(
    service: tuple[str, httpx.AsyncClient],
) -> None:
    name, client = service
    wrong, fixed = [], []
    for probe in PROBES[name]:
        try:
            response = await client.request(
                probe.method, probe.url, headers=EVERYONE, **probe.kwargs
            )
            held, told = refused_naming(response, probe.culprit), response.text[:200]
        except Exception as exc:  # in-process, an unhandled error reaches the client: a 500
            held, told = False, repr(exc)[:200]
        known = KNOWN_FAILURES.get((name, probe.method, probe.url))
        if not held and known is None:
            wrong.append(f"{probe.method} {probe.url}: {told}")
        if held and known is not None:
            fixed.append(
                f"{probe.method} {probe.url} now holds: remove {known} from KNOWN_FAILURES"
            )

    assert wrong + fixed == []


async def test_a_body_over_the_limit_is_413_however_it_is_sent(
    service_client: ClientFactory,
) -> None:
    client = await service_client("brokerage", writes_per_minute=0, max_body_bytes=4096)
    body = b'{"name": "' + b"x" * 8192 + b'", "kind": "vcfse"}'

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    declared = await client.post("/organisations", headers=EVERYONE, content=body)
    streamed = await client.post("/organisations", headers=EVERYONE, content=chunks())

    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
