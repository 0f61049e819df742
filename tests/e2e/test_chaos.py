"""Chaos under load: returns keep coming while NATS, measurement and reporting are killed.

The four services and a nats-server run as separate processes. Several suppliers' systems
submit quarterly returns without pause, each with an ``Idempotency-Key``, while the test
SIGKILLs the nats-server and restarts it, then the measurement service, then the reporting
service. A client that meets a refused connection, a timeout or a 5xx retries the same request
with the same key, as a careful client would; until it gets a 2xx its return does not count as
accepted.

At the end, within a deadline: every accepted return is in measurement exactly once (one
version, the narrative sent) and in reporting's stories exactly once; every return measurement
holds reached reporting; every alert measurement raised is in reporting exactly once, and every
alert a client was told about is in both. The counts are printed.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from svledger.idempotency import ABANDONED_AFTER
from svledger.periods import quarters_between

from tests.conftest import DatabaseFactory, bearer
from tests.e2e.conftest import System, start_system, stop_system
from tests.harness import NatsServer, eventually

BUYER = bearer("council-chaos", "buyer", subject="cm@council-chaos")
SUPPLIER = bearer("supplier-chaos", "supplier", subject="finance@supplier-chaos")
CLIENTS = 6
CONTRACTS_PER_CLIENT = 4
# A return is retried with its key for this long before the client gives up on it: longer
# than a key's claim is held for a request that died with its process (ABANDONED_AFTER).
PATIENCE_S = ABANDONED_AFTER.total_seconds() + 15
SETTLE_S = 90.0


@dataclass
class Submission:
    """One quarterly return a client means to submit."""

    contract_id: str
    obligation_id: str
    period: str
    quantity: str
    attempts: int = 0
    accepted: bool = False
    replayed: bool = False
    # Stored, though the 2xx was lost with a killed process: the retry was told the return
    # was already submitted, and reading it back showed this client's narrative.
    stored_unanswered: bool = False
    alerts: list[str] = field(default_factory=list)
    outcome: str = "not sent"

    @property
    def key(self) -> str:
        """Its Idempotency-Key: the same on every retry."""
        return f"chaos:{self.contract_id}:{self.period}"

    @property
    def narrative(self) -> str:
        """A narrative only this return carries, to find it in reporting."""
        return f"chaos return {self.contract_id} {self.period}"

    def body(self) -> dict[str, Any]:
        """The return."""
        return {
            "period": self.period,
            "narrative": self.narrative,
            "lines": [{"obligation_id": self.obligation_id, "quantity": self.quantity}],
        }


@dataclass
class Tally:
    """What the clients met."""

    submissions: list[Submission] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    kills: list[str] = field(default_factory=list)
    survived: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> list[Submission]:
        """Returns that got a 2xx."""
        return [s for s in self.submissions if s.accepted]

    @property
    def stored(self) -> list[Submission]:
        """Returns known to be stored: accepted, or found stored after their 2xx was lost."""
        return [s for s in self.submissions if s.accepted or s.stored_unanswered]


async def contracts(system: System) -> list[tuple[str, str]]:
    """The buyer lets contracts to the supplier (one local-jobs obligation each, 4 FTE a
    quarter since April 2016) and measurement learns them: (contract id, obligation id)."""
    made = []
    async with system.client("commitments") as commitments:
        for n in range(CLIENTS * CONTRACTS_PER_CLIENT):
            response = await commitments.post(
                "/contracts",
                headers=BUYER,
                json={
                    "reference": f"CHAOS-{n}",
                    "title": "Grounds maintenance",
                    "supplier": "supplier-chaos",
                    "starts_on": "2016-04-01",
                    "ends_on": "2027-03-31",
                    "obligations": [{"measure": "NT1", "target_per_quarter": "4"}],
                },
            )
            assert response.status_code == 201, response.text
            body = response.json()
            made.append((body["contract_id"], body["obligations"][0]["obligation_id"]))
    async with system.client("measurement") as measurement:
        for contract_id, _ in made:
            await eventually(
                functools.partial(status_of, measurement, f"/contracts/{contract_id}/schedule"),
                until=lambda status: status == 200,
                timeout_s=30,
                what="measurement to learn the contracts",
            )
    return made


async def status_of(client: httpx.AsyncClient, url: str) -> int:
    """The status of a GET as the buyer."""
    return (await client.get(url, headers=BUYER)).status_code


def plan(made: list[tuple[str, str]]) -> list[list[Submission]]:
    """Each client's returns: its own contracts, quarter by quarter; every fifth falls short."""
    quarters = [q.label for q in quarters_between(date(2016, 4, 1), date.today())]
    plans: list[list[Submission]] = [[] for _ in range(CLIENTS)]
    for n, (contract_id, obligation_id) in enumerate(made):
        for index, period in enumerate(quarters):
            quantity = "2" if (n + index) % 5 == 0 else "4"
            plans[n % CLIENTS].append(Submission(contract_id, obligation_id, period, quantity))
    for own in plans:  # quarter-major: each contract's quarters in order, contracts interleaved
        own.sort(key=lambda s: (s.period, s.contract_id))
    return plans


