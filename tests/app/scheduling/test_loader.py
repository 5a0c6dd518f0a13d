"""From records to the core: pooled venues, defaults that need a plan, busy time cut out."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import VenueKind
from app.scheduling.loader import Grid, _minus, load
from app.scheduling.model import Window
from tests import factories
from tests.factories import MISSION_DAY


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=UTC)


def test_busy_time_is_cut_out_of_availability() -> None:
    span = Window(_at(0), _at(12))
    assert _minus(None, [], span) is None
    assert _minus(None, [Window(_at(2), _at(3))], span) == (
        Window(_at(0), _at(2)),
        Window(_at(3), _at(12)),
    )
    windows = (Window(_at(1), _at(4)), Window(_at(6), _at(8)))
    assert _minus(windows, [Window(_at(0), _at(1, 30)), Window(_at(7), _at(9))], span) == (
        Window(_at(1, 30), _at(4)),
        Window(_at(6), _at(7)),
    )
    assert _minus((Window(_at(1), _at(2)),), [Window(_at(1), _at(2))], span) == ()


async def test_booths_pool_by_place(session: AsyncSession) -> None:
    mission = await factories.mission(session, end_date=MISSION_DAY)
    booths = [await factories.venue(session, mission_=mission) for _ in range(3)]
    centre = await factories.venue(
        session,
        mission_=mission,
        kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta",
        country="ID",
        timezone="Asia/Jakarta",
    )
    await factories.venue(session, mission_=mission, kind=VenueKind.REMOTE)
    company = await factories.company(session, mission_=mission)
    jakarta = await factories.buyer(session, mission_=mission)
    hanoi = await factories.buyer(session, mission_=mission, country="VN", city="Hanoi")
    loaded = await load(session=session, mission=mission, grid=Grid())
    problem = loaded.problem
    assert sorted((v.tz, v.capacity) for v in problem.venues) == [
        ("Asia/Jakarta", 1),
        ("Asia/Seoul", 3),
    ]
    assert loaded.groups[str(problem.company_by_id[company.id].venue_id)] == [b.id for b in booths]
    assert problem.buyer_by_id[jakarta.id].venue_id == f"venues:{centre.id}"
    assert problem.buyer_by_id[hanoi.id].venue_id is None
    assert problem.buyer_tz(hanoi.id) == "Asia/Ho_Chi_Minh"
    assert problem.mission.days == (MISSION_DAY,)


async def test_missing_plans_answer_422(session: AsyncSession, client: httpx.AsyncClient) -> None:
    mission = await factories.mission(session, end_date=MISSION_DAY)
    await factories.venue(session, mission_=mission)
    buyer = await factories.buyer(session, mission_=mission, city="Surabaya")  # no centre in ID
    await factories.company(session, mission_=mission)
    url = f"/api/v1/missions/{mission.id}/schedule/solve"
    answer = await client.post(url, json={})
    assert answer.status_code == 422
    assert "several time zones" in answer.json()["detail"]
    plan = await client.put(
        f"/api/v1/missions/{mission.id}/schedule/parties/buyer/{buyer.id}",
        json={"timezone": "Asia/Jakarta"},
    )
    assert plan.status_code == 200
    assert (await client.post(url, json={"time_limit_s": 1})).status_code == 200
    # A second booth place (another city): the company must say which one it uses.
    await factories.venue(session, mission_=mission, city="Busan")
    answer = await client.post(url, json={})
    assert answer.status_code == 422 and "needs a booth" in answer.json()["detail"]
