"""Concurrent bookings cannot both pass: each commits in its own session on a fresh database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.meetings import service
from app.meetings.exceptions import MeetingClash
from app.meetings.models import Meeting
from app.meetings.schemas import MeetingCreate
from app.missions.models import Mission
from app.participants.models import Company
from app.settings import Settings
from tests import factories, principals
from tests.factories import seoul
from tests.waiting import wait_for


async def _cast(
    sessions: async_sessionmaker[AsyncSession], buyers: int
) -> tuple[int, int, list[int]]:
    async with sessions() as session:
        mission = await factories.mission(session)
        company = await factories.company(session, mission_=mission)
        # Buyers who speak Korean: the meetings need no interpreter.
        buyer_ids = [
            (await factories.buyer(session, mission_=mission, languages=["id", "ko"])).id
            for _ in range(buyers)
        ]
        return mission.id, company.id, buyer_ids


def _request(company_id: int, buyer_id: int) -> MeetingCreate:
    starts_at = seoul(factories.MISSION_DAY, 10)
    return MeetingCreate(
        company_id=company_id,
        buyer_id=buyer_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
    )


async def _book(
    sessions: async_sessionmaker[AsyncSession], mission_id: int, request: MeetingCreate
) -> int:
    async with sessions() as session:
        mission = await session.get_one(Mission, mission_id)
        return (await service.book(session=session, mission=mission, data=request)).id


async def _meetings_of(sessions: async_sessionmaker[AsyncSession], company_id: int) -> int:
    async with sessions() as session:
        statement = select(func.count()).where(Meeting.company_id == company_id)
        return int((await session.execute(statement)).scalar_one())


async def test_simultaneous_http_bookings_of_one_company_give_one_meeting(
    fresh_database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Six requests at once, each in its own request session: one 201, five 409, no 500."""
    mission_id, company_id, buyer_ids = await _cast(sessions, buyers=6)
    settings = Settings(environment="test", database_url=fresh_database_url)
    async with sessions() as session:
        headers = await principals.admin_headers(session, settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/missions/{mission_id}/meetings",
                        json=_request(company_id, buyer_id).model_dump(mode="json"),
                    )
                    for buyer_id in buyer_ids
                )
            )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert await _meetings_of(sessions, company_id) == 1


async def _wait_for_a_lock_wait(
    sessions: async_sessionmaker[AsyncSession], within_seconds: float
) -> None:
    async with sessions() as observer:

        async def a_booking_waits() -> bool:
            waiting = await observer.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            await observer.rollback()  # a fresh snapshot of pg_stat_activity each time
            return bool(waiting)

        await wait_for(a_booking_waits, within_seconds, "a booking waiting on a row lock")


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_database_url", ["postgres"], indirect=True)
async def test_a_booking_waits_for_the_company_row_and_then_sees_the_other_meeting(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Deterministic interleaving: without SELECT ... FOR UPDATE both bookings would pass."""
    mission_id, company_id, (first_buyer, second_buyer) = await _cast(sessions, buyers=2)
    async with sessions() as rival:
        # The rival holds the company's row, as a booking in progress would.
        await rival.execute(select(Company).where(Company.id == company_id).with_for_update())
        booking = asyncio.create_task(
            _book(sessions, mission_id, _request(company_id, first_buyer))
        )
        try:
            await _wait_for_a_lock_wait(sessions, within_seconds=10)
            assert not booking.done(), "the booking did not wait for the company's row"
            request = _request(company_id, second_buyer)
            rival_meeting = Meeting(
                mission_id=mission_id,
                company_id=company_id,
                buyer_id=second_buyer,
                starts_at=request.starts_at,
                ends_at=request.ends_at,
            )
            rival.add(rival_meeting)
            await rival.commit()
        except BaseException:
            booking.cancel()
            raise
    with pytest.raises(MeetingClash) as refused:
        await asyncio.wait_for(booking, timeout=10)
    assert [c["meeting_id"] for c in refused.value.details["clashes"]] == [rival_meeting.id]
    assert await _meetings_of(sessions, company_id) == 1
