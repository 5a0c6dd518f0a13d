"""Held or no-show: the organiser's mark, its record and audit, and the settling's respect for it;
and outcomes only for held meetings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import UserRole
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.rooms.models import Attendance
from app.rooms.service import DatabaseRoomStore
from app.settings import Settings
from rooms.seats import Seat
from tests import factories, principals
from tests.app.outcomes.helpers import outcome, put_rates
from tests.factories import MISSION_DAY, seoul

HELD = {"status": "completed", "reason": "held at the hotel in Almaty"}


async def test_an_organiser_marks_a_meeting_held_with_a_reason_audited_and_listed(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await factories.meeting(session)
    answer = await client.post(f"/api/v1/meetings/{meeting.id}/attendance", json=HELD)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "completed"
    marked_by = answer.json()["status_marked_by"]
    assert marked_by.startswith("user:")

    marks = (await client.get(f"/api/v1/meetings/{meeting.id}/attendance/marks")).json()
    assert [
        (m["status"], m["previous_status"], m["source"], m["reason"], m["actor"]) for m in marks
    ] == [("completed", "scheduled", "person", HELD["reason"], marked_by)]
    audit = (await client.get("/api/v1/audit", params={"action": "meeting.attendance"})).json()[
        "items"
    ]
    assert [(e["entity_id"], e["actor"], e["after"]["reason"]) for e in audit] == [
        (str(meeting.id), marked_by, HELD["reason"])
    ]
    # Marking again (it was not held after all) replaces the mark; both stay on record.
    again = {"status": "no_show", "reason": "the buyer never came to the hotel"}
    assert (await client.post(f"/api/v1/meetings/{meeting.id}/attendance", json=again)).json()[
        "status"
    ] == "no_show"
    marks = (await client.get(f"/api/v1/meetings/{meeting.id}/attendance/marks")).json()
    assert [m["status"] for m in marks] == ["completed", "no_show"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "completed"}, "reason"),
        ({"status": "completed", "reason": "   "}, "reason"),
        ({"status": "live", "reason": "in the room"}, "status"),
        ({"status": "cancelled", "reason": "gone"}, "status"),
    ],
)
async def test_a_mark_needs_held_or_no_show_and_a_reason(
    session: AsyncSession, client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    meeting = await factories.meeting(session)
    answer = await client.post(f"/api/v1/meetings/{meeting.id}/attendance", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert (await client.get(f"/api/v1/meetings/{meeting.id}")).json()["status"] == "scheduled"


async def test_a_future_or_cancelled_meeting_cannot_be_marked(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    future = await factories.meeting(
        session, starts_at=tomorrow, ends_at=tomorrow + timedelta(minutes=30)
    )
    answer = await client.post(f"/api/v1/meetings/{future.id}/attendance", json=HELD)
    assert answer.status_code == 409 and "starts at" in answer.json()["detail"], answer.text
    cancelled = await factories.meeting(session, status=MeetingStatus.CANCELLED)
    answer = await client.post(f"/api/v1/meetings/{cancelled.id}/attendance", json=HELD)
    assert answer.status_code == 409 and "cancelled" in answer.json()["detail"], answer.text


async def test_patching_the_status_marks_too_and_live_is_the_rooms_own(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await factories.meeting(session)
    url = f"/api/v1/meetings/{meeting.id}"
    assert (await client.patch(url, json={"status": "live"})).status_code == 422
    held = await client.patch(url, json={"status": "completed", "reason": "paper forms"})
    assert held.status_code == 200, held.text
    assert held.json()["status_marked_by"] is not None
    back = await client.patch(url, json={"status": "scheduled"})
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["status_marked_by"]) == ("scheduled", None)


# The settling and a person's mark -------------------------------------------------------------


async def _met(sessions: async_sessionmaker[AsyncSession], meeting: Meeting) -> None:
    """The company and the buyer were in the room together for ten minutes."""
    async with sessions() as session, session.begin():
        for seat in (Seat.COMPANY, Seat.BUYER):
            session.add(
                Attendance(
                    meeting_id=meeting.id,
                    seat=seat,
                    joined_at=meeting.starts_at,
                    left_at=meeting.starts_at + timedelta(minutes=10),
                )
            )


async def test_the_settling_never_changes_what_a_person_marked(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from app.meetings import attendance

    async with sessions() as session:
        mission = await factories.mission(session)
        marked = await factories.meeting(session, mission_=mission)
        left_alone = await factories.meeting(session, mission_=mission)
        marked_id, left_alone_id = marked.id, left_alone.id
    for meeting in (marked, left_alone):
        await _met(sessions, meeting)  # both held, by the room's rule
    async with sessions() as session:
        await attendance.mark(
            session=session,
            meeting_id=marked_id,
            status=MeetingStatus.NO_SHOW,
            reason="the company's seat was a stranger",
            actor="user:1 kim@district.example",
            now=seoul(MISSION_DAY, 9, 40),
        )
        await session.commit()

    store = DatabaseRoomStore(sessions)
    settled = await store.settle_ended_meetings(
        now=seoul(MISSION_DAY, 12), open_meeting_ids=frozenset()
    )
    assert set(settled) == {left_alone_id}
    async with sessions() as session:
        assert (await session.get_one(Meeting, marked_id)).status is MeetingStatus.NO_SHOW
        assert (await session.get_one(Meeting, left_alone_id)).status is MeetingStatus.COMPLETED
        marks = await attendance.list_marks(session=session, meeting_id=left_alone_id)
        assert [(m.source.value, m.actor, m.status.value) for m in marks] == [
            ("system", "system", "completed")
        ]
    # A room closing later leaves the mark alone too.
    from rooms.room import CloseOutcome

    await store.meeting_closed(meeting_id=marked_id, outcome=CloseOutcome.COMPLETED)
    async with sessions() as session:
        assert (await session.get_one(Meeting, marked_id)).status is MeetingStatus.NO_SHOW


# Outcomes only for held meetings --------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [MeetingStatus.SCHEDULED, MeetingStatus.NO_SHOW, MeetingStatus.CANCELLED]
)
async def test_an_outcome_of_a_meeting_not_held_is_refused_naming_its_status(
    session: AsyncSession, client: httpx.AsyncClient, status: MeetingStatus
) -> None:
    meeting = await factories.meeting(session, status=status)
    meeting_id = meeting.id  # a refused write rolls the shared session back: keep the id
    await put_rates(client, meeting.mission_id, [("KRW", "2026-03-01", "1400")])
    answer = await client.post(f"/api/v1/meetings/{meeting_id}/outcome", json=outcome())
    assert answer.status_code == 409, answer.text
    assert f"is {status.value}" in answer.json()["detail"]
    assert (await client.get(f"/api/v1/meetings/{meeting_id}/outcome")).status_code == 404
    # Marked held (it took place elsewhere), it takes the outcome.
    if status is not MeetingStatus.CANCELLED:
        await client.post(f"/api/v1/meetings/{meeting_id}/attendance", json=HELD)
        again = await client.post(f"/api/v1/meetings/{meeting_id}/outcome", json=outcome())
        assert again.status_code == 201, again.text


async def test_a_live_meeting_takes_an_outcome_once_company_and_buyer_have_met(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    started = datetime.now(UTC) - timedelta(minutes=5)
    meeting = await factories.meeting(
        session,
        status=MeetingStatus.LIVE,
        starts_at=started,
        ends_at=started + timedelta(minutes=30),
    )
    meeting_id = meeting.id  # a refused write rolls the shared session back: keep the id
    await put_rates(client, meeting.mission_id, [("KRW", "2026-01-01", "1400")])
    url = f"/api/v1/meetings/{meeting_id}/outcome"
    session.add(Attendance(meeting_id=meeting_id, seat=Seat.COMPANY, joined_at=started))
    await session.commit()
    assert (await client.post(url, json=outcome())).status_code == 409  # the buyer is not in
    session.add(Attendance(meeting_id=meeting_id, seat=Seat.BUYER, joined_at=started))
    await session.commit()
    assert (await client.post(url, json=outcome())).status_code == 201


# The console's form -------------------------------------------------------------------------


async def test_the_meeting_page_marks_a_meeting_held_with_the_reason(
    anonymous_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    meeting = await factories.meeting(session)
    meeting_id, mission_id = meeting.id, meeting.mission_id
    mission = await session.get_one(Mission, mission_id)
    organiser = await principals.user(
        session,
        role=UserRole.ORGANISER,
        organisation_id=mission.organisation_id,
        mission_ids=[mission_id],
    )
    signed = await principals.signed_in(session, settings, organiser)
    headers = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in principals.cookies(settings, signed).items())
    }
    page = await anonymous_client.get(f"/meetings/{meeting_id}?lang=en", headers=headers)
    assert 'id="attendance-form"' in page.text
    form = {"csrf_token": signed.csrf_token, "status": "completed", "reason": ""}
    url = f"/meetings/{meeting_id}/attendance"
    refused = await anonymous_client.post(url, data=form, headers=headers)
    assert refused.status_code == 303 and "attendance_problem=reason" in refused.headers["location"]
    form["reason"] = "held on another video tool: the booth PC failed"
    saved = await anonymous_client.post(url, data=form, headers=headers)
    assert saved.status_code == 303 and "marked=completed" in saved.headers["location"]
    page = await anonymous_client.get(saved.headers["location"] + "&lang=en", headers=headers)
    assert "Marked held." in page.text
    assert f"by {organiser.email}" in page.text and form["reason"] in page.text
    assert (await session.get_one(Meeting, meeting_id, populate_existing=True)).status is (
        MeetingStatus.COMPLETED
    )
    # Without the session's CSRF token the form is refused.
    forged = await anonymous_client.post(url, data=form | {"csrf_token": "x"}, headers=headers)
    assert forged.status_code == 403


async def test_the_results_page_leads_each_meeting_to_its_held_or_no_show_mark(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    scheduled = await factories.meeting(session, mission_=mission)
    no_show = await factories.meeting(session, mission_=mission, status=MeetingStatus.NO_SHOW)
    page = await client.get(f"/missions/{mission.id}/results?lang=en")
    assert page.status_code == 200
    for meeting in (scheduled, no_show):
        row = page.text.split(f'data-meeting="{meeting.id}"', 1)[1].split("</tr>", 1)[0]
        assert f'href="/meetings/{meeting.id}#attendance"' in row
        assert f'href="/meetings/{meeting.id}/outcome"' not in row  # not held: no outcome yet
