"""A mission day's writers at once, on a committed database of each backend.

Every booth's meeting starts on the same half hour while organisers sign in, book, record
and correct outcomes and mark meetings held, and the settling of ended meetings runs: no
5xx, no "database is locked", 409 exactly where a clash is meant, and every write that
answered 2xx reads back. Then the race the settling used to lose on PostgreSQL: organiser
marks landing while it settles the same meetings, none lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import app.rooms.service as rooms_service
from app.auth.models import UserRole
from app.main import create_app
from app.meetings.models import AttendanceMark, MarkSource, Meeting, MeetingStatus
from app.missions.models import Mission
from app.settings import Settings
from rooms.clock import ManualClock
from tests import factories, principals
from tests.app.outcomes.helpers import outcome, put_rates
from tests.factories import MISSION_DAY, seoul

TIMEOUT = 60
NOW = seoul(MISSION_DAY, 15)  # the service's clock: mid-afternoon of the mission's first day


@dataclass
class Live:
    app: Any
    client: httpx.AsyncClient
    session: AsyncSession  # the tests' own, for set-up and reading back


@pytest.fixture
async def live(fresh_database_url: str) -> AsyncIterator[Live]:
    """The real app with its own sessions on the test's own committed database."""
    settings = Settings(
        environment="test",
        database_url=fresh_database_url,
        secret_key="w" * 40,
        # the writers all come from one client address: this is about who writes, not speed
        api_rate_per_second=10_000,
        api_rate_burst=10_000,
    )
    app = create_app(settings, clock=ManualClock(NOW))
    async with app.router.lifespan_context(app):
        async with AsyncSession(app.state.engine, expire_on_commit=False) as session:
            headers = await principals.admin_headers(session, settings)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver", headers=headers, timeout=TIMEOUT
            ) as client:
                yield Live(app, client, session)


@pytest.fixture
def lock_errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.INFO)

    def found() -> list[str]:
        return [r.getMessage() for r in caplog.records if "database is locked" in r.getMessage()]

    return found


async def _ended_meetings(session: AsyncSession, mission: Mission, count: int) -> list[Meeting]:
    """`count` meetings whose slots ended before NOW, nobody ever in their rooms."""
    meetings = []
    for index in range(count):
        starts_at = seoul(MISSION_DAY, 9) + timedelta(minutes=30 * (index % 10))
        meetings.append(
            await factories.meeting(
                session,
                mission_=mission,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30),
            )
        )
    return meetings


async def _settle_until(live: Live, done: asyncio.Event) -> int:
    """The settling job, run back to back until `done`; returns how many meetings it settled."""
    settled = 0
    while not done.is_set():
        settled += len(await live.app.state.rooms.settle())
        await asyncio.sleep(0)
    return settled