async def submit(client: httpx.AsyncClient, submission: Submission, tally: Tally) -> None:
    """Submit until a 2xx, a refusal that a retry cannot change, or the client's patience ends;
    every retry repeats the same key and body."""
    url = f"/contracts/{submission.contract_id}/returns"
    headers = {**SUPPLIER, "Idempotency-Key": submission.key}
    give_up = time.monotonic() + PATIENCE_S
    while True:
        submission.attempts += 1
        try:
            response = await client.post(url, headers=headers, json=submission.body())
        except httpx.TransportError as exc:
            tally.failures[type(exc).__name__] += 1
        else:
            if response.status_code in (200, 201):
                submission.accepted = True
                submission.replayed = response.headers.get("Idempotent-Replayed") == "true"
                submission.alerts = [str(a) for a in response.json()["alerts"]]
                submission.outcome = "accepted"
                return
            tally.failures[f"HTTP {response.status_code}"] += 1
            if "already submitted" in response.text:
                submission.stored_unanswered = await stored(client, submission)
                submission.outcome = f"already submitted; stored {submission.stored_unanswered}"
                return
            if response.status_code < 500 and response.status_code not in (409, 429):
                submission.outcome = f"refused {response.status_code}: {response.text[:300]}"
                return
            submission.outcome = f"last {response.status_code}: {response.text[:300]}"
        if time.monotonic() > give_up:
            submission.outcome = (
                f"gave up after {submission.attempts} attempts; {submission.outcome}"
            )
            return
        await asyncio.sleep(0.25)  # back off before retrying the same request


async def stored(client: httpx.AsyncClient, submission: Submission) -> bool:
    """Whether the return measurement holds for the period is this one."""
    url = f"/contracts/{submission.contract_id}/returns/{submission.period}"
    response = await client.get(url, headers=SUPPLIER)
    return response.status_code == 200 and response.json()["narrative"] == submission.narrative


async def supplier_system(
    measurement_url: str, own: list[Submission], tally: Tally, stop: asyncio.Event
) -> None:
    """One client submitting its returns one after another until told to stop."""
    async with httpx.AsyncClient(base_url=measurement_url, timeout=5) as client:
        for submission in own:
            if stop.is_set():
                return
            tally.submissions.append(submission)
            await submit(client, submission, tally)


async def chaos(system: System, tally: Tally) -> None:
    """Kill and restart NATS, then measurement, then reporting, with load running throughout.

    The pauses are the fault schedule (how long each part stays down, how long the system runs
    between faults), not waits for an event.
    """
    await asyncio.sleep(4)  # the fault schedule: load runs 4 s before the first fault
    await outage("nats", system.nats.kill, lambda: asyncio.to_thread(system.nats.start), tally)
    await everything_ready(system)
    for service in ("measurement", "reporting"):
        await asyncio.sleep(4)
        process = system.processes[service]
        await outage(service, process.kill, process.start, tally)
    await everything_ready(system)
    await asyncio.sleep(4)


