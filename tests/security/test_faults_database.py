"""PostgreSQL stops and starts while the service runs on it: the API answers 503 with a message
meanwhile (quickly: not a 500, not a hang), /readyz says so, and the service recovers by itself
once the database is back, with every saved row as it was.

The database is a private PostgreSQL instance (tests/security/faults.py), so stopping it
does not disturb other tests using the machine's server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.migrations import upgrade
from bench.load import free_port, seed
from tests.security.faults import (
    PrivatePostgres,
    ServiceProcess,
    admin_headers,
    outcome_body,
    rates_body,
    snapshot,
)
from tests.waiting import wait_until

SECRET = "faults-database-secret-key"
ANSWER_WITHIN_S = 15.0  # connect timeout 5 s (app/database.py) plus a loaded machine's slack
# Rows that may change on their own while the service runs: sessions are touched on each
# request, and the audit log gains events; everything else must be exactly as it was.
CHANGING = {"auth_sessions", "audit_events", "sign_in_failures"}


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


def _timed(call: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
    started = time.monotonic()
    response = call.request(method, path, **kwargs)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    assert elapsed < ANSWER_WITHIN_S, f"{method} {path} took {elapsed:.1f} s"
    return response


@pytest.mark.postgres
def test_postgres_down_gives_503_then_the_service_recovers_by_itself(
    postgres: PrivatePostgres, tmp_path: Path
) -> None:
    import app.models  # noqa: F401
    from app.database import Base

    upgrade(postgres.url)
    specs = asyncio.run(seed(postgres.url, 2, 60, SECRET))
    meeting_id = specs[0].meeting_id  # seats join it
    token = next(s.token for s in specs if s.meeting_id == meeting_id and s.seat == "buyer")
    held_id = specs[-1].meeting_id  # held on another video tool: it has the outcome
    service = ServiceProcess(postgres.url, free_port(), tmp_path / "service.log", SECRET)
    service.start()
    try:
        headers = admin_headers(service)
        with httpx.Client(base_url=service.base_url, timeout=60, headers=headers) as http:
            mission_id = http.get(f"/api/v1/meetings/{meeting_id}").json()["mission_id"]
            rates = http.put(f"/api/v1/missions/{mission_id}/exchange-rates", json=rates_body())
            assert rates.status_code == 200, rates.text
            held = {"status": "completed", "reason": "held on another video tool"}
            marked = http.post(f"/api/v1/meetings/{held_id}/attendance", json=held)
            assert marked.status_code == 200, marked.text
            saved = http.post(
                f"/api/v1/meetings/{held_id}/outcome", json=outcome_body("Kim", "1500000")
            )
            assert saved.status_code == 201, saved.text
            reads = [
                f"/api/v1/meetings/{held_id}/outcome",
                f"/api/v1/meetings/{meeting_id}",
                "/api/v1/missions",
            ]
            before = {path: http.get(path).json() for path in reads}
            assert http.post("/api/v1/join", json={"token": token}).status_code == 200
            tables = sorted(set(Base.metadata.tables) - CHANGING)
            rows_before = snapshot(postgres.url, tables)
            assert rows_before["outcomes"] and rows_before["meetings"]
            pid = service.process.pid if service.process else None

            postgres.stop()

            for path in reads:
                response = _timed(http, "GET", path)
                assert response.status_code == 503, (path, response.status_code, response.text)
                assert response.json() == {
                    "detail": "the database is unavailable; retry shortly",
                    "retry_after_seconds": 5,
                }
                assert response.headers["retry-after"] == "5"
            edit = outcome_body("Lee", "9999999") | {"expected_version": 1}
            put = _timed(http, "PUT", f"/api/v1/meetings/{held_id}/outcome", json=edit)
            assert put.status_code == 503, put.text
            joined = _timed(http, "POST", "/api/v1/join", json={"token": token})
            assert joined.status_code == 503, joined.text
            ready = _timed(http, "GET", "/readyz")
            assert ready.status_code == 503
            assert ready.json() == {"status": "unavailable", "detail": "database unreachable"}
            assert _timed(http, "GET", "/healthz").status_code == 200  # the process is up

            postgres.start()

            wait_until(
                lambda: http.get("/readyz").status_code == 200, 60, "/readyz to answer 200 again"
            )
            # Recovered by itself: the same process, no restart, the same answers as before.
            assert service.process is not None and service.process.pid == pid
            assert service.process.poll() is None
            after = {path: http.get(path).json() for path in reads}
            assert after == before
            assert http.post("/api/v1/join", json={"token": token}).status_code == 200
            assert snapshot(postgres.url, tables) == rows_before  # the refused edit left nothing
            edited = http.put(f"/api/v1/meetings/{held_id}/outcome", json=edit)
            assert edited.status_code == 200, edited.text
            assert edited.json()["version"] == 2
    finally:
        service.stop()
    assert not service.exceptions(), service.log.read_text()[-3000:]


def _caused(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), True),
        (OSError(113, "No route to host"), True),
        (TimeoutError(), True),
        (_caused(RuntimeError("wrapped"), ConnectionResetError(104, "reset")), True),
        (type("CannotConnectNowError", (Exception,), {})("starting up"), True),
        (type("PgError", (Exception,), {"sqlstate": "57P01"})("admin shutdown"), True),
        (type("PgError", (Exception,), {"sqlstate": "23505"})("unique violation"), False),
        (FileNotFoundError(2, "No such file"), False),
        (ValueError("a bug"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_which_errors_mean_the_database_is_unavailable(
    error: BaseException, unavailable: bool
) -> None:
    from app.errors import database_unavailable

    assert database_unavailable(error) is unavailable
