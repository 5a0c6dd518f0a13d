"""Who changed a schedule, a link, an outcome, and when: read back through GET /api/v1/audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User, UserRole
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, VenueKind
from app.settings import Settings
from tests import factories, principals
from tests.factories import seoul


async def _events(
    client: httpx.AsyncClient, admin: dict[str, str], **query: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=query, headers=admin)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["at"])


async def _cast(
    session: AsyncSession, settings: Settings
) -> tuple[Mission, Meeting, User, dict[str, str], dict[str, str]]:
    """A mission next week with one meeting; its organiser's and an admin's headers."""
    day = datetime.now(UTC).date() + timedelta(days=7)
    mission = await factories.mission(session, start_date=day, end_date=day)
    booth = await factories.venue(session, mission_=mission)
    await factories.venue(
        session,
        mission_=mission,
        name="KBC Jakarta",
        kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta",
        country="ID",
        timezone="Asia/Jakarta",
    )
    meeting = await factories.meeting(session, mission_=mission, company_venue_id=booth.id)
    organiser = await principals.user(
        session,
        role=UserRole.ORGANISER,
        organisation_id=mission.organisation_id,
        mission_ids=[mission.id],
    )
    return (
        mission,
        meeting,
        organiser,
        await principals.headers(session, settings, organiser),
        await principals.admin_headers(session, settings),
    )


async def test_a_schedule_change_says_who_moved_which_meeting_from_when_to_when(
    anonymous_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    client = anonymous_client
    mission, meeting, organiser, headers, admin = await _cast(session, settings)
    old_start, old_end = meeting.starts_at, meeting.ends_at
    new_start = seoul(mission.start_date, 14)
    new_end = new_start + timedelta(minutes=30)
    before = datetime.now(UTC)
    moved = await client.patch(
        f"/api/v1/meetings/{meeting.id}",
        json={"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat()},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text
    cancelled = await client.post(f"/api/v1/meetings/{meeting.id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    after = datetime.now(UTC)

    events = await _events(client, admin, entity="meeting", entity_id=str(meeting.id))
    assert [e["action"] for e in events] == ["meeting.cancel", "meeting.update"]  # newest first
    cancel, update = events
    for event in events:
        assert event["actor"] == f"user:{organiser.id} {organiser.email}"
        assert event["actor_user_id"] == organiser.id
        assert event["mission_id"] == mission.id
        assert before <= _when(event) <= after
    assert update["before"] == {"starts_at": old_start.isoformat(), "ends_at": old_end.isoformat()}
    assert update["after"] == {"starts_at": new_start.isoformat(), "ends_at": new_end.isoformat()}
    assert (cancel["before"], cancel["after"]) == ({"status": "scheduled"}, {"status": "cancelled"})
    # The organiser may not read the log itself.
    assert (await client.get("/api/v1/audit", headers=headers)).status_code == 403


async def test_applying_a_schedule_records_the_meetings_it_booked(
    anonymous_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    client = anonymous_client
    mission, _meeting, organiser, headers, admin = await _cast(session, settings)
    company = await factories.company(session, mission_=mission)
    buyer = await factories.buyer(session, mission_=mission)
    await factories.interpreter(session, mission_=mission)  # ko-id
    base = f"/api/v1/missions/{mission.id}"
    asked = await client.post(
        f"{base}/meeting-requests",
        json={"company_id": company.id, "buyer_id": buyer.id, "requested_by": "buyer"},
        headers=headers,
    )
    assert asked.status_code == 201, asked.text
    approved = await client.post(
        f"/api/v1/meeting-requests/{asked.json()['id']}/approve",
        json={"priority": 1},
        headers=headers,
    )
    assert approved.status_code == 200, approved.text
    proposal = await client.post(
        f"{base}/schedule/solve", json={"time_limit_s": 2}, headers=headers
    )
    assert proposal.status_code == 200, proposal.text
    body = {k: proposal.json()[k] for k in ("version", "grid", "meetings")}
    assert len(body["meetings"]) == 1, proposal.text
    applied = await client.post(f"{base}/schedule/apply", json=body, headers=headers)
    assert applied.status_code == 200, applied.text
    [booked] = applied.json()["booked"]

    [event] = await _events(client, admin, action="schedule.apply", mission_id=mission.id)
    assert event["actor_user_id"] == organiser.id
    assert event["after"]["meeting_ids"] == [booked["id"]]
    assert event["after"]["booked"] == 1
    [create] = await _events(client, admin, action="meeting.create", entity_id=str(booked["id"]))
    assert create["actor_user_id"] == organiser.id


async def test_a_revoked_link_and_an_extended_room_say_who_and_when_and_hold_no_token(
    anonymous_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    client = anonymous_client
    mission, meeting, organiser, headers, admin = await _cast(session, settings)
    issued = await client.post(f"/api/v1/meetings/{meeting.id}/links", json={}, headers=headers)
    assert issued.status_code == 201, issued.text
    tokens = [link["token"] for link in issued.json()]
    before = datetime.now(UTC)
    revoked = await client.delete(f"/api/v1/meetings/{meeting.id}/links/buyer", headers=headers)
    assert revoked.status_code == 204, revoked.text
    after = datetime.now(UTC)

    [event] = await _events(client, admin, action="seat_link.revoke", mission_id=mission.id)
    assert event["actor"] == f"user:{organiser.id} {organiser.email}"
    assert event["entity"] == "seat_link" and event["entity_id"] == f"{meeting.id}:buyer"
    assert event["after"]["seat"] == "buyer" and event["after"]["generation"] == 2
    assert before <= _when(event) <= after
    issues = await _events(client, admin, action="seat_link.issue", mission_id=mission.id)
    assert sorted(e["after"]["seat"] for e in issues) == sorted(
        link["seat"] for link in issued.json()
    )
    log = (await client.get("/api/v1/audit", params={"limit": 200}, headers=admin)).text
    assert not any(token in log for token in tokens)

    ends_at = meeting.ends_at  # the route moves it on this very row
    extended = await client.post(
        f"/api/v1/meetings/{meeting.id}/room/extend", json={"minutes": 10}, headers=headers
    )
    assert extended.status_code == 200, extended.text
    [extend] = await _events(client, admin, action="room.extend", entity_id=str(meeting.id))
    assert extend["actor_user_id"] == organiser.id
    assert extend["before"] == {"ends_at": ends_at.isoformat()}
    assert extend["after"]["ends_at"] == (ends_at + timedelta(minutes=10)).isoformat()


async def test_an_outcome_edit_by_the_company_seat_says_which_fields_changed(
    anonymous_client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    client = anonymous_client
    mission, meeting, organiser, headers, admin = await _cast(session, settings)
    meeting.status = MeetingStatus.COMPLETED  # held: outcomes are of held meetings
    await session.flush()
    issued = await client.post(f"/api/v1/meetings/{meeting.id}/links", json={}, headers=headers)
    company = {link["seat"]: link["token"] for link in issued.json()}["company"]
    seat = principals.seat_headers(company)
    rates = {
        "entered_by": "Organiser Kim",
        "rates": [{"currency": "KRW", "rate_date": "2026-01-01", "units_per_usd": "1400"}],
    }
    put = await client.put(
        f"/api/v1/missions/{mission.id}/exchange-rates", json=rates, headers=headers
    )
    assert put.status_code == 200, put.text
    outcome = {
        "recorded_by": "Kim Minji",
        "role": "organiser",
        "currency": "USD",
        "consultation_value": "100000",
        "expected_contract_value": "50000",
        "interest_level": "medium",
    }
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    first = await client.post(url, json=outcome, headers=seat)
    assert first.status_code == 201, first.text
    assert first.json()["role"] == "company_seat"  # the link decides, not the body
    edit = outcome | {"expected_version": 1, "interest_level": "high", "notes": "samples"}
    before = datetime.now(UTC)
    second = await client.put(url, json=edit, headers=seat)
    assert second.status_code == 200, second.text
    after = datetime.now(UTC)

    events = await _events(client, admin, entity="outcome", entity_id=str(meeting.id))
    assert [e["action"] for e in events] == ["outcome.update", "outcome.create"]
    update, create = events
    for event in events:
        assert event["actor"] == f"seat:company@meeting:{meeting.id}"
        assert event["actor_user_id"] is None
        assert event["mission_id"] == mission.id
    assert before <= _when(update) <= after
    assert update["before"] == {"interest_level": "medium", "notes": ""}
    assert update["after"] == {"interest_level": "high", "notes": "samples", "version": 2}
    assert create["after"]["consultation_value_minor"] == 10_000_000

    # The organiser's own correction names the user.
    third = await client.put(
        url, json=edit | {"expected_version": 2, "notes": "samples sent"}, headers=headers
    )
    assert third.status_code == 200, third.text
    [latest, *_] = await _events(client, admin, entity="outcome", entity_id=str(meeting.id))
    assert latest["actor_user_id"] == organiser.id
    assert latest["after"] == {
        "notes": "samples sent",
        "recorded_by_role": "organiser",
        "version": 3,
    }
