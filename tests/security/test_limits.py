"""Limits at the edge (ASVS 17.3.1, 17.3.2): API rate per client, request body size,
signalling message rate and size. Time is a test clock: nothing sleeps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.ratelimit import ApiRateLimiter
from app.rooms.ratelimit import TokenBucket
from app.settings import Settings
from tests.rooms.client import SeatClient
from tests.rooms.conftest import LiveServer, create_meeting, issue_links, live_server

__all__ = ["live_server"]  # the rooms' live server fixture, used here too


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def limited_app(sqlite_url: str, clock: FakeClock) -> AsyncIterator[FastAPI]:
    """The real app with small limits: 2 requests/s, a burst of 5, bodies up to 2 KiB."""
    app = create_app(
        Settings(
            environment="test",
            database_url=sqlite_url,
            api_rate_per_second=2,
            api_rate_burst=5,
            max_request_body_bytes=2048,
        )
    )
    app.state.api_rate_limiter.monotonic = clock
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_an_api_flood_gets_429_with_retry_after_then_recovers(
    limited_app: FastAPI, clock: FakeClock
) -> None:
    async with (
        _client(limited_app, "203.0.113.7") as flooder,
        _client(limited_app, "198.51.100.9") as neighbour,
    ):
        statuses = [(await flooder.get("/api/v1/missions")).status_code for _ in range(8)]
        # The burst passes to the routes (whatever they answer), then every request is refused.
        assert all(status != 429 for status in statuses[:5]), statuses
        assert statuses[5:] == [429, 429, 429]
        refused = await flooder.get("/api/v1/missions")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {
            "detail": "too many requests: slow down and retry after 1 s",
            "retry_after_seconds": 1,
        }
        # Other writes are refused too, before the route reads anything.
        assert (await flooder.post("/api/v1/auth/sign-in", json={})).status_code == 429

        # Another client is not punished for the flooder; probes are never limited.
        assert (await neighbour.get("/api/v1/missions")).status_code != 429
        assert (await flooder.get("/healthz")).status_code == 200
        assert (await flooder.get("/readyz")).status_code == 200

        # Half a second later one token is back (2/s): one request passes, the next does not.
        clock.now += 0.5
        assert (await flooder.get("/api/v1/missions")).status_code != 429
        assert (await flooder.get("/api/v1/missions")).status_code == 429
        # After a quiet spell the whole burst is available again, and no more.
        clock.now += 60
        statuses = [(await flooder.get("/api/v1/missions")).status_code for _ in range(6)]
        assert all(status != 429 for status in statuses[:5]) and statuses[5] == 429


async def test_retry_after_says_how_long_the_bucket_needs(clock: FakeClock) -> None:
    limiter = ApiRateLimiter(rate=0.1, burst=1, monotonic=clock)
    assert limiter.take("ip:a") is None
    assert limiter.take("ip:a") == pytest.approx(10.0)
    clock.now += 4
    assert limiter.take("ip:a") == pytest.approx(6.0)
    clock.now += 6
    assert limiter.take("ip:a") is None


def test_the_limiter_forgets_the_oldest_clients_beyond_its_bound(clock: FakeClock) -> None:
    limiter = ApiRateLimiter(rate=1, burst=1, monotonic=clock, max_clients=3)
    for key in ("a", "b", "c", "d"):
        assert limiter.take(key) is None
    assert len(limiter) == 3
    assert limiter.take("d") is not None  # still known: its bucket is empty
    assert limiter.take("a") is None  # forgotten: a fresh bucket


def test_token_bucket_wait_is_zero_when_a_token_is_there(clock: FakeClock) -> None:
    bucket = TokenBucket(rate=4, burst=2, monotonic=clock)
    assert bucket.wait_seconds() == 0
    assert bucket.take() and bucket.take() and not bucket.take()
    assert bucket.wait_seconds() == pytest.approx(0.25)


async def test_an_oversized_body_gets_413_with_a_message(limited_app: FastAPI) -> None:
    async with _client(limited_app, "192.0.2.1") as client:
        small = await client.post("/api/v1/auth/sign-in", json={"email": "a@b.c", "password": "x"})
        assert small.status_code not in (413, 429)
        big = {"email": "a@b.c", "password": "x" * 3000}
        response = await client.post("/api/v1/auth/sign-in", json=big)
        assert response.status_code == 413
        assert response.json() == {
            "detail": "request body too large: at most 2048 bytes",
            "limit_bytes": 2048,
        }

        # Without a Content-Length (chunked), the body is counted as it arrives.
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b"x" * 512

        response = await client.post(
            "/api/v1/auth/sign-in",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["limit_bytes"] == 2048

        async def small_chunks() -> AsyncIterator[bytes]:
            yield b'{"email": "a@b.c", '
            yield b'"password": "x"}'

        response = await client.post(
            "/api/v1/auth/sign-in",
            content=small_chunks(),
            headers={"content-type": "application/json"},
        )
        # Under the limit the body reaches the route whole (a real answer, not 413/422).
        assert response.status_code not in (413, 422), response.text


def test_limit_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEBOOTH_API_RATE_PER_SECOND", "7.5")
    monkeypatch.setenv("TRADEBOOTH_API_RATE_BURST", "11")
    monkeypatch.setenv("TRADEBOOTH_MAX_REQUEST_BODY_BYTES", "4096")
    settings = Settings()
    assert (settings.api_rate_per_second, settings.api_rate_burst) == (7.5, 11)
    assert settings.max_request_body_bytes == 4096
    app = create_app(settings)
    assert app.state.api_rate_limiter.rate == 7.5 and app.state.api_rate_limiter.burst == 11


# The seat websocket ---------------------------------------------------------------------------


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # A tiny signalling budget: 1 message/s, a burst of 4, messages up to 2 KiB.
    return {"ws_messages_per_second": 1, "ws_message_burst": 4, "ws_max_message_bytes": 2048}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """Limits do not depend on the database: SQLite only."""
    return sqlite_url


async def _seat(server: LiveServer, meeting_id: int, token: str, name: str) -> SeatClient:
    client = await SeatClient(server.ws_url, meeting_id, token, name=name).connect()
    await client.join()
    return client


async def test_signalling_flood_and_oversized_messages_close_the_seat_with_their_codes(
    live_server: LiveServer,
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _seat(live_server, rows.meeting_id, links["company"], "company")
    buyer = await _seat(live_server, rows.meeting_id, links["buyer"], "buyer")
    interpreter = await _seat(live_server, rows.meeting_id, links["interpreter"], "interpreter")
    try:
        # Flood: the burst of 4 is answered, the 5th message closes the seat with 1008.
        for n in range(5):
            await buyer.send(json.dumps({"type": "ping", "id": n}))
        assert await buyer.wait_closed() == (1008, "too_many_messages")
        assert sorted(m["id"] for m in buyer.of_type("response") if m["id"] != "buyer-1") == [
            0,
            1,
            2,
            3,
        ]
        notice = buyer.of_type("error")[-1]
        assert notice["code"] == "too_many_messages" and notice["id"] is None

        # One message just over 2 KiB: its own notice, then 1009; a message at the limit is fine.
        fits = json.dumps({"type": "chat", "id": "fits", "text": ""})
        fits = fits.replace('"text": ""', '"text": "' + "y" * (2048 - len(fits)) + '"')
        assert len(fits.encode()) == 2048
        await interpreter.send(fits)
        reply = await interpreter.wait_for(lambda m: m.get("id") == "fits")
        assert reply["type"] == "error" and reply["code"] == "invalid_message"  # text > 2000
        await interpreter.send(fits.replace("y", "yy", 1))
        assert await interpreter.wait_closed() == (1009, "message_too_big")
        assert interpreter.of_type("error")[-1]["code"] == "message_too_big"

        # The room goes on for the seat that kept to the limits.
        assert (await company.request("chat", text="still here"))["type"] == "response"
        assert not company.closed
        again = await _seat(live_server, rows.meeting_id, links["buyer"], "buyer-again")
        assert (await again.request("ping"))["type"] == "response"
        await again.close()
    finally:
        for client in (company, buyer, interpreter):
            await client.close()


async def test_an_unjoined_socket_cannot_send_a_huge_first_message(
    live_server: LiveServer,
) -> None:
    rows = await create_meeting(live_server)
    client = await SeatClient(live_server.ws_url, rows.meeting_id, "x").connect()
    try:
        await client.send(json.dumps({"type": "join", "id": 1, "token": "t" * 5000}))
        assert await client.wait_closed() == (1009, "message_too_big")
    finally:
        await client.close()
