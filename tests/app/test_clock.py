"""One clock for every "now": a service started on a clock of its own stamps by it alone, and
shows the live board's day by it, across a whole day and both midnights (Seoul's and UTC's)."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.main import create_app
from app.settings import Settings
from rooms.clock import ManualClock
from tests import factories, principals
from tests.conftest import without_libfaketime

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def served(database_url: str, clock: ManualClock) -> AsyncIterator[tuple[FastAPI, Settings]]:
    """The app on `clock`, started (its lifespan) on the database at `database_url`."""
    settings = Settings(environment="test", database_url=database_url, secret_key="c" * 40)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
        yield app, settings


async def test_rows_audit_and_sign_in_follow_the_services_clock(fresh_database_url: str) -> None:
    start = datetime(2031, 2, 3, 23, 50, tzinfo=UTC)  # not today: a stamp by the system shows
    clock = ManualClock(start)
    async with served(fresh_database_url, clock) as (app, settings):
        async with AsyncSession(app.state.engine, expire_on_commit=False) as session:
            mission = await factories.mission(session)
            who = await principals.user(session)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            signed = await client.post(
                "/api/v1/auth/sign-in", json={"email": who.email, "password": principals.PASSWORD}
            )
            assert signed.status_code == 200, signed.text
            expires = datetime.fromisoformat(signed.json()["expires_at"])
            hours = timedelta(hours=settings.session_hours)
            assert timedelta(0) <= expires - (start + hours) < timedelta(minutes=1)
            headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
            made = await client.post(
                f"/api/v1/missions/{mission.id}/companies",
                json={"name": "Clockwork Cosmetics", "industry": "cosmetics"},
                headers=headers,
            )
            assert made.status_code == 201, made.text
            audit = await client.get(
                "/api/v1/audit", params={"action": "auth.sign_in"}, headers=headers
            )
            await clock.advance(timedelta(minutes=20))  # past midnight on the clock
            board = await client.get(f"/api/v1/missions/{mission.id}/board", headers=headers)
    created = datetime.fromisoformat(made.json()["created_at"])
    assert timedelta(0) <= created - start < timedelta(minutes=1)
    [event] = audit.json()["items"]
    assert timedelta(0) <= datetime.fromisoformat(event["at"]) - start < timedelta(minutes=1)
    at = datetime.fromisoformat(board.json()["at"].replace("Z", "+00:00"))
    assert timedelta(minutes=20) <= at - start < timedelta(minutes=21)


async def test_whatever_runs_now_is_on_todays_board_at_every_half_hour(
    fresh_database_url: str,
) -> None:
    # From noon in Seoul (03:00 UTC) on the mission's second day, for 24 hours: Seoul's
    # midnight (15:00 UTC) and UTC's (09:00 in Seoul) included.
    start = factories.seoul(factories.MISSION_DAY + timedelta(days=1), 12)
    clock = ManualClock(start)
    async with served(fresh_database_url, clock) as (app, settings):
        async with AsyncSession(app.state.engine, expire_on_commit=False) as session:
            mission = await factories.mission(session)
            who = await principals.user(session)
            headers = await principals.headers(session, settings, who)
            yesterday = await factories.meeting(
                session, mission_=mission, starts_at=start - timedelta(hours=23)
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            for half_hour in range(48):
                now = start + timedelta(minutes=30 * half_hour)
                await clock.advance(now - clock.now())
                async with AsyncSession(app.state.engine, expire_on_commit=False) as session:
                    running = await factories.meeting(
                        session, mission_=mission, starts_at=now - timedelta(minutes=20)
                    )
                page = await client.get(f"/missions/{mission.id}/board?lang=en")
                assert page.status_code == 200, page.text
                listed = {int(m) for m in re.findall(r'<tr class="board-row" data-meeting="(\d+)"',
                                                    page.text)}
                seoul_now = now.astimezone(factories.SEOUL)
                assert running.id in listed, f"at {seoul_now:%H:%M} in Seoul ({now:%H:%M} UTC)"
                # Today is the mission's day in Seoul, whatever the day in UTC.
                assert f"?day={seoul_now.date().isoformat()}" in page.text
                assert yesterday.id not in listed


REHEARSAL = """
import subprocess, sys, time
from app.clock import tolerate_libfaketime
tolerate_libfaketime()
started = time.monotonic()
time.sleep(0.05)
child = subprocess.Popen([sys.executable, "-c", "pass"])
child.wait(timeout=30)
assert time.monotonic() - started >= 0.05
print(time.strftime("%Y-%m-%d %H:%M"))
"""


def test_a_process_rehearsing_another_hour_under_faketime_can_sleep_and_wait() -> None:
    """`python -m app` (and `--nodes`, whose supervisor sleeps and waits on its nodes) run
    under libfaketime for a rehearsal at another hour: Debian's libfaketime breaks time.sleep,
    which the service tolerates."""
    # The suite itself may run under faketime (README): this process starts it afresh.
    env = without_libfaketime() | {
        "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_FORCE_MONOTONIC_FIX": "0", "TZ": "UTC"
    }
    done = subprocess.run(
        ["faketime", "-f", "@2026-12-08 23:40:00", sys.executable, "-c", REHEARSAL],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2026-12-08 23:40"
