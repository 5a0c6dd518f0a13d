"""A real room (fake edges, manual clock) reports duty to the database store; the log shows it."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from pytest import approx
from sqlalchemy.ext.asyncio import AsyncSession

from app.rooms.service import meeting_facts, meeting_info
from rooms.board import BoardBus
from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.messages import Join, parse_client_message
from rooms.room import Room, RoomPolicy
from rooms.seats import Seat
from tests import factories
from tests.app.interpreting.stores import store_on
from tests.factories import seoul
from tests.rooms.fakes import FakeConnection, FakeRoomMedia


async def test_handover_and_close_become_minutes_per_interpreter_and_channel(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    company = await factories.company(session, mission_=mission, languages=["ko"])
    buyer = await factories.buyer(session, mission_=mission, languages=["en"])
    kim = await factories.interpreter(session, mission_=mission, language_pairs=["ko-en"])
    lee = await factories.interpreter(session, mission_=mission, language_pairs=["ko-en"])
    starts_at = seoul(factories.MISSION_DAY, 10)
    meeting = await factories.meeting(
        session,
        mission_=mission,
        company_=company,
        buyer_=buyer,
        interpreter_id=kim.id,
        partner_interpreter_id=lee.id,
        language_pair="ko-en",
        starts_at=starts_at,
    )
    facts = await meeting_facts(session=session, meeting_id=meeting.id)
    assert facts is not None
    clock = ManualClock(start=starts_at)
    room = Room(
        meeting_info(facts),
        policy=RoomPolicy(),
        clock=clock,
        store=store_on(session),
        media=FakeRoomMedia,
        bus=BoardBus(),
        on_closed=lambda room: None,
    )
    connections = {seat: FakeConnection(seat) for seat in Seat}

    async def request(seat: Seat, type_: str, **fields: Any) -> None:
        message = parse_client_message(json.dumps({"type": type_, "id": 7, **fields}))
        await room.handle(connections[seat], message)

    try:
        for seat in (Seat.COMPANY, Seat.BUYER, Seat.INTERPRETER, Seat.PARTNER):
            await room.join(seat, connections[seat], Join(type="join", id=1, token="t"))
        # The interpreter came in first: live on both channels of the pair.
        await request(Seat.INTERPRETER, "interpretation", mode="simultaneous")
        await clock.advance(timedelta(minutes=10))
        await request(Seat.INTERPRETER, "handover", channel="en", action="hand_over")
        await clock.advance(timedelta(minutes=5))
    finally:
        await room.close(RoomError("test over"), final=True)

    log = (await client.get(f"/api/v1/missions/{mission.id}/interpreter-duty")).json()
    rows = {(r["interpreter_id"], r["channel"]): r["minutes"] for r in log["rows"]}
    # Joins and requests take real milliseconds on top of the clock's jumps: a tenth at most.
    assert rows.keys() == {(kim.id, "en"), (kim.id, "ko"), (lee.id, "en")}
    assert rows[(kim.id, "en")] == approx(10, abs=0.1)
    assert rows[(kim.id, "ko")] == approx(15, abs=0.1)
    assert rows[(lee.id, "en")] == approx(5, abs=0.1)
    totals = {t["interpreter_id"]: t["minutes"] for t in log["totals"]}
    assert totals[kim.id] == approx(15, abs=0.1)  # en and ko at the same time count once
    assert totals[lee.id] == approx(5, abs=0.1)
