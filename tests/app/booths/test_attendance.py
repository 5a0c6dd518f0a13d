"""Automatic attendance on a live service: a seat still out N minutes into its slot is flagged on
the board, a late join clears the flag, the meeting ends a no-show; ringing reaches the kiosk."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.meetings.models import Meeting
from app.missions.models import Mission, Venue, VenueKind
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company
from app.rooms import service as rooms_service
from rooms.seats import Seat
from tests.app.booths.helpers import admin, kiosk, sign_in
from tests.rooms.client import SeatClient
from tests.rooms.conftest import LiveServer, live_server  # noqa: F401 - a fixture
from tests.waiting import wait_for


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"no_show_after_minutes": 1, "attendance_check_seconds": 0.1}


class Feed:
    """An SSE stream read in the background: every event kept, in order."""

    def __init__(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        self.events: list[dict[str, Any]] = []
        self._task = asyncio.create_task(self._read(client, path, headers))

    async def _read(self, client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        async with client.stream("GET", path, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: ") :]))

    async def wait(self, what: str, **match: Any) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next(
                (e for e in self.events if all(e.get(k) == v for k, v in match.items())), None
            )

        await wait_for(found, 10, f"{what}; got {[e['type'] for e in self.events[-15:]]}")
        event = found()
        assert event is not None
        return event

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class Day:
    mission_id: int
    booth_id: int
    centre_id: int
    meetings: list[int]


async def _day(server: LiveServer, count: int) -> Day:
    """A mission today with a booth and a business centre, and `count` meetings running
    since 30 s ago (so none is late yet: the limit is a minute)."""
    tag = uuid.uuid4().hex[:8]
    now = server.clock.now()
    async with server.sessionmaker() as session, session.begin():
        organisation = Organisation(name=f"Namdong-gu {tag}")
        session.add(organisation)
        await session.flush()
        mission = Mission(
            organisation_id=organisation.id,
            name=f"Jakarta consultations {tag}",
            start_date=now.date() - timedelta(days=1),
            end_date=now.date() + timedelta(days=1),
        )
        session.add(mission)
        await session.flush()
        booth = Venue(
            mission_id=mission.id,
            name="Booth 1",
            kind=VenueKind.BOOTH,
            country="KR",
            timezone="Asia/Seoul",
        )
        centre = Venue(
            mission_id=mission.id,
            name="KBC Jakarta",
            kind=VenueKind.BUSINESS_CENTRE,
            country="ID",
            timezone="Asia/Jakarta",
        )
        session.add_all([booth, centre])
        await session.flush()
        meetings = []
        for i in range(count):
            company = Company(mission_id=mission.id, name=f"Hanbit {i} {tag}", industry="food")
            buyer = Buyer(
                mission_id=mission.id, name=f"Siti {i}", company_name=f"PT {i}", country="ID"
            )
            session.add_all([company, buyer])
            await session.flush()
            meeting = Meeting(
                mission_id=mission.id,
                company_id=company.id,
                buyer_id=buyer.id,
                company_venue_id=booth.id,
                buyer_venue_id=centre.id,
                starts_at=now - timedelta(seconds=30),
                ends_at=now + timedelta(minutes=29, seconds=30),
            )
            session.add(meeting)
            await session.flush()
            meetings.append(meeting.id)
        return Day(mission.id, booth.id, centre.id, meetings)


async def _seat(server: LiveServer, meeting_id: int, seat: Seat) -> SeatClient:
    """A seat joined by its own link (signalling only: presence is what counts here)."""
    async with server.sessionmaker() as session, session.begin():
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        link = await rooms_service.issue_link(
            session=session,
            meeting=meeting,
            seat=seat,
            expires_at=meeting.ends_at + timedelta(hours=1),
            now=datetime.now(UTC),
        )
        token = server.app.state.link_signer.sign(rooms_service.claims_of(link))
    client = await SeatClient(server.ws_url, meeting_id, token, name=seat.value).connect()
    await client.join(device="test")
    return client


@pytest.fixture
async def console(
    live_server: LiveServer,  # noqa: F811 - the fixture imported above
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    async with live_server.sessionmaker() as session:
        user = await admin(session)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as client:
        yield client, await sign_in(client, user)


async def test_missing_seats_are_flagged_a_late_join_clears_and_the_end_is_a_no_show(
    live_server: LiveServer,  # noqa: F811
    console: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    server = live_server
    client, csrf = console
    day = await _day(server, 3)
    alone, late, empty = day.meetings
    feed = Feed(client, f"/api/v1/missions/{day.mission_id}/board/events", {})
    seats: list[SeatClient] = []
    try:
        await feed.wait("the board's snapshot", type="snapshot")
        seats.append(await _seat(server, alone, Seat.COMPANY))
        seats.append(await _seat(server, late, Seat.COMPANY))
        # Half a minute into the slot nobody is flagged yet: the limit is a minute.
        watcher = server.app.state.attendance
        done = watcher.checks
        await wait_for(lambda: watcher.checks >= done + 3, 10, "three attendance checks")
        assert not [e for e in feed.events if e["type"] == "attendance"]

        await server.clock.advance(timedelta(seconds=31))
        flagged = await feed.wait("the flag", type="attendance", meeting_id=alone, flagged=True)
        assert flagged["missing"] == ["buyer"]
        assert (flagged["company_venue_id"], flagged["buyer_venue_id"]) == (
            day.booth_id,
            day.centre_id,
        )
        await feed.wait("the flag", type="attendance", meeting_id=late, flagged=True)
        nobody = await feed.wait("the flag", type="attendance", meeting_id=empty, flagged=True)
        assert nobody["missing"] == ["company", "buyer"]
        board = (await client.get(f"/api/v1/missions/{day.mission_id}/booths")).json()
        assert {f["meeting_id"]: f["missing"] for f in board["flags"]} == {
            alone: ["buyer"],
            late: ["buyer"],
            empty: ["company", "buyer"],
        }

        seats.append(await _seat(server, late, Seat.BUYER))  # the buyer comes in late
        cleared = await feed.wait(
            "the flag cleared", type="attendance", meeting_id=late, flagged=False
        )
        assert cleared["missing"] == []
        board = (await client.get(f"/api/v1/missions/{day.mission_id}/booths")).json()
        assert sorted(f["meeting_id"] for f in board["flags"]) == [alone, empty]

        await server.clock.advance(timedelta(minutes=30))  # past the slot's end
        ended = await feed.wait("the end", type="attendance", meeting_id=alone, ended=True)
        assert ended["status"] == "no_show"
        # Nobody ever came to the third: no room closes it, the watcher settles it at once.
        ended = await feed.wait("the end", type="attendance", meeting_id=empty, ended=True)
        assert ended["status"] == "no_show"
        rooms = (await client.get(f"/api/v1/missions/{day.mission_id}/board")).json()["rooms"]
        assert {room["meeting_id"]: room["status"] for room in rooms} == {
            alone: "no_show",
            late: "completed",
            empty: "no_show",
        }
        board = (await client.get(f"/api/v1/missions/{day.mission_id}/booths")).json()
        assert board["flags"] == []
    finally:
        for seat in seats:
            await seat.close()
        await feed.close()


async def test_the_board_rings_the_booths_kiosk(
    live_server: LiveServer,  # noqa: F811
    console: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    client, csrf = console
    day = await _day(live_server, 1)
    link = await client.post(
        f"/api/v1/missions/{day.mission_id}/venues/{day.booth_id}/booth-link",
        json={},
        headers=csrf,
    )
    token = link.json()["token"]
    ring_path = f"/api/v1/missions/{day.mission_id}/venues/{day.booth_id}/ring"
    nobody = await client.post(ring_path, json={}, headers=csrf)
    assert nobody.json() == {"venue_id": day.booth_id, "delivered": 0}

    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=30) as kiosk_client:
        stream = Feed(kiosk_client, "/api/v1/kiosk/events", kiosk(token))
        board = Feed(client, f"/api/v1/missions/{day.mission_id}/board/events", {})
        try:
            await stream.wait("the kiosk's hello", type="hello")
            await board.wait("the board's snapshot", type="snapshot")
            rung = await client.post(ring_path, json={"meeting_id": day.meetings[0]}, headers=csrf)
            assert rung.json() == {"venue_id": day.booth_id, "delivered": 1}
            ring = await stream.wait("the ring", type="ring")
            assert ring["meeting_id"] == day.meetings[0]
            seen = await board.wait("the ring on the board", type="ring")
            assert (seen["venue_id"], seen["delivered"]) == (day.booth_id, 1)
            # Revoking the link signs the kiosk out at once.
            revoked = await client.delete(
                f"/api/v1/missions/{day.mission_id}/venues/{day.booth_id}/booth-link",
                headers=csrf,
            )
            assert revoked.status_code == 204
            await stream.wait("the sign-out", type="revoked")
        finally:
            await stream.close()
            await board.close()
