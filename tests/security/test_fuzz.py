"""Schemathesis against each service's own OpenAPI document, over HTTP to a real uvicorn.

Each service runs as a process (real database, real NATS) and every operation in its document
gets cases generated from the schema, valid ones and invalid ones, sent with a valid bearer
token that holds every role (so generated requests reach the handlers, not just the role
checks). Every response must be free of server errors (5xx) and conform to what the document
says: its status's schema and content type. Then a stateful run follows the links schemathesis
infers between operations (a created resource's id fed to the operations that read and change
it).

It runs on each backend the machine has (SQLite, and PostgreSQL with TEST_DATABASE_URL): the
databases refuse different things (PostgreSQL refuses a NUL character in text, SQLite an integer
beyond 64 bits), and either refusal must be a 4xx naming the field, never a 500.

Reproducible: hypothesis is derandomized (its seed is derived from the test) and the example
database is off. ``SVL_FUZZ_CASES`` raises the number of cases per service (default 1,000).
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)
from svledger.bus import SERVICES

from tests.conftest import bearer
from tests.e2e.conftest import ServiceProcess
from tests.harness import NatsServer
from tests.security.conftest import Databases, service_env, stopping

CASES = int(os.environ.get("SVL_FUZZ_CASES", "1000"))
STATEFUL_STEPS = int(os.environ.get("SVL_FUZZ_STATEFUL_SCENARIOS", "30"))
ALL_ROLES = ("admin", "buyer", "supplier", "vcfse", "cvs", "auditor")
TOKEN = bearer("fuzz-org", *ALL_ROLES, subject="fuzzer@fuzz-org")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Defects found in services this work may not change, reported in /tmp/findings/<service>.md.
# Each entry names (service, "METHOD path", status); remove it when the finding is fixed.
KNOWN_FAILURES: dict[tuple[str, str, int], str] = {}


@dataclass
class Tally:
    """What a run sent and what broke."""

    service: str
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)

    def record(self, case: Any, response: Any) -> None:
        """Count one case and check its response; keep the first failure per operation."""
        self.cases += 1
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors += 1
        known = KNOWN_FAILURES.get(
            (self.service, f"{case.method} {case.path}", response.status_code)
        )
        if known is not None:
            self.known.add(f"{case.method} {case.path} -> {response.status_code}: {known}")
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failed:
            label = f"{case.method} {case.path} -> {response.status_code}"
            kinds = sorted({type(f).__name__ for f in failed.exceptions})
            key = f"{label} {kinds}"
            self.failures.setdefault(key, str(failed)[:3000])

    def summary(self) -> str:
        """One line for the log."""
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.service}: {self.cases} cases, {self.server_errors} server errors, "
            f"{len(self.failures)} distinct failures; statuses {{{statuses}}}"
        )


def keep_on_this_machine(case: Any) -> Any:
    """Point a generated webhook URL at a loopback address literal.

    Subscribing resolves the URL's host name; a generated name would send DNS queries off this
    machine. A loopback literal is refused (422) without any lookup, and delivery is off anyway.
    """
    subscribing = case.method == "POST" and case.path == "/webhooks"
    if subscribing and isinstance(case.body, dict) and isinstance(case.body.get("url"), str):
        case.body["url"] = "http://127.0.0.1:9/fuzz"
    return case


def explore(
    operation: Any, mode: GenerationMode, examples: int, send: Callable[[Any], Any], tally: Tally
) -> None:
    """Up to ``examples`` generated cases for one operation; failures are tallied, not raised,
    so one defect does not hide the others behind hypothesis' shrinking."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        tally.record(case, send(case))

    run()


def fuzz(schema: Any, base_url: str, tally: Tally) -> None:
    """Positive then negative cases for every operation, spread to reach the target count."""
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = math.ceil(CASES / len(operations))
    with requests.Session() as session:

        def send(case: Any) -> Any:
            return keep_on_this_machine(case).call(
                base_url=base_url, session=session, headers=TOKEN, timeout=30
            )

        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                explore(operation, mode, per_operation, send, tally)


def fuzz_stateful(schema: Any, base_url: str, tally: Tally) -> None:
    """Sequences of calls along the links schemathesis infers (create, then read or change)."""
    machine = schema.as_state_machine()

    class Recorded(machine):  # type: ignore[misc, valid-type]
        def call(self, case: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", 30)
            return keep_on_this_machine(case).call(base_url=base_url, headers=TOKEN, **kwargs)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            tally.record(case, response)

    run_state_machine_as_test(
        Recorded,
        settings=settings(
            max_examples=STATEFUL_STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            stateful_step_count=10,
            suppress_health_check=list(HealthCheck),
        ),
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_generated_requests_get_no_server_error_and_documented_responses(
    service: str, module_nats: NatsServer, module_databases: Databases, tmp_path: Path
) -> None:
    env = service_env(
        module_nats,
        SVL_WRITES_PER_MINUTE="0",
        **{f"SVL_{service.upper()}_DATABASE_URL": await module_databases.make(service)},
    )
    process = ServiceProcess(service, env, tmp_path / f"{service}.log")
    with stopping(process):
        await process.start()
        schema = schemathesis.openapi.from_url(f"{process.url}/openapi.json")
        tally = Tally(service)
        await asyncio.to_thread(fuzz, schema, process.url, tally)
        stateless = tally.cases
        await asyncio.to_thread(fuzz_stateful, schema, process.url, tally)
    print(
        f"\n[{module_databases.backend}] {tally.summary()} "
        f"({stateless} stateless, {tally.cases - stateless} stateful)"
    )
    for line in sorted(tally.known):
        print(f"  known failure (see /tmp/findings): {line}")
    for key in sorted(tally.failures):
        print(f"  FAILURE {key}")

    assert tally.cases >= CASES
    assert tally.failures == {}, "\n\n".join(tally.failures.values())
