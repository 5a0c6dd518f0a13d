"""Every list pages the same way: limit/offset, a total of all matches, bounds checked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting
from app.missions.models import Mission
from tests import factories

Make = Callable[[AsyncSession, Mission], Awaitable[Any]]


async def _meeting(session: AsyncSession, mission: Mission) -> Any:
    # One hour apart, in creation order, so the time-ordered list matches the id order.
    hour = 9 + await session.scalar(select(func.count()).where(Meeting.mission_id == mission.id))
    return await factories.meeting(
        session, mission_=mission, starts_at=factories.seoul(mission.start_date, hour)
    )


LISTS: dict[str, Make] = {
    "venues": lambda s, m: factories.venue(s, mission_=m),
    "companies": lambda s, m: factories.company(s, mission_=m),
    "buyers": lambda s, m: factories.buyer(s, mission_=m),
    "interpreters": lambda s, m: factories.interpreter(s, mission_=m),
    "meetings": _meeting,
}


@pytest.mark.parametrize("kind", sorted(LISTS))
async def test_mission_lists_page_with_a_total(
    client: httpx.AsyncClient, session: AsyncSession, kind: str
) -> None:
    mission = await factories.mission(session)
    made = [(await LISTS[kind](session, mission)).id for _ in range(5)]
    url = f"/api/v1/missions/{mission.id}/{kind}"

    seen: list[int] = []
    for offset in (0, 2, 4):
        page = (await client.get(url, params={"limit": 2, "offset": offset})).json()
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, offset)
        seen += [item["id"] for item in page["items"]]
    assert seen == made

    beyond = (await client.get(url, params={"offset": 10})).json()
    assert (beyond["items"], beyond["total"]) == ([], 5)
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}):
        response = await client.get(url, params=bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "query"
