"""The live board's day (today by default, in the mission's zone) across a whole day and both
midnights, Seoul's and UTC's, on the service's clock."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.main import create_app
from app.settings import Settings
from rooms.clock import ManualClock
from tests import factories, principals


async def test_whatever_runs_now_is_on_todays_board_at_every_half_hour(
    fresh_database_url: str,
) -> None:
    # From noon in Seoul (03:00 UTC) on the mission's second day, for 24 hours: Seoul's
    # midnight (15:00 UTC) and UTC's (09:00 in Seoul) included.
    start = factories.seoul(factories.MISSION_DAY + timedelta(days=1), 12)
    clock = ManualClock(start)
    settings = Settings(environment="test", database_url=fresh_database_url, secret_key="b" * 40)
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app):
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
