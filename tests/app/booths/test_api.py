"""Booth links, the kiosk's API by its link, the self-test verdict (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.meetings.models import MeetingStatus
from app.missions.models import VenueKind
from tests import factories
from tests.app.booths.helpers import admin, booth, centre, kiosk, mission_today, sign_in

ALL_OK = {
    "camera": {"ok": True},
    "microphone": {"ok": True, "value": 0.2},
    "speaker": {"ok": True, "value": 0.6},
    "bandwidth": {"ok": True, "value": 25000},
    "turn": {"ok": True, "reason": "not_configured"},
}


async def test_booth_links_are_for_signed_in_organisers(
    booth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await mission_today(session)
    venue = await booth(session, mission)
    path = f"/api/v1/missions/{mission.id}/venues/{venue.id}/booth-link"
    assert (await booth_client.post(path, json={})).status_code == 401
    assert (await booth_client.get(f"/api/v1/missions/{mission.id}/booths")).status_code == 401
    ring = await booth_client.post(f"/api/v1/missions/{mission.id}/venues/{venue.id}/ring", json={})
    assert ring.status_code == 401
    csrf = await sign_in(booth_client, await admin(session))
    assert (await booth_client.post(path, json={})).status_code == 403  # no CSRF header: refused
    assert (await booth_client.post(path, json={}, headers=csrf)).status_code == 201
    # A remote place has no side of its own: the first link says which; re-issues keep it.
    remote = await booth(session, mission, kind=VenueKind.REMOTE)
    remote_path = f"/api/v1/missions/{mission.id}/venues/{remote.id}/booth-link"
    unsaid = await booth_client.post(remote_path, json={}, headers=csrf)
    assert (unsaid.status_code, unsaid.json()["field"]) == (422, "seat")
    said = await booth_client.post(remote_path, json={"seat": "buyer"}, headers=csrf)
    assert said.json()["seat"] == "buyer"
    again = await booth_client.post(remote_path, json={}, headers=csrf)
    assert (again.json()["seat"], again.json()["generation"]) == ("buyer", 2)
    other = await mission_today(session)
    response = await booth_client.post(
        f"/api/v1/missions/{other.id}/venues/{venue.id}/booth-link", json={}, headers=csrf
    )
    assert response.status_code == 404  # a venue of another mission


async def test_kiosk_sees_its_booths_agenda_until_the_link_is_replaced_or_revoked(
    booth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await mission_today(session)
    venue = await booth(session, mission, name="Namdong-gu booth 1")
    elsewhere = await booth(session, mission)
    interpreter = await factories.interpreter(session, mission_=mission, name="Lee Jiwon")
    now = datetime.now(UTC).replace(microsecond=0)
    first = await factories.meeting(
        session,
        mission_=mission,
        company_venue_id=venue.id,
        interpreter_id=interpreter.id,
        language_pair="ko-id",
        starts_at=now + timedelta(minutes=20),
    )
    second = await factories.meeting(
        session, mission_=mission, company_venue_id=venue.id, starts_at=now + timedelta(minutes=60)
    )
    await factories.meeting(  # another booth's
        session, mission_=mission, company_venue_id=elsewhere.id, starts_at=now
    )
    await factories.meeting(  # cancelled
        session,
        mission_=mission,
        company_venue_id=venue.id,
        starts_at=now + timedelta(minutes=90),
        status=MeetingStatus.CANCELLED,
    )
    await factories.meeting(  # another day
        session, mission_=mission, company_venue_id=venue.id, starts_at=now + timedelta(days=1)
    )
    csrf = await sign_in(booth_client, await admin(session))
    path = f"/api/v1/missions/{mission.id}/venues/{venue.id}/booth-link"
    issued = await booth_client.post(path, json={"join_lead_seconds": 45}, headers=csrf)
    assert issued.status_code == 201, issued.text
    link = issued.json()
    assert link["seat"] == "company"  # a booth hosts the company
    assert link["url"] == f"http://127.0.0.1:8000/kiosk#{link['token']}"
    last_midnight = datetime.combine(
        mission.end_date + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Seoul")
    )
    assert datetime.fromisoformat(link["expires_at"]) == last_midnight

    response = await booth_client.get("/api/v1/kiosk", headers=kiosk(link["token"]))
    assert response.status_code == 200, response.text
    details = response.json()
    assert details["seat"] == "company"
    assert details["venue_name"] == "Namdong-gu booth 1"
    assert details["timezone"] == "Asia/Seoul"
    assert details["join_lead_seconds"] == 45
    assert details["reminder_minutes"] == 5
    assert details["ice_servers"] == []
    assert [m["meeting_id"] for m in details["meetings"]] == [first.id, second.id]
    shown = details["meetings"][0]
    assert shown["interpreter"] == "Lee Jiwon"
    assert shown["buyer_country"] == "ID"
    assert datetime.fromisoformat(shown["starts_at"]) == first.starts_at

    # The booth has no seat link for its meeting yet: the kiosk gets one minted, then the same.
    minted = await booth_client.post(
        f"/api/v1/kiosk/meetings/{first.id}/token", headers=kiosk(link["token"])
    )
    assert minted.status_code == 200, minted.text
    assert minted.json()["seat"] == "company"
    again = await booth_client.post(
        f"/api/v1/kiosk/meetings/{first.id}/token", headers=kiosk(link["token"])
    )
    assert again.json()["token"] == minted.json()["token"]
    joined = await booth_client.post("/api/v1/join", json={"token": minted.json()["token"]})
    assert (joined.json()["seat"], joined.json()["meeting_id"]) == ("company", first.id)

    events = list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.mission_id == mission.id).order_by(AuditEvent.id)
        )
    )
    assert [(e.action, e.entity_id) for e in events] == [("booth_link.issue", str(venue.id))]

    reissued = (await booth_client.post(path, json={}, headers=csrf)).json()
    assert reissued["generation"] == 2
    old = await booth_client.get("/api/v1/kiosk", headers=kiosk(link["token"]))
    assert (old.status_code, old.json()["code"]) == (403, "booth_link_revoked")
    assert (
        await booth_client.get("/api/v1/kiosk", headers=kiosk(reissued["token"]))
    ).status_code == 200

    assert (await booth_client.delete(path, headers=csrf)).status_code == 204
    revoked = await booth_client.get("/api/v1/kiosk", headers=kiosk(reissued["token"]))
    assert (revoked.status_code, revoked.json()["code"]) == (403, "booth_link_revoked")
    assert (await booth_client.get(path)).json()["token"] is None
    actions = await session.scalars(
        select(AuditEvent.action).where(AuditEvent.mission_id == mission.id)
    )
    assert sorted(actions) == ["booth_link.issue", "booth_link.issue", "booth_link.revoke"]

    missing = await booth_client.get("/api/v1/kiosk")
    assert (missing.status_code, missing.json()["code"]) == (403, "booth_link_invalid")
    forged = await booth_client.get("/api/v1/kiosk", headers=kiosk(reissued["token"][:-2] + "xx"))
    assert forged.json()["code"] == "booth_link_invalid"


async def test_a_seat_link_is_not_a_booth_link_and_links_end_with_the_mission(
    booth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    today = datetime.now(UTC).date()
    over = await mission_today(
        session, start_date=today - timedelta(days=5), end_date=today - timedelta(days=2)
    )
    venue = await booth(session, over)
    csrf = await sign_in(booth_client, await admin(session))
    link = (
        await booth_client.post(
            f"/api/v1/missions/{over.id}/venues/{venue.id}/booth-link", json={}, headers=csrf
        )
    ).json()
    expired = await booth_client.get("/api/v1/kiosk", headers=kiosk(link["token"]))
    assert (expired.status_code, expired.json()["code"]) == (403, "booth_link_expired")

    mission = await mission_today(session)
    meeting = await factories.meeting(
        session, mission_=mission, starts_at=datetime.now(UTC) + timedelta(minutes=5)
    )
    seat = await booth_client.post(f"/api/v1/meetings/{meeting.id}/links", json={}, headers=csrf)
    token = seat.json()[0]["token"]
    refused = await booth_client.get("/api/v1/kiosk", headers=kiosk(token))
    assert (refused.status_code, refused.json()["code"]) == (403, "booth_link_invalid")


async def test_business_centre_kiosk_joins_with_the_buyer_seat(
    booth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await mission_today(session)
    room = await centre(session, mission)
    other_room = await centre(session, mission)
    now = datetime.now(UTC)
    meeting = await factories.meeting(
        session, mission_=mission, buyer_venue_id=room.id, starts_at=now + timedelta(minutes=2)
    )
    foreign = await factories.meeting(
        session, mission_=mission, buyer_venue_id=other_room.id, starts_at=now
    )
    csrf = await sign_in(booth_client, await admin(session))
    link = (
        await booth_client.post(
            f"/api/v1/missions/{mission.id}/venues/{room.id}/booth-link", json={}, headers=csrf
        )
    ).json()
    assert link["seat"] == "buyer"
    # The buyer already had its own link (e-mailed): the kiosk gets that one, not a new one.
    emailed = await booth_client.post(
        f"/api/v1/meetings/{meeting.id}/links", json={"seats": ["buyer"]}, headers=csrf
    )
    emailed_token = emailed.json()[0]["token"]

    minted = await booth_client.post(
        f"/api/v1/kiosk/meetings/{meeting.id}/token", headers=kiosk(link["token"])
    )
    assert minted.status_code == 200, minted.text
    assert minted.json()["seat"] == "buyer"
    assert minted.json()["token"] == emailed_token
    joined = await booth_client.post("/api/v1/join", json={"token": minted.json()["token"]})
    assert joined.status_code == 200, joined.text
    assert (joined.json()["seat"], joined.json()["meeting_id"]) == ("buyer", meeting.id)

    not_ours = await booth_client.post(
        f"/api/v1/kiosk/meetings/{foreign.id}/token", headers=kiosk(link["token"])
    )
    assert (not_ours.status_code, not_ours.json()["code"]) == (404, "not_this_booth")


async def test_self_test_verdict_and_the_board(
    booth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await mission_today(session)
    venue = await booth(session, mission)
    csrf = await sign_in(booth_client, await admin(session))
    token = (
        await booth_client.post(
            f"/api/v1/missions/{mission.id}/venues/{venue.id}/booth-link", json={}, headers=csrf
        )
    ).json()["token"]

    async def report(checks: dict[str, dict[str, object]]) -> dict[str, object]:
        response = await booth_client.post(
            "/api/v1/kiosk/self-test", json={"checks": checks}, headers=kiosk(token)
        )
        assert response.status_code == 201, response.text
        body: dict[str, object] = response.json()
        return body

    no_camera = await report(ALL_OK | {"camera": {"ok": False, "reason": "no_device"}})
    assert no_camera["ready"] is False
    assert no_camera["problems"] == ["camera.no_device"]
    slow = await report(ALL_OK | {"bandwidth": {"ok": True, "value": 400}})
    assert slow["problems"] == ["bandwidth.too_slow"]  # the service judges the figure itself
    partial = await report({"camera": {"ok": True}})
    assert partial["problems"] == [
        "microphone.not_run",
        "speaker.not_run",
        "bandwidth.not_run",
        "turn.not_run",
    ]
    ready = await report(ALL_OK)
    assert (ready["ready"], ready["problems"]) == (True, [])

    board = await booth_client.get(f"/api/v1/missions/{mission.id}/booths")
    assert board.status_code == 200, board.text
    (status,) = board.json()["booths"]
    assert status["venue_id"] == venue.id
    assert status["last_check"]["ready"] is True
    assert status["kiosks_online"] == 0
    assert status["link"]["seat"] == "company"