async def outage(
    name: str, kill: Callable[[], None], restart: Callable[[], Awaitable[None]], tally: Tally
) -> None:
    """SIGKILL one part, leave it down a while, start it again."""
    kill()
    tally.kills.append(name)
    await asyncio.sleep(3)
    await restart()
    tally.survived.append(name)


async def everything_ready(system: System) -> None:
    """Every service answers /readyz with 200 (database and NATS reachable)."""
    for process in system.processes.values():
        await process.ready(timeout_s=60)


async def in_measurement(system: System, tally: Tally) -> tuple[list[str], list[str]]:
    """Accepted returns missing from measurement, and any stored more than once or altered."""
    lost, duplicated = [], []
    async with system.client("measurement") as measurement:
        for s in tally.stored:
            response = await measurement.get(
                f"/contracts/{s.contract_id}/returns/{s.period}", headers=BUYER
            )
            if response.status_code != 200:
                lost.append(s.key)
            elif response.json()["version"] != 1 or response.json()["narrative"] != s.narrative:
                duplicated.append(s.key)
    return lost, duplicated


async def returns_measurement_holds(system: System, made: list[tuple[str, str]]) -> set[str]:
    """Every (contract, period) measurement has a return for, accepted by a client or not."""
    held = set()
    async with system.client("measurement") as measurement:
        for contract_id, _ in made:
            response = await measurement.get(f"/contracts/{contract_id}/schedule", headers=BUYER)
            assert response.status_code == 200, response.text
            for period in response.json()["periods"]:
                if period["return_version"] is not None:
                    held.add(f"chaos:{contract_id}:{period['period']}")
    return held


async def stories_in_reporting(system: System, made: list[tuple[str, str]]) -> Counter[str]:
    """How often each return's own narrative appears in reporting's stories, page by page."""
    seen: Counter[str] = Counter()
    async with system.client("reporting") as reporting:
        for contract_id, _ in made:
            read = 0
            while True:
                response = await reporting.get(
                    "/stories",
                    params={"contract_id": contract_id, "limit": 500, "offset": read},
                    headers=BUYER,
                )
                assert response.status_code == 200, response.text
                page = response.json()
                for story in page["stories"]:
                    if story["obligation_id"] is None and story["narrative"].startswith("chaos "):
                        seen[f"chaos:{story['contract_id']}:{story['period']}"] += 1
                read += len(page["stories"])
                if read >= page["total"] or not page["stories"]:
                    break
    return seen


async def alerts_in_measurement(system: System) -> Counter[str]:
    """Every alert in measurement's inbox, page by page."""
    seen: Counter[str] = Counter()
    async with system.client("measurement") as measurement:
        offset = 0
        while True:
            response = await measurement.get(
                "/alerts", params={"limit": 500, "offset": offset}, headers=BUYER
            )
            assert response.status_code == 200, response.text
            page = response.json()
            seen.update(str(a["alert_id"]) for a in page)
            if len(page) < 500:
                return seen
            offset += 500


async def alerts_in_reporting(system: System) -> Counter[str]:
    """Every alert reporting shows the buyer, page by page."""
    seen: Counter[str] = Counter()
    async with system.client("reporting") as reporting:
        while True:
            response = await reporting.get(
                "/alerts", params={"limit": 500, "offset": sum(seen.values())}, headers=BUYER
            )
            assert response.status_code == 200, response.text
            page = response.json()
            seen.update(str(a["alert_id"]) for a in page["alerts"])
            if sum(seen.values()) >= page["total"] or not page["alerts"]:
                return seen


