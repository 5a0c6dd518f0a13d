"""The demo mission: as domain.md describes it, never double-booked, created once only."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.demo import MISSION, ensure_demo_mission
from app.meetings.models import Meeting
from app.meetings.service import Booking, find_clashes
from app.missions.models import Mission, Venue, VenueKind
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter

DAY = date(2026, 3, 10)


async def _counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        return {
            model.__tablename__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in (Organisation, Mission, Venue, Company, Buyer, Interpreter, Meeting)
        }


async def test_the_demo_mission_is_a_day_of_consultations_without_double_booking(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    mission = await ensure_demo_mission(sessions, day=DAY)
    assert mission.name == MISSION
    assert (mission.start_date, mission.end_date) == (DAY, DAY + timedelta(days=4))
    async with sessions() as session:
        organisation = await session.get_one(Organisation, mission.organisation_id)
        assert (organisation.name, organisation.city) == ("Namdong-gu Office", "Incheon")
        companies = list(await session.scalars(select(Company)))
        buyers = list(await session.scalars(select(Buyer)))
        interpreters = list(await session.scalars(select(Interpreter)))
        venues = list(await session.scalars(select(Venue)))
        meetings = list(await session.scalars(select(Meeting).order_by(Meeting.starts_at)))

        assert len(companies) == 17
        assert len(buyers) == 12
        assert {b.country for b in buyers} == {"ID"}
        assert {"Jakarta", "Surabaya"} <= {b.city for b in buyers}
        pairs = {p for i in interpreters for p in i.language_pairs}
        assert {"ko-id", "ko-en"} <= pairs
        assert {(v.kind, v.timezone) for v in venues} == {
            (VenueKind.BOOTH, "Asia/Seoul"),
            (VenueKind.BUSINESS_CENTRE, "Asia/Jakarta"),
        }

        # Every company meets someone, every meeting is 30 minutes between 09:00 and 17:00
        # Seoul time, with an interpreter who speaks the pair.
        assert {m.company_id for m in meetings} == {c.id for c in companies}
        assert {m.buyer_id for m in meetings} == {b.id for b in buyers}
        seoul = ZoneInfo("Asia/Seoul")
        speaks = {i.id: set(i.language_pairs) for i in interpreters}
        for meeting in meetings:
            local_start = meeting.starts_at.astimezone(seoul)
            local_end = meeting.ends_at.astimezone(seoul)
            assert local_start.date() == DAY
            assert meeting.ends_at - meeting.starts_at == timedelta(minutes=30)
            assert (9, 0) <= (local_start.hour, local_start.minute)
            assert (local_end.hour, local_end.minute) <= (17, 0)
            assert meeting.interpreter_id is not None
            assert meeting.language_pair in speaks[meeting.interpreter_id]
            assert meeting.company_venue_id is not None
            # The booking rules themselves find no clash for any meeting.
            clashes = await find_clashes(
                session=session,
                mission=mission,
                booking=Booking.of(meeting),
                ignore_meeting_id=meeting.id,
            )
            assert clashes == [], meeting.id


async def test_ensuring_the_demo_twice_or_at_once_creates_it_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await ensure_demo_mission(sessions, day=DAY)
    counts = await _counts(sessions)
    assert counts["missions"] == 1
    assert counts["meetings"] >= 30

    again = await ensure_demo_mission(sessions, day=DAY + timedelta(days=7))
    assert again.id == first.id
    assert again.start_date == DAY
    assert await _counts(sessions) == counts

    racing = await asyncio.gather(*(ensure_demo_mission(sessions) for _ in range(3)))
    assert {m.id for m in racing} == {first.id}
    assert await _counts(sessions) == counts


async def test_two_first_runs_racing_create_it_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    racing = await asyncio.gather(*(ensure_demo_mission(sessions, day=DAY) for _ in range(3)))
    assert len({m.id for m in racing}) == 1
    counts = await _counts(sessions)
    assert (counts["organisations"], counts["missions"], counts["companies"]) == (1, 1, 17)
