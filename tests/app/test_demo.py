"""The demo mission: as domain.md describes it, never double-booked, created once only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.database import create_engine, create_sessionmaker
from app.demo import MISSION, SEOUL, TryNow, ensure_demo_mission, ensure_meeting_open_now
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.service import Booking, find_clashes
from app.missions.models import Mission, Venue, VenueKind
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter
from app.secret import with_secret_key
from app.settings import Settings
from rooms.links import LinkSigner

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


# The try-now meeting at any hour --------------------------------------------------------------

# 23:40 UTC is 08:40 in Seoul: the first start is on the demo day, twenty minutes before its
# booths all fill (where `make run` used to fail). From there, every half hour for a day:
# midnight in Seoul (15:00 UTC) and in UTC are both crossed.
FIRST_START = datetime(2026, 12, 8, 23, 40, tzinfo=UTC)
HALF_HOURS = [FIRST_START + timedelta(minutes=30 * k) for k in range(49)]
SERVER_ZONES = ["UTC", "Asia/Seoul", "America/Los_Angeles"]


@pytest.fixture(params=SERVER_ZONES)
def server_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process's own time zone (TZ), as on a server set to that zone."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


async def _check_open_now(
    sessions: async_sessionmaker[AsyncSession], try_now: TryNow, now: datetime, secret: str
) -> None:
    meeting = try_now.meeting
    assert meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.LIVE)
    assert meeting.starts_at <= now, now
    assert meeting.ends_at - now >= timedelta(minutes=15), now
    assert set(try_now.links) == {"company", "buyer", "interpreter", "organiser"}
    signer = LinkSigner(secret)
    for seat, url in try_now.links.items():
        claims = signer.check(url.split("#", 1)[1], meeting_id=meeting.id, now=now)
        assert (claims.meeting_id, claims.seat.value) == (meeting.id, seat)
    async with sessions() as session:
        mission = await session.get_one(Mission, meeting.mission_id)
        clashes = await find_clashes(
            session=session, mission=mission, booking=Booking.of(meeting),
            ignore_meeting_id=meeting.id,
        )
        assert clashes == [], (now, clashes)


async def test_the_demo_has_a_meeting_open_now_at_every_half_hour_twice_over(
    fresh_database_url: str, server_zone: str, tmp_path: Path
) -> None:
    """The demo set-up of `make run` at every half hour of a day, across midnight in Seoul and
    UTC, in three server time zones, twice on the same database (a restart later that day
    finds or makes the try-now meeting again): never an exception, always a meeting open
    now that clashes with nothing."""
    settings = with_secret_key(
        Settings(
            environment="test", database_url=fresh_database_url,
            secret_key_file=tmp_path / "secret_key",
        )
    )
    engine = create_engine(fresh_database_url)
    sessions = create_sessionmaker(engine)
    try:
        for _ in range(2):
            for now in HALF_HOURS:
                mission = await ensure_demo_mission(sessions, now=now)
                try_now = await ensure_meeting_open_now(
                    sessions, mission=mission, base_url="http://127.0.0.1:8000",
                    secret_key=settings.signing_key, now=now,
                )
                await _check_open_now(sessions, try_now, now, settings.signing_key)
                assert mission.start_date == FIRST_START.astimezone(SEOUL).date()
        async with sessions() as session:
            missions = await session.scalar(select(func.count()).select_from(Mission))
        assert missions == 1
    finally:
        await engine.dispose()