async def test_returns_survive_killing_nats_measurement_and_reporting_under_load(
    make_database: DatabaseFactory, fresh_nats: NatsServer, tmp_path: Path
) -> None:
    # The overdue scheduler would raise alerts of its own for ten years of quarters; one
    # supplier's load is far over the per-organisation write limit, which is not under test.
    system = await start_system(
        make_database,
        fresh_nats,
        tmp_path,
        SVL_MEASUREMENT_RUN_SCHEDULER="false",
        SVL_WRITES_PER_MINUTE="0",
    )
    try:
        await run_chaos(system)
    finally:
        stop_system(system)


async def run_chaos(system: System) -> None:
    made = await contracts(system)
    tally = Tally()
    stop = asyncio.Event()
    measurement_url = system.urls["measurement"]
    clients = [
        asyncio.create_task(supplier_system(measurement_url, own, tally, stop))
        for own in plan(made)
    ]
    started = time.monotonic()
    try:
        await chaos(system, tally)
    finally:
        stop.set()
        await asyncio.gather(*clients)
    load_s = time.monotonic() - started

    # Reporting catches up with everything measurement holds, within the deadline.
    held = await returns_measurement_holds(system, made)
    reported = await eventually(
        lambda: stories_in_reporting(system, made),
        until=lambda seen: held <= set(seen),
        timeout_s=SETTLE_S,
        interval_s=0.5,
        what="reporting to show every return measurement holds",
    )
    raised = await alerts_in_measurement(system)
    alerted = await eventually(
        lambda: alerts_in_reporting(system),
        until=lambda seen: set(raised) <= set(seen),
        timeout_s=SETTLE_S,
        interval_s=0.5,
        what="reporting to show every alert measurement raised",
    )
    lost_in_measurement, altered = await in_measurement(system, tally)
    accepted = tally.accepted
    lost_in_reporting = [s.key for s in tally.stored if reported[s.key] == 0]
    duplicated_returns = [k for k, n in reported.items() if n > 1] + altered
    told = {a for s in accepted for a in s.alerts}
    lost_alerts = sorted((told - set(raised)) | (set(raised) - set(alerted)))
    duplicated_alerts = sorted(
        [a for a, n in raised.items() if n > 1] + [a for a, n in alerted.items() if n > 1]
    )
    not_accepted = [s for s in tally.submissions if not s.accepted]
    unanswered = [s for s in not_accepted if s.stored_unanswered]

    print(
        f"\nchaos: {len(tally.submissions)} returns sent in {load_s:.0f}s by {CLIENTS} clients; "
        f"accepted {len(accepted)} ({sum(s.replayed for s in accepted)} of them replayed after a "
        f"retry, {sum(s.attempts > 1 for s in accepted)} needed retries); not accepted "
        f"{len(not_accepted)} ({len(unanswered)} of them stored, their 2xx lost with a killed "
        f"process); held by measurement {len(held)}; in reporting {len(reported)}"
        f"\n  lost: {len(lost_in_measurement)} in measurement, {len(lost_in_reporting)} in "
        f"reporting; duplicated: {len(duplicated_returns)}"
        f"\n  alerts: told {len(told)}, in measurement {len(raised)}, in reporting {len(alerted)};"
        f" lost {len(lost_alerts)}, duplicated {len(duplicated_alerts)}"
        f"\n  kills survived: {len(tally.survived)} of {len(tally.kills)}"
        f" ({', '.join(tally.kills)})"
        f"\n  what clients met: {dict(tally.failures)}"
    )
    for s in not_accepted[:5]:
        print(f"  not accepted: {s.key}: {s.outcome}")

    assert tally.survived == ["nats", "measurement", "reporting"]
    assert len(accepted) > 100, "too little load got through to prove anything"
    assert lost_in_measurement == []
    assert lost_in_reporting == []
    assert duplicated_returns == []
    assert lost_alerts == []
    assert duplicated_alerts == []
    # Every client knows where its returns stand: measurement holds exactly those it was told
    # were accepted or found stored, none that a client gave up on, none from nowhere.
    assert held == {s.key for s in tally.stored}
