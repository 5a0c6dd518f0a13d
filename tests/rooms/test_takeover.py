"""A meeting taken over from a node that died: its seats, arriving together at the node that
takes it, each keep the stay they begin there; only the dead room's stays end, when that
node was last heard. (tests/cluster/test_failover.py does it with real node processes; here
the node that died is told by the placement, and the dead room's stays end only once the
other seats are at the door, so that they arrive in the same instant every time.)"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.cluster.base import Placement
from app.rooms.models import Attendance
from rooms.seats import Seat
from tests.rooms.client import SeatClient
from tests.rooms.conftest import LiveServer, create_meeting, issue_links, wait_until

SEATS = (Seat.COMPANY, Seat.BUYER, Seat.INTERPRETER)


async def test_seats_arriving_together_at_a_taken_over_meeting_keep_their_new_stays(
    live_server: LiveServer, seats: list[SeatClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    now = live_server.clock.now()
    lost_at = now - timedelta(seconds=5)
    # The stays the three seats had in the room on the node that died: still open.
    async with live_server.sessionmaker() as session, session.begin():
        dead_room = [
            Attendance(meeting_id=rows.meeting_id, seat=seat, joined_at=now - timedelta(minutes=3))
            for seat in SEATS
        ]
        session.add_all(dead_room)
    old_ids = {stay.id for stay in dead_room}

    state = live_server.app.state
    place, seats_lost = state.cluster.place, state.room_store.seats_lost
    taken = asyncio.Event()

    async def placed(meeting_id: int, *, mission_id: int) -> Placement:
        placement: Placement = await place(meeting_id, mission_id=mission_id)
        if taken.is_set():
            return placement
        taken.set()  # the first seat to arrive takes the meeting over from the dead node
        return dataclasses.replace(placement, taken_over_from="node-gone", lost_at=lost_at)

    async def new_stays() -> int:
        async with live_server.sessionmaker() as session:
            found = await session.scalars(
                select(Attendance.id).where(
                    Attendance.meeting_id == rows.meeting_id, Attendance.left_at.is_(None)
                )
            )
            return len(set(found) - old_ids)

    async def at_the_door() -> bool:
        # The other two seats wait for the room the first is opening, or (were they let in
        # meanwhile) have begun their stays in it.
        openings = getattr(state, "room_openings", None)
        waiting = openings.waiting(rows.meeting_id) if openings is not None else 0
        return waiting == len(SEATS) - 1 or await new_stays() >= len(SEATS) - 1

    async def slow_seats_lost(**kwargs: Any) -> None:
        # The dead room's stays end once the other seats are at the door.
        await wait_until(at_the_door, what="the other seats at the door")
        await seats_lost(**kwargs)

    monkeypatch.setattr(state.cluster, "place", placed)
    monkeypatch.setattr(state.room_store, "seats_lost", slow_seats_lost)

    clients = [
        await SeatClient(
            live_server.ws_url, rows.meeting_id, links[seat.value], name=seat.value
        ).connect()
        for seat in SEATS
    ]
    seats.extend(clients)
    await asyncio.gather(*(client.join() for client in clients))
    assert taken.is_set()

    async with live_server.sessionmaker() as session:
        stays = (
            await session.scalars(
                select(Attendance).where(Attendance.meeting_id == rows.meeting_id)
            )
        ).all()
    ended = {stay.seat: stay for stay in stays if stay.id in old_ids}
    again = {stay.seat: stay for stay in stays if stay.id not in old_ids}
    assert set(ended) == set(again) == set(SEATS)
    for seat in SEATS:
        assert ended[seat].left_reason == "node_lost"
        assert _set(ended[seat].left_at) == lost_at
        assert again[seat].left_at is None, f"{seat}'s new stay was ended too"
        assert _set(again[seat].joined_at) >= lost_at


def _set(value: datetime | None) -> datetime:
    assert value is not None
    return value