async def _status(session: AsyncSession, meeting_id: int) -> tuple[MeetingStatus, str | None]:
    row = (
        await session.execute(
            select(Meeting.status, Meeting.status_marked_by)
            .where(Meeting.id == meeting_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    await session.commit()  # a fresh snapshot for the next read
    return row[0], row[1]


async def test_fifty_writers_of_a_mission_day_and_the_settling_at_once(
    live: Live, lock_errors: Callable[[], list[str]]
) -> None:
    session, client = live.session, live.client
    mission = await factories.mission(session)
    await put_rates(client, mission, [("KRW", "2026-03-01", "1400"), ("KZT", "2026-03-01", "500")])
    # Sign-ins: ten organisers of the mission with their passwords.
    users = [
        await principals.user(
            session,
            role=UserRole.ORGANISER,
            organisation_id=mission.organisation_id,
            mission_ids=[mission.id],
        )
        for _ in range(10)
    ]
    # Bookings at 16:00: five pairs that want the same company (one of each must be refused)
    # and five that clash with nothing. The buyers speak Korean: no interpreter needed.
    clash_pairs = []
    for _ in range(5):
        company = await factories.company(session, mission_=mission)
        buyers = [
            await factories.buyer(session, mission_=mission, languages=["id", "ko"])
            for _ in range(2)
        ]
        clash_pairs.append([(company.id, buyer.id) for buyer in buyers])
    free = [
        (
            (await factories.company(session, mission_=mission)).id,
            (await factories.buyer(session, mission_=mission, languages=["id", "ko"])).id,
        )
        for _ in range(5)
    ]
    # Outcomes: ten held meetings get their first record; five more, already recorded,
    # get two corrections each made from version 1 (one of each pair must be stale).
    held = [
        await factories.meeting(session, mission_=mission, status=MeetingStatus.COMPLETED)
        for _ in range(15)
    ]
    fresh, corrected = held[:10], held[10:]
    for meeting in corrected:
        response = await client.post(f"/api/v1/meetings/{meeting.id}/outcome", json=outcome())
        assert response.status_code == 201, response.text
    # Marks: ten ended meetings the organiser marks held (held on another tool), and ten
    # more nobody marks, for the settling to make no-shows meanwhile.
    marked = await _ended_meetings(session, mission, 10)
    unmarked = await _ended_meetings(session, mission, 10)

    at_four = seoul(MISSION_DAY, 16)
    slot = {
        "starts_at": at_four.isoformat(),
        "ends_at": (at_four + timedelta(minutes=30)).isoformat(),
    }
    writes: list[tuple[str, Awaitable[httpx.Response]]] = []
    for who in users:
        body = {"email": who.email, "password": principals.PASSWORD}
        writes.append(("sign_in", client.post("/api/v1/auth/sign-in", json=body, headers={})))
    for company_id, buyer_id in [b for pair in clash_pairs for b in pair] + free:
        body = {"company_id": company_id, "buyer_id": buyer_id} | slot
        writes.append(("book", client.post(f"/api/v1/missions/{mission.id}/meetings", json=body)))
    for index, meeting in enumerate(fresh):
        body = outcome(currency="KZT" if index % 2 else "USD", recorded_by=f"Seat {index}")
        writes.append(("record", client.post(f"/api/v1/meetings/{meeting.id}/outcome", json=body)))
    for meeting in corrected:
        for editor in ("Kim", "Park"):
            body = outcome(expected_version=1, recorded_by=editor, notes=f"by {editor}")
            writes.append(
                ("correct", client.put(f"/api/v1/meetings/{meeting.id}/outcome", json=body))
            )
    for meeting in marked:
        body = {"status": "completed", "reason": "held on another video tool"}
        writes.append(("mark", client.post(f"/api/v1/meetings/{meeting.id}/attendance", json=body)))
    assert len(writes) >= 50

    done = asyncio.Event()
    settling = asyncio.create_task(_settle_until(live, done))
    try:
        answers = await asyncio.wait_for(asyncio.gather(*(w for _, w in writes)), TIMEOUT)
    finally:
        done.set()
        settled = await settling
    settled += len(await live.app.state.rooms.settle())  # whatever was left for it

    kinds = [kind for kind, _ in writes]
    assert [a.status_code for a in answers if a.status_code >= 500] == []
    assert lock_errors() == []
    by_kind: dict[str, list[httpx.Response]] = {}
    for kind, answer in zip(kinds, answers, strict=True):
        by_kind.setdefault(kind, []).append(answer)

    # Sign-ins: every organiser is in, and their session works.
    for answer in by_kind["sign_in"]:
        assert answer.status_code == 200, answer.text
        cookie = "; ".join(f"{name}={value}" for name, value in answer.cookies.items())
        me = await client.get("/api/v1/auth/me", headers={"Cookie": cookie})
        assert me.status_code == 200, me.text
        assert me.json()["email"] == answer.json()["user"]["email"]

    # Bookings: one of each clashing pair, 409 naming the clash for the other; every free one.
    books = by_kind["book"]
    for index in range(5):
        pair = sorted(a.status_code for a in books[2 * index : 2 * index + 2])
        assert pair == [201, 409], [a.text for a in books[2 * index : 2 * index + 2]]
        refused = next(a for a in books[2 * index : 2 * index + 2] if a.status_code == 409)
        assert "double booking" in refused.json()["detail"]
    assert [a.status_code for a in books[10:]] == [201] * 5
    for answer in books:
        if answer.status_code == 201:
            read = await client.get(f"/api/v1/meetings/{answer.json()['id']}")
            assert (
                read.status_code == 200 and read.json()["starts_at"] == answer.json()["starts_at"]
            )

    # First records: each reads back as saved.
    for meeting, answer in zip(fresh, by_kind["record"], strict=True):
        assert answer.status_code == 201, answer.text
        current = (await client.get(f"/api/v1/meetings/{meeting.id}/outcome")).json()
        assert (current["version"], current["recorded_by"]) == (1, answer.json()["recorded_by"])
        assert current["currency"] == answer.json()["currency"]

    # Corrections from version 1: one wins, the other is told it is stale; both visible after.
    corrections = by_kind["correct"]
    for index, meeting in enumerate(corrected):
        pair = corrections[2 * index : 2 * index + 2]
        assert sorted(a.status_code for a in pair) == [200, 409], [a.text for a in pair]
        winner = next(a for a in pair if a.status_code == 200).json()
        versions = (await client.get(f"/api/v1/meetings/{meeting.id}/outcome/versions")).json()
        assert [(v["version"], v["recorded_by"]) for v in versions] == [
            (1, "Lee Seat"),
            (2, winner["recorded_by"]),
        ]

    # Marks: held, by the organiser, whatever the settling did meanwhile.
    for meeting, answer in zip(marked, by_kind["mark"], strict=True):
        assert answer.status_code == 200, answer.text
        status, marked_by = await _status(session, meeting.id)
        assert status is MeetingStatus.COMPLETED and marked_by is not None
    # The settling did its part: the ended meetings nobody marked are no-shows.
    for meeting in unmarked:
        assert (await _status(session, meeting.id))[0] is MeetingStatus.NO_SHOW
    # (It may also have settled a marked one before its mark came: the mark then won.)
    assert settled >= len(unmarked)


async def test_organiser_marks_while_the_settling_settles_the_same_meetings_lose_nothing(
    live: Live, lock_errors: Callable[[], list[str]]
) -> None:
    """Free-running: 120 ended meetings, the settling and 120 marks all at once."""
    session, client = live.session, live.client
    mission = await factories.mission(session)
    meetings = await _ended_meetings(session, mission, 120)
    body = {"status": "completed", "reason": "held at the hotel in Almaty"}
    done = asyncio.Event()
    settling = [asyncio.create_task(_settle_until(live, done)) for _ in range(2)]
    try:
        answers = await asyncio.wait_for(
            asyncio.gather(
                *(client.post(f"/api/v1/meetings/{m.id}/attendance", json=body) for m in meetings)
            ),
            TIMEOUT,
        )
    finally:
        done.set()
        await asyncio.gather(*settling)
    await live.app.state.rooms.settle()
    assert [a.status_code for a in answers] == [200] * len(meetings), {a.text for a in answers}
    statuses = [await _status(session, m.id) for m in meetings]
    assert [s for s, _ in statuses] == [MeetingStatus.COMPLETED] * len(meetings)
    assert lock_errors() == []
    # The report counts every one of them as held.
    report = (await client.get(f"/api/v1/missions/{mission.id}/report")).json()
    assert report["summary"]["consultations"] == len(meetings)


@pytest.mark.postgres
@pytest.mark.parametrize("fresh_database_url", ["postgres"], indirect=True)
async def test_marks_between_the_settlings_read_and_its_write_stand(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, deterministic: the settling has read the ended meetings and is about to
    write when the organiser marks every one of them held. Every mark stands (the settling
    used to overwrite them with no_show), and the settling's own marks are only where it
    wrote."""
    session, client = live.session, live.client
    mission = await factories.mission(session)
    meetings = await _ended_meetings(session, mission, 40)
    unmarked = await _ended_meetings(session, mission, 5)
    to_mark = meetings

    settling_read, marks_done = asyncio.Event(), asyncio.Event()
    real_list_attendance = rooms_service.list_attendance

    async def held_after_reading(**kwargs: Any) -> Any:
        if not settling_read.is_set():  # the settling's first look at a meeting's attendance
            settling_read.set()
            await asyncio.wait_for(marks_done.wait(), TIMEOUT)
        return await real_list_attendance(**kwargs)

    monkeypatch.setattr(rooms_service, "list_attendance", held_after_reading)
    settle = asyncio.create_task(live.app.state.rooms.settle())
    await asyncio.wait_for(settling_read.wait(), TIMEOUT)
    body = {"status": "completed", "reason": "held by phone: the room failed"}
    answers = await asyncio.wait_for(
        asyncio.gather(
            *(client.post(f"/api/v1/meetings/{m.id}/attendance", json=body) for m in to_mark)
        ),
        TIMEOUT,
    )
    assert [a.status_code for a in answers] == [200] * len(to_mark), answers[0].text
    marks_done.set()
    settled = await asyncio.wait_for(settle, TIMEOUT)

    assert set(settled) == {m.id for m in unmarked}
    for meeting in to_mark:
        assert await _status(session, meeting.id) == (MeetingStatus.COMPLETED, _actor(answers))
    for meeting in unmarked:
        assert (await _status(session, meeting.id))[0] is MeetingStatus.NO_SHOW
    marks = list(await session.scalars(select(AttendanceMark).order_by(AttendanceMark.id)))
    system = {m.meeting_id for m in marks if m.source is MarkSource.SYSTEM}
    people = {m.meeting_id for m in marks if m.source is MarkSource.PERSON}
    assert system == {m.id for m in unmarked}
    assert people == {m.id for m in to_mark}


def _actor(answers: list[httpx.Response]) -> str:
    [actor] = {a.json()["status_marked_by"] for a in answers}
    return str(actor)


async def test_a_schedule_solve_writes_nothing_and_holds_no_write_lock(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solve (POST, nothing written) runs on a reading session: while one computes, a
    booking goes through at once instead of waiting for the SQLite write lock."""
    import app.scheduling.service as scheduling

    session, client = live.session, live.client
    mission = await factories.mission(session)
    company = await factories.company(session, mission_=mission)
    buyer = await factories.buyer(
        session, mission_=mission, languages=["ko"], country="KR", city="Seoul"
    )
    await factories.venue(session, mission_=mission)  # the company's booth
    solving, release = asyncio.Event(), asyncio.Event()
    real_propose = scheduling.propose

    async def slow_propose(**kwargs: Any) -> Any:
        await kwargs["session"].execute(select(Mission.id))  # the solve has begun reading
        solving.set()
        await asyncio.wait_for(release.wait(), TIMEOUT)
        return await real_propose(**kwargs)

    monkeypatch.setattr(scheduling, "propose", slow_propose)
    solve = asyncio.create_task(
        client.post(f"/api/v1/missions/{mission.id}/schedule/solve", json={"time_limit_s": 0.5})
    )
    await asyncio.wait_for(solving.wait(), TIMEOUT)
    at_four = seoul(MISSION_DAY, 16)
    body = {
        "company_id": company.id, "buyer_id": buyer.id, "starts_at": at_four.isoformat(),
        "ends_at": (at_four + timedelta(minutes=30)).isoformat(),
    }
    booked = await asyncio.wait_for(
        client.post(f"/api/v1/missions/{mission.id}/meetings", json=body), 10
    )
    assert booked.status_code == 201, booked.text
    release.set()
    answer = await solve
    assert answer.status_code == 200, answer.text
