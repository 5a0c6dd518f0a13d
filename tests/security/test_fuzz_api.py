"""Schemathesis over the real app's OpenAPI schema: no input gets a 5xx, the server keeps serving.

The app runs as its own process (uvicorn, SQLite, the demo mission seeded so ids hit rows) on
a loopback port. Every operation gets valid (positive) and invalid (negative) inputs; each
5xx is collected, with its request, and all are reported at the end rather than stopping at
the first. `make test` sends a few hundred inputs; `make test-slow` sends >= 10,000.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from app.database import create_engine, create_sessionmaker
from app.demo import ensure_demo_mission
from app.main import create_app
from app.migrations import upgrade
from app.settings import Settings
from tests import principals
from tests.conftest import create_sqlite_database
from tests.live import ServiceProcess, free_port

DEFAULT_EXAMPLES = 300
SLOW_EXAMPLES = 10_000
HUGE_ID = "99999999999999999999"  # beyond any integer column

# 5xx found by this fuzzing and not fixed yet: a 5xx on these operations does not fail the
# fuzz run (any other does); each gets a strict-xfail reproducer below until it is fixed.
KNOWN_SERVER_ERRORS: dict[tuple[str, str], str] = {}
# Found and fixed the same day: reports of a mission with no outcomes (IndexError in
# app/reports/press.py), unbounded ids in reports, outcomes, follow-ups and mission close,
# an unbounded page offset, control characters in an XLSX cell, UTCTime overflow near year 1,
# opening hours with a UTC offset.
# Their reproducers became the regression tests below.


def _schema() -> Any:
    app = create_app(Settings(environment="test", database_url="sqlite+aiosqlite:///:memory:"))
    return schemathesis.openapi.from_dict(app.openapi())


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CASES = st.one_of(
    [
        operation.as_strategy(generation_mode=mode)
        for operation in OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
)


def known_cause(case: Any) -> str | None:
    """Why this case's 5xx is a known finding, or None for a new one."""
    return KNOWN_SERVER_ERRORS.get((case.method, case.path))


@dataclass
class LiveServer:
    """The app as a process (tests/live.py), with an admin's session for the fuzzer."""

    live: ServiceProcess
    demo_mission_id: int
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def base_url(self) -> str:
        return self.live.base_url

    @property
    def log(self) -> Path:
        return self.live.log

    def alive(self) -> bool:
        if not self.live.alive:
            return False
        try:
            return self.http.get(f"{self.base_url}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False


async def _seed(url: str) -> int:
    engine = create_engine(url)
    try:
        return (await ensure_demo_mission(create_sessionmaker(engine))).id
    finally:
        await engine.dispose()


async def _admin_headers(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await principals.admin_headers(
                session, Settings(environment="test", database_url=url)
            )
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("fuzz")
    url = create_sqlite_database(folder)
    upgrade(url)
    demo_mission_id = asyncio.run(_seed(url))
    headers = asyncio.run(_admin_headers(url))
    live = ServiceProcess(
        url,
        free_port(),
        folder / "server.log",
        "fuzz-api-secret-key",
        settings_values={
            "log_level": "WARNING",
            # The fuzzer is one client sending thousands of inputs: 429s would hide the routes.
            "api_rate_per_second": 1000000,
            "api_rate_burst": 1000000,
        },
    )
    live.start()
    server = LiveServer(live, demo_mission_id)
    # Signed in as an admin: the inputs reach the routes behind the authorization check.
    server.http.headers.update(headers)
    try:
        yield server
    finally:
        live.stop()


def _describe(case: Any, response: requests.Response | None, error: str = "") -> dict[str, Any]:
    body = case.body if not isinstance(case.body, bytes) else repr(case.body[:200])
    if type(body).__name__ == "NotSet":
        body = None
    try:
        body_text = json.dumps(body, default=repr)[:500]
    except (TypeError, ValueError):
        body_text = repr(body)[:500]
    return {
        "operation": f"{case.method} {case.path}",
        "path_parameters": case.path_parameters,
        "query": case.query,
        "body": body_text,
        "status": response.status_code if response is not None else None,
        "response": (response.text[:300] if response is not None else error),
    }


def fuzz(server: LiveServer, examples: int, *, derandomize: bool) -> None:
    failures: list[dict[str, Any]] = []
    known: list[dict[str, Any]] = []
    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.generate],  # report every 5xx found, not one shrunk example
        suppress_health_check=list(HealthCheck),
    )
    @given(case=CASES)
    def run(case: Any) -> None:
        nonlocal sent
        if case.path == "/api/v1/auth/sign-out":
            return  # it would end the admin session every later input is sent with
        try:
            response = case.call(base_url=server.base_url, session=server.http, timeout=30)
        except (
            requests.exceptions.InvalidHeader,
            requests.exceptions.InvalidURL,
            ValueError,
            UnicodeError,
        ):
            return  # the client library refused to send it: nothing reached the server
        except requests.RequestException as exc:
            failures.append(_describe(case, None, f"no response: {exc!r}"))
            return
        sent += 1
        if response.status_code >= 500:
            found = known if known_cause(case) else failures
            found.append(_describe(case, response))

    run()
    assert server.alive(), f"the server stopped serving:\n{server.log.read_text()[-3000:]}"
    readiness = server.http.get(f"{server.base_url}/readyz", timeout=10)
    assert readiness.status_code == 200
    unique = {(f["operation"], f["status"], f["response"][:120]): f for f in failures}
    assert not unique, (
        f"{len(failures)} server errors out of {sent} requests; one per kind:\n"
        + "\n".join(json.dumps(f, default=repr) for f in unique.values())
    )
    assert sent >= examples * 0.9, f"only {sent} of {examples} inputs reached the server"
    print(f"{sent} requests, {len(known)} known server errors:", *known, sep="\n")


