"""Two truly concurrent edits of one outcome on a committed database: one wins, one gets 409.

The app runs with its own sessions (no shared test transaction), on a fresh SQLite file and on
a fresh PostgreSQL database. Edit A is held inside its transaction right after it claimed the
next version; edit B is sent meanwhile and the test waits until B's claim reaches the database
(on PostgreSQL: until B's backend waits on A's row lock; on SQLite: until B waits for its
turn to write, before it begins, app/database.py). Only then is A let go.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import app.outcomes.service as outcome_service
from app.database import writers_waiting
from app.main import create_app
from app.meetings.models import MeetingStatus
from app.settings import Settings
from tests import factories, principals
from tests.app.outcomes.helpers import outcome, put_rates
from tests.waiting import wait_for

TIMEOUT = 20


@pytest.fixture
async def live(fresh_database_url: str) -> AsyncIterator[tuple[httpx.AsyncClient, AsyncEngine]]:
    settings = Settings(environment="test", database_url=fresh_database_url)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with AsyncSession(app.state.engine, expire_on_commit=False) as session:
            headers = await principals.admin_headers(session, settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            yield client, app.state.engine


async def _lock_waiters(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        count = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(count or 0)


async def _until_blocked(engine: AsyncEngine) -> None:
    """Return once a backend of this database waits on a lock (B behind A's claim)."""
    await wait_for(lambda: _lock_waiters(engine), TIMEOUT, "edit B to wait on edit A's row lock")


async def test_two_concurrent_edits_one_wins_the_other_is_409_and_no_version_is_lost(
    live: tuple[httpx.AsyncClient, AsyncEngine], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, engine = live
    async with AsyncSession(engine, expire_on_commit=False) as setup:
        mission = await factories.mission(setup)
        meeting = await factories.meeting(setup, mission_=mission, status=MeetingStatus.COMPLETED)
    await put_rates(client, mission, [("KRW", "2026-03-01", "1400")])
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    assert (await client.post(url, json=outcome())).status_code == 201

    a_claimed, release_a, b_claiming = asyncio.Event(), asyncio.Event(), asyncio.Event()
    real_conversion_on = outcome_service.conversion_on

    async def held_conversion_on(**kwargs: Any) -> Any:
        if not a_claimed.is_set():  # the first editor to get here is A
            a_claimed.set()
            await release_a.wait()
        return await real_conversion_on(**kwargs)

    monkeypatch.setattr(outcome_service, "conversion_on", held_conversion_on)

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if a_claimed.is_set() and statement.lstrip().upper().startswith("UPDATE OUTCOMES"):
            b_claiming.set()

    event.listen(engine.sync_engine, "before_cursor_execute", watch)
    try:
        edit_a = asyncio.create_task(
            client.put(url, json=outcome(expected_version=1, recorded_by="A", notes="from A"))
        )
        await asyncio.wait_for(a_claimed.wait(), TIMEOUT)
        edit_b = asyncio.create_task(
            client.put(url, json=outcome(expected_version=1, recorded_by="B", notes="from B"))
        )
        if engine.dialect.name == "postgresql":
            await asyncio.wait_for(b_claiming.wait(), TIMEOUT)
            await _until_blocked(engine)
        else:  # B waits for its turn to write before it begins (app/database.py)
            await wait_for(lambda: writers_waiting(engine) == 1, TIMEOUT, "B to wait its turn")
        assert not edit_a.done() and not edit_b.done()
        release_a.set()
        a, b = await asyncio.wait_for(asyncio.gather(edit_a, edit_b), TIMEOUT)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", watch)

    assert a.status_code == 200, a.text
    assert b.status_code == 409, b.text
    assert b.json()["current_version"] == 2
    assert b.json()["current"]["recorded_by"] == "A"
    versions = (await client.get(f"{url}/versions")).json()
    assert [(v["version"], v["recorded_by"]) for v in versions] == [(1, "Lee Seat"), (2, "A")]

    # B reloads and applies its edit to the current version: nothing was lost.
    retry = await client.put(url, json=outcome(expected_version=2, recorded_by="B", notes="from B"))
    assert retry.status_code == 200, retry.text
    versions = (await client.get(f"{url}/versions")).json()
    assert [(v["version"], v["recorded_by"], v["notes"]) for v in versions] == [
        (1, "Lee Seat", ""),
        (2, "A", "from A"),
        (3, "B", "from B"),
    ]


async def test_two_concurrent_first_records_one_wins_the_other_is_409(
    live: tuple[httpx.AsyncClient, AsyncEngine],
) -> None:
    client, engine = live
    async with AsyncSession(engine, expire_on_commit=False) as setup:
        mission = await factories.mission(setup)
        meeting = await factories.meeting(setup, mission_=mission, status=MeetingStatus.COMPLETED)
    await put_rates(client, mission, [("KRW", "2026-03-01", "1400")])
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    first, second = await asyncio.gather(
        client.post(url, json=outcome(recorded_by="A")),
        client.post(url, json=outcome(recorded_by="B")),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    loser = first if first.status_code == 409 else second
    winner = second if loser is first else first
    assert loser.json()["current"]["recorded_by"] == winner.json()["recorded_by"]
    assert len((await client.get(f"{url}/versions")).json()) == 1
