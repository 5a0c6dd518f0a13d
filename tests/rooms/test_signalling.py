"""The seat websocket without media: admission close codes, limits, take-over, lifecycle, grace."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
from datetime import timedelta

import pytest

from app.meetings.models import MeetingStatus
from app.rooms.ws import WebSocketSeat
from rooms.links import LinkClaims, LinkSigner
from rooms.seats import Seat
from tests.rooms.client import SeatClient
from tests.rooms.conftest import (
    LiveServer,
    attendance,
    create_meeting,
    issue_links,
    meeting_status,
    wait_until,
)


async def _client(
    server: LiveServer, seats: list[SeatClient], meeting_id: int, token: str, name: str
) -> SeatClient:
    client = await SeatClient(server.ws_url, meeting_id, token, name=name).connect()
    seats.append(client)
    return client


async def _refused(
    server: LiveServer, seats: list[SeatClient], meeting_id: int, token: str
) -> tuple[int, str, dict[str, object]]:
    client = await _client(server, seats, meeting_id, token, "refused")
    await client.send({"type": "join", "id": 1, "token": token})
    code, reason = await client.wait_closed()
    notice = client.of_type("error")[-1]
    return code, reason, notice


async def test_bad_links_get_their_close_codes_and_the_room_carries_on(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    other = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    other_links = await issue_links(live_server, other.meeting_id)

    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()

    # A buyer's link used on another meeting.
    code, reason, notice = await _refused(live_server, seats, rows.meeting_id, other_links["buyer"])
    assert (code, reason, notice["code"]) == (4004, "link_wrong_meeting", "link_wrong_meeting")

    # A forged token (signed with another key), and garbage.
    forged = LinkSigner("someone-else").sign(
        LinkClaims(rows.meeting_id, Seat.BUYER, 1, live_server.clock.now() + timedelta(days=1))
    )
    assert (await _refused(live_server, seats, rows.meeting_id, forged))[:2] == (
        4001,
        "link_invalid",
    )

    # A revoked link (re-issued: the old one stops) and an expired one.
    old_buyer = links["buyer"]
    new = await issue_links(live_server, rows.meeting_id, seats=["buyer"])
    assert (await _refused(live_server, seats, rows.meeting_id, old_buyer))[:2] == (
        4003,
        "link_revoked",
    )
    soon = live_server.clock.now() + timedelta(minutes=1)
    expiring = await issue_links(
        live_server, rows.meeting_id, seats=["interpreter"], expires_at=soon.isoformat()
    )
    await live_server.clock.advance(timedelta(minutes=2))
    assert (await _refused(live_server, seats, rows.meeting_id, expiring["interpreter"]))[:2] == (
        4002,
        "link_expired",
    )

    # The first message must be a join.
    client = await _client(live_server, seats, rows.meeting_id, new["buyer"], "nojoin")
    await client.send({"type": "chat", "id": 1, "text": "hello"})
    assert (await client.wait_closed())[0] == 4005

    # The company never noticed any of it, and the new buyer link works.
    assert (await company.request("ping"))["type"] == "response"
    buyer = await _client(live_server, seats, rows.meeting_id, new["buyer"], "buyer")
    await buyer.join()
    chat = await buyer.request("chat", text="Xin chào")
    assert chat["type"] == "response"
    await company.wait_for(lambda m: m["type"] == "chat" and m["text"] == "Xin chào")
    assert not company.closed


async def test_meeting_not_open_yet_and_meeting_over(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    later = await create_meeting(live_server, starts_in=timedelta(hours=2))
    links = await issue_links(live_server, later.meeting_id)
    code, reason, notice = await _refused(live_server, seats, later.meeting_id, links["company"])
    assert (code, reason) == (4010, "meeting_not_open")
    assert "opens_at" in notice["details"]

    # Ten minutes before the slot (the open lead) the room opens: a lobby until a second seat.
    await live_server.clock.advance(timedelta(minutes=111))
    company = await _client(live_server, seats, later.meeting_id, links["company"], "company")
    joined = await company.join()
    assert joined["data"]["phase"] == "lobby"

    over = await create_meeting(
        live_server, starts_in=timedelta(minutes=-40), length=timedelta(minutes=30)
    )
    links = await issue_links(live_server, over.meeting_id)
    assert (await _refused(live_server, seats, over.meeting_id, links["buyer"]))[:2] == (
        4011,
        "meeting_over",
    )
    cancelled = await create_meeting(live_server, status=MeetingStatus.CANCELLED)
    links = await issue_links(live_server, cancelled.meeting_id)
    assert (await _refused(live_server, seats, cancelled.meeting_id, links["buyer"]))[0] == 4011


async def test_malformed_huge_and_flooding_messages(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()

    # Malformed messages are answered with `error` and the connection stays.
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()
    start = len(buyer.messages)
    await buyer.send("{not json")
    error = await buyer.wait_for(lambda m: m["type"] == "error", since=start)
    assert error["code"] == "invalid_message" and error["id"] is None
    reply = await buyer.request("chat")  # no text
    assert reply["type"] == "error" and reply["code"] == "invalid_message"
    assert reply["details"]["problems"][0]["loc"] == "chat.text"
    reply = await buyer.request("no_such_type")
    assert reply["code"] == "invalid_message"
    reply = await buyer.request("pause", seat="nobody", kind="video")
    assert reply["code"] == "invalid_message"
    assert (await buyer.request("ping"))["type"] == "response"

    # One message of 1 MB: closed with 1009.
    await buyer.send(json.dumps({"type": "chat", "id": "big", "text": "x" * 1_000_000}))
    assert await buyer.wait_closed() == (1009, "message_too_big")

    # 1000 messages in a second: closed with 1008 once the burst is spent.
    interpreter = await _client(
        live_server, seats, rows.meeting_id, links["interpreter"], "interpreter"
    )
    await interpreter.join()
    ping = json.dumps({"type": "ping", "id": 1})
    for _ in range(1000):
        if interpreter.closed:
            break
        await interpreter.send(ping)
    assert await interpreter.wait_closed() == (1008, "too_many_messages")
    replies = interpreter.of_type("response")
    assert 50 <= len(replies) <= 70  # the join, then the burst of 60

    # Binary frames are not part of the protocol.
    organiser = await _client(live_server, seats, rows.meeting_id, links["organiser"], "organiser")
    await organiser.join()
    await organiser.send(b"\x00\x01")
    assert (await organiser.wait_closed())[0] == 1003

    # The company is still in a working room.
    chat = await company.request("chat", text="still here")
    assert chat["type"] == "response"
    assert not company.closed


async def test_second_device_takes_the_seat_over(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    first = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer-laptop")
    await first.join(device="laptop")
    mark = len(company.messages)

    second = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer-phone")
    joined = await second.join(device="phone")
    assert joined["data"]["seat"] == "buyer"
    assert await first.wait_closed() == (4009, "seat_taken")
    assert first.of_type("error")[-1]["code"] == "seat_taken"

    # The others saw the buyer (re)join, never leave; the seat is held by the phone.
    await company.wait_for(lambda m: m["type"] == "presence" and m["seat"] == "buyer", since=mark)
    assert not [
        m for m in company.messages[mark:] if m["type"] == "presence" and m["state"] == "left"
    ]
    assert (await second.request("chat", text="from the phone"))["type"] == "response"
    rows_ = await attendance(live_server, rows.meeting_id)
    buyer_rows = [row for row in rows_ if row["seat"] == "buyer"]
    assert len(buyer_rows) == 1
    assert buyer_rows[0]["reconnects"] == 1 and buyer_rows[0]["device"] == "phone"
    assert buyer_rows[0]["left_at"] is None


async def test_lifecycle_live_warning_extension_and_completed(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server, length=timedelta(minutes=30))
    links = await issue_links(live_server, rows.meeting_id)
    assert await meeting_status(live_server, rows.meeting_id) == "scheduled"

    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    joined = await company.join()
    assert joined["data"]["phase"] == "lobby"
    assert await meeting_status(live_server, rows.meeting_id) == "live"
    timer = await company.wait_for(lambda m: m["type"] == "slot_timer")
    assert timer["warning"] is False and 28 * 60 < timer["seconds_left"] <= 29 * 60

    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()
    await company.wait_for(lambda m: m["type"] == "room_state" and m["phase"] == "live")
    interpreter = await _client(
        live_server, seats, rows.meeting_id, links["interpreter"], "interpreter"
    )
    await interpreter.join()
    reply = await company.request("chat", text="안녕하세요, 샘플은 받으셨나요?")
    for other in (buyer, interpreter, company):
        message = await other.wait_for(lambda m: m["type"] == "chat")
        assert message["text"] == "안녕하세요, 샘플은 받으셨나요?" and message["seat"] == "company"
        assert message["message_id"] == reply["data"]["message_id"]
    mute = await buyer.request("mute", kind="video", muted=True)
    assert mute["type"] == "response"
    await company.wait_for(lambda m: m["type"] == "mute_state" and m["seat"] == "buyer")

    # Two minutes before the end: the warning.
    await live_server.clock.advance(timedelta(minutes=27, seconds=30))
    warning = await buyer.wait_for(lambda m: m["type"] == "slot_timer" and m["warning"])
    assert warning["seconds_left"] <= 120

    # The organiser extends by 10 minutes: a new timer, no warning, and the room stays.
    response = await live_server.http.post(
        f"/api/v1/meetings/{rows.meeting_id}/room/extend", json={"minutes": 10}
    )
    assert response.status_code == 200, response.text
    extended = await interpreter.wait_for(
        lambda m: m["type"] == "slot_timer" and m["seconds_left"] > 600
    )
    assert extended["warning"] is False
    await live_server.clock.advance(timedelta(minutes=5))
    assert not company.closed

    # The new end closes the room: everyone gets 4012, the meeting is completed.
    await live_server.clock.advance(timedelta(minutes=7))
    for client in (company, buyer, interpreter):
        assert await client.wait_closed() == (4012, "room_closed")
    # Settled before the seats were told, so no waiting here.
    assert await meeting_status(live_server, rows.meeting_id) == "completed"
    log = await attendance(live_server, rows.meeting_id)
    assert sorted(row["seat"] for row in log) == ["buyer", "company", "interpreter"]
    assert all(row["left_at"] is not None and row["left_reason"] == "room_closed" for row in log)
    assert all(row["joined_at"] < row["left_at"] for row in log)

    late = await _client(live_server, seats, rows.meeting_id, links["company"], "late")
    await late.send({"type": "join", "id": 1, "token": links["company"]})
    assert (await late.wait_closed())[0] == 4011


async def test_only_one_side_came_is_a_no_show(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server, length=timedelta(minutes=20))
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    interpreter = await _client(
        live_server, seats, rows.meeting_id, links["interpreter"], "interpreter"
    )
    await interpreter.join()
    await live_server.clock.advance(timedelta(minutes=20))
    assert (await company.wait_closed())[0] == 4012
    await wait_until(
        lambda: _status_is(live_server, rows.meeting_id, "no_show"), what="no_show status"
    )


async def _status_is(server: LiveServer, meeting_id: int, status: str) -> bool:
    return await meeting_status(server, meeting_id) == status


async def test_reconnect_within_grace_keeps_the_seat_and_after_it_the_seat_left(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()

    mark = len(company.messages)
    await buyer.close()
    await company.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "reconnecting", since=mark
    )
    await live_server.clock.advance(timedelta(seconds=20))
    again = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer-again")
    await again.join()
    await company.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "joined" and m["seat"] == "buyer",
        since=mark,
    )
    await live_server.clock.advance(timedelta(seconds=20))  # past the first drop's grace
    assert (await again.request("chat", text="back"))["type"] == "response"
    assert await meeting_status(live_server, rows.meeting_id) == "live"
    log = [row for row in await attendance(live_server, rows.meeting_id) if row["seat"] == "buyer"]
    assert len(log) == 1 and log[0]["reconnects"] == 1 and log[0]["left_at"] is None

    # Dropped again, and not back within 30 s: counted as left at the moment it dropped.
    mark = len(company.messages)
    await again.close()
    await company.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "reconnecting", since=mark
    )
    dropped = next(m for m in company.messages[mark:] if m["type"] == "presence")["at"]
    await live_server.clock.advance(timedelta(seconds=31))
    left = await company.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "left", since=mark
    )
    assert left["reason"] == "grace_expired"
    await company.wait_for(
        lambda m: m["type"] == "room_state" and m["phase"] == "lobby", since=mark
    )
    log = [row for row in await attendance(live_server, rows.meeting_id) if row["seat"] == "buyer"]
    assert log[0]["left_reason"] == "grace_expired"
    assert log[0]["left_at"][:19] == dropped[:19]

    # The seat can come back later: a new attendance row.
    back = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer-3")
    await back.join()
    log = [row for row in await attendance(live_server, rows.meeting_id) if row["seat"] == "buyer"]
    assert len(log) == 2 and log[1]["left_at"] is None


async def test_leave_is_immediate(live_server: LiveServer, seats: list[SeatClient]) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()
    assert (await buyer.request("leave"))["type"] == "response"
    assert (await buyer.wait_closed())[0] == 1000
    left = await company.wait_for(lambda m: m["type"] == "presence" and m["state"] == "left")
    assert left["reason"] == "left"


@pytest.mark.parametrize("settings_overrides", [{"ws_join_timeout_seconds": 0.5}])
async def test_join_timeout(live_server: LiveServer, seats: list[SeatClient]) -> None:
    rows = await create_meeting(live_server)
    client = await _client(live_server, seats, rows.meeting_id, "unused", "silent")
    started = asyncio.get_running_loop().time()
    assert await client.wait_closed(within=5) == (4005, "join_required")
    assert 0.4 < asyncio.get_running_loop().time() - started < 3


async def test_the_organiser_ends_the_meeting_early(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()
    response = await live_server.http.post(f"/api/v1/meetings/{rows.meeting_id}/room/close")
    assert response.status_code == 200, response.text
    assert await company.wait_closed() == (4012, "room_closed")
    assert await meeting_status(live_server, rows.meeting_id) == "completed"
    again = await live_server.http.post(
        f"/api/v1/meetings/{rows.meeting_id}/room/extend", json={"minutes": 5}
    )
    assert (again.status_code, again.json()["code"]) == (409, "room_closed")
    closed = await live_server.http.post(f"/api/v1/meetings/{rows.meeting_id}/room/close")
    assert closed.status_code == 404


async def test_shutdown_closes_every_seat_and_keeps_the_meeting_live(
    live_server: LiveServer, seats: list[SeatClient]
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    await company.join()
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await buyer.join()
    await live_server.stop()
    for client in (company, buyer):
        assert (await client.wait_closed())[0] == 1012  # service restart: come back soon
    async with live_server.sessionmaker() as session:
        from sqlalchemy import select

        from app.meetings.models import Meeting
        from app.rooms.models import Attendance

        meeting = await session.get(Meeting, rows.meeting_id)
        assert meeting is not None and meeting.status == "live"
        log = list(
            await session.scalars(
                select(Attendance).where(Attendance.meeting_id == rows.meeting_id)
            )
        )
    assert len(log) == 2
    assert all(row.left_at is not None and row.left_reason == "server_shutdown" for row in log)


async def test_a_lost_connection_is_not_written_to(
    live_server: LiveServer, seats: list[SeatClient], caplog: pytest.LogCaptureFixture
) -> None:
    """The company's TCP connection is reset while the server has a burst of messages for it:
    the seat's writer stops at the first failed write instead of writing every queued
    message into the dead socket (asyncio's "socket.send() raised exception." each time)."""
    caplog.set_level(logging.WARNING, logger="asyncio")
    rows = await create_meeting(live_server, interpreter=False)
    links = await issue_links(live_server, rows.meeting_id)
    company = await _client(live_server, seats, rows.meeting_id, links["company"], "company")
    buyer = await _client(live_server, seats, rows.meeting_id, links["buyer"], "buyer")
    await company.join()
    await buyer.join()
    room = live_server.app.state.rooms.get(rows.meeting_id)
    connection = room._seats[Seat.COMPANY].connection
    assert isinstance(connection, WebSocketSeat)

    # A reset (RST), as when a network path dies, and at once fifty messages for the seat.
    sock = company._ws.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    company._ws.transport.abort()
    for number in range(50):
        chat = {"type": "chat", "message_id": number, "seat": "buyer", "text": "Hello " * 20,
                "at": "2026-11-23T02:05:03Z", "to": "room"}  # fmt: skip
        await connection.send(chat)

    await wait_until(lambda: connection._writer.done(), what="the seat's writer to stop")
    await buyer.wait_for(lambda m: m["type"] == "presence" and m["state"] == "reconnecting")
    spam = [r for r in caplog.records if "socket.send() raised exception" in r.getMessage()]
    assert spam == []