def test_the_schema_has_the_whole_api() -> None:
    paths = {operation.path for operation in OPERATIONS}
    assert {"/api/v1/missions", "/api/v1/auth/sign-in", "/api/v1/audit"} <= paths
    assert len(OPERATIONS) > 40


# Regression tests for the findings fixed on the day they were found.
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/missions/{demo}/report",
        "/api/v1/missions/{demo}/report.csv",
        "/api/v1/missions/{demo}/report.xlsx",
        "/api/v1/missions/{demo}/report/press",
        "/api/v1/reports/summary?mission_id={demo}",
        f"/api/v1/missions/{HUGE_ID}/report",
        f"/api/v1/missions/{HUGE_ID}/report.csv",
        f"/api/v1/missions/{HUGE_ID}/report.xlsx",
        f"/api/v1/missions/{HUGE_ID}/report/press",
        f"/api/v1/reports/summary?mission_id={HUGE_ID}",
        f"/api/v1/reports/comparison?mission_id={HUGE_ID}",
        f"/api/v1/meetings/{HUGE_ID}/follow-up",
        f"/api/v1/meetings/{HUGE_ID}/outcome/versions/1",
        f"/api/v1/missions/{HUGE_ID}/follow-ups/reminders",
    ],
)
def test_fixed_finding_stays_fixed(live_server: LiveServer, path: str) -> None:
    url = live_server.base_url + path.format(demo=live_server.demo_mission_id)
    assert live_server.http.get(url, timeout=30).status_code < 500


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/v1/missions/{HUGE_ID}/close", {"role": "organiser", "closed_by": "Fuzz"}),
        (
            "/api/v1/missions/{demo}/meetings",
            {"starts_at": "0001-01-01T00:00:00+01:00", "ends_at": "0001-01-01T00:30:00+01:00"},
        ),
        ("/api/v1/missions/{demo}/schedule/solve", {"grid": {"hours": {"open": "09:00:00+01:00"}}}),
    ],
)
def test_fixed_finding_stays_fixed_on_post(
    live_server: LiveServer, path: str, body: dict[str, Any]
) -> None:
    url = live_server.base_url + path.format(demo=live_server.demo_mission_id)
    assert live_server.http.post(url, json=body, timeout=30).status_code < 500


def test_a_huge_meeting_id_for_the_outcome(live_server: LiveServer) -> None:
    url = f"{live_server.base_url}/api/v1/meetings/{HUGE_ID}/outcome"
    assert live_server.http.get(url, timeout=30).status_code < 500


@pytest.mark.parametrize("path", ["/api/v1/missions", "/api/v1/organisations"])
def test_a_huge_page_offset(live_server: LiveServer, path: str) -> None:
    url = f"{live_server.base_url}{path}?offset={HUGE_ID}"
    assert live_server.http.get(url, timeout=30).status_code < 500


def test_control_characters_in_an_xlsx_report(live_server: LiveServer) -> None:
    url = f"{live_server.base_url}/api/v1/missions/{live_server.demo_mission_id}/report.xlsx"
    response = live_server.http.get(url, params={"organiser": "q\x05\x10"}, timeout=30)
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    press = {row[0]: row[1] for row in workbook["Press release"].iter_rows(values_only=True)}
    assert "q" in press["English"] and "\x05" not in press["English"]


def test_fuzz_the_api_briefly(live_server: LiveServer) -> None:
    fuzz(live_server, DEFAULT_EXAMPLES, derandomize=True)  # the same inputs every run


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_fuzz_the_api_ten_thousand_inputs(live_server: LiveServer) -> None:
    fuzz(live_server, SLOW_EXAMPLES, derandomize=False)  # new inputs each run
