"""Faults stay where they happen: one seat's failure closes that seat, rooms do not mix."""

from __future__ import annotations

import asyncio
from typing import Any

from rooms.seats import Seat
from rtc import CloseReason
from tests.rooms.client import SeatClient
from tests.rooms.conftest import LiveServer, create_meeting, issue_links


async def _join(
    server: LiveServer, made: list[SeatClient], meeting_id: int, token: str, name: str
) -> SeatClient:
    client = await SeatClient(server.ws_url, meeting_id, token, name=name).connect()
    made.append(client)
    await client.join()
    return client


async def test_an_exception_in_one_seat_closes_that_seat_only(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _join(live_server, seats, rows.meeting_id, links["company"], "company")
    buyer = await _join(live_server, seats, rows.meeting_id, links["buyer"], "buyer")

    room = live_server.app.state.rooms.get(rows.meeting_id)
    media = room._seats[Seat.BUYER].media  # fault injection into the buyer's media layer

    async def broken(request: Any) -> dict[str, Any]:
        raise RuntimeError("simulated bug in the media layer")

    media.handle = broken
    await buyer.send({"type": "pause", "id": "p", "seat": "company", "kind": "video"})
    assert await buyer.wait_closed() == (1011, "internal_error")

    # The company sees the buyer drop (and may wait for it); its own requests still work.
    await company.wait_for(lambda m: m["type"] == "presence" and m["state"] == "reconnecting")
    assert (await company.request("chat", text="are you there?"))["type"] == "response"
    again = await _join(live_server, seats, rows.meeting_id, links["buyer"], "buyer-again")
    assert (await again.request("ping"))["type"] == "response"


async def test_a_failed_media_connection_closes_that_seat_with_its_reason(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _join(live_server, seats, rows.meeting_id, links["company"], "company")
    buyer = await _join(live_server, seats, rows.meeting_id, links["buyer"], "buyer")

    room = live_server.app.state.rooms.get(rows.meeting_id)
    peer = room.media.current[Seat.BUYER].peer
    await peer.close(CloseReason.ICE_FAILED)  # as rtc does when ICE fails
    assert await buyer.wait_closed() == (4014, "media_failed")
    notice = buyer.of_type("error")[-1]
    assert notice["code"] == "media_failed" and "ice_failed" in notice["message"]
    assert not company.closed
    await _join(live_server, seats, rows.meeting_id, links["buyer"], "buyer-again")
    await company.wait_for(
        lambda m: m["type"] == "presence" and m["seat"] == "buyer" and m["state"] == "joined"
    )


async def test_many_rooms_in_one_process_keep_to_themselves(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    meetings = [await create_meeting(live_server, interpreter=False) for _ in range(12)]
    pairs = []
    for rows in meetings:
        links = await issue_links(live_server, rows.meeting_id)
        pairs.append(
            await asyncio.gather(
                _join(live_server, seats, rows.meeting_id, links["company"], f"c{rows.meeting_id}"),
                _join(live_server, seats, rows.meeting_id, links["buyer"], f"b{rows.meeting_id}"),
            )
        )
    assert len(live_server.app.state.rooms.rooms()) >= 12
    await asyncio.gather(
        *(company.request("chat", text=f"room {i}") for i, (company, _) in enumerate(pairs))
    )
    for i, (_, buyer) in enumerate(pairs):
        chat = await buyer.wait_for(lambda m: m["type"] == "chat")
        assert chat["text"] == f"room {i}"
        assert len(buyer.of_type("chat")) == 1


async def test_ended_meetings_without_a_room_are_settled(live_server: LiveServer) -> None:
    from datetime import timedelta

    from app.meetings.models import Meeting, MeetingStatus
    from app.rooms.models import Attendance

    nobody = await create_meeting(
        live_server, starts_in=timedelta(minutes=-50), length=timedelta(minutes=30)
    )
    crashed = await create_meeting(
        live_server,
        starts_in=timedelta(minutes=-50),
        length=timedelta(minutes=30),
        status=MeetingStatus.LIVE,
    )
    alone = await create_meeting(
        live_server,
        starts_in=timedelta(minutes=-50),
        length=timedelta(minutes=30),
        status=MeetingStatus.LIVE,
    )
    later = await create_meeting(live_server, starts_in=timedelta(minutes=5))
    start = live_server.clock.now() - timedelta(minutes=50)
    async with live_server.sessionmaker() as session, session.begin():
        # The service stopped mid-consultation: stays never closed.
        session.add_all(
            [
                Attendance(meeting_id=crashed.meeting_id, seat=Seat.COMPANY, joined_at=start),
                Attendance(
                    meeting_id=crashed.meeting_id,
                    seat=Seat.BUYER,
                    joined_at=start + timedelta(minutes=2),
                ),
                Attendance(meeting_id=alone.meeting_id, seat=Seat.COMPANY, joined_at=start),
            ]
        )

    settled = await live_server.app.state.rooms.settle()
    assert settled[nobody.meeting_id] == "no_show"
    assert settled[crashed.meeting_id] == "completed"
    assert settled[alone.meeting_id] == "no_show"
    assert later.meeting_id not in settled
    async with live_server.sessionmaker() as session:
        statuses = {
            meeting_id: (await session.get(Meeting, meeting_id)).status  # type: ignore[union-attr]
            for meeting_id in (nobody.meeting_id, crashed.meeting_id, later.meeting_id)
        }
    assert statuses == {
        nobody.meeting_id: "no_show",
        crashed.meeting_id: "completed",
        later.meeting_id: "scheduled",
    }
    rows = await live_server.http.get(f"/api/v1/meetings/{crashed.meeting_id}/attendance")
    assert all(row["left_reason"] == "not_closed" for row in rows.json())
    assert all(row["left_at"] is not None for row in rows.json())
