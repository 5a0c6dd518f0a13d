"""Whole consultations with real aiortc seats over loopback, through the real app and relay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from tests.media.waiting import wait_for
from tests.rooms.client import MediaSeat
from tests.rooms.conftest import (
    LiveServer,
    attendance,
    create_meeting,
    issue_links,
    meeting_status,
    wait_until,
)

TONES = {"company": 440.0, "buyer": 660.0, "interpreter": 880.0, "organiser": 990.0}
MEDIA_TIMEOUT = 20.0


@pytest.fixture
async def media_seats() -> AsyncIterator[list[MediaSeat]]:
    made: list[MediaSeat] = []
    yield made
    await asyncio.gather(*(seat.close() for seat in made), return_exceptions=True)


def _seat(
    server: LiveServer, made: list[MediaSeat], meeting_id: int, token: str, seat: str
) -> MediaSeat:
    client = MediaSeat(
        server.ws_url,
        meeting_id,
        token,
        name=seat,
        tone_hz=TONES.get(seat, 440.0),
        publish=seat != "organiser",
    )
    made.append(client)
    return client


def _hears(listener: MediaSeat, speaker: str) -> bool:
    heard = listener.heard_from(speaker)
    return heard is not None and abs(heard - TONES[speaker]) < 15


async def _receives_everyone(listener: MediaSeat, speakers: list[str], frames: int = 10) -> None:
    try:
        await _receives(listener, speakers, frames)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {listener.describe()}") from None


async def _receives(listener: MediaSeat, speakers: list[str], frames: int) -> None:
    for speaker in speakers:
        await wait_for(
            lambda speaker=speaker: listener.frames_from(speaker) >= frames,  # type: ignore[misc]
            MEDIA_TIMEOUT,
            what=f"{listener.name} sees {speaker}",
        )
        await wait_for(
            lambda speaker=speaker: _hears(listener, speaker),  # type: ignore[misc]
            MEDIA_TIMEOUT,
            what=f"{listener.name} hears {speaker} at {TONES[speaker]} Hz",
        )


async def test_a_full_consultation(live_server: LiveServer, media_seats: list[MediaSeat]) -> None:
    rows = await create_meeting(live_server, length=timedelta(minutes=30))
    links = await issue_links(live_server, rows.meeting_id)
    seats = {
        name: _seat(live_server, media_seats, rows.meeting_id, links[name], name)
        for name in ("company", "buyer", "interpreter", "organiser")
    }
    for name in ("company", "buyer", "interpreter"):
        await seats[name].join(device=f"{name}-pc")
    assert await meeting_status(live_server, rows.meeting_id) == "live"
    await seats["organiser"].join(device="console")

    talkers = ["company", "buyer", "interpreter"]
    await asyncio.gather(
        *(
            _receives_everyone(seats[name], [other for other in talkers if other != name])
            for name in seats
        )
    )
    # Nobody receives the organiser (an observer publishes nothing), nor their own media.
    for name, client in seats.items():
        assert not client.video_from("organiser") and not client.audio_from("organiser")
        assert not client.video_from(name) and not client.audio_from(name)
    # Each one's video really is the others' (a rising counter, decoded).
    counters = seats["buyer"].video_from("company")[0].counters
    assert counters[-1] > counters[0]

    reply = await seats["buyer"].signal.request("chat", text="We would like 300 seats.")
    assert reply["type"] == "response"
    for name in ("company", "interpreter", "organiser"):
        chat = await seats[name].signal.wait_for(lambda m: m["type"] == "chat")
        assert (chat["seat"], chat["text"]) == ("buyer", "We would like 300 seats.")

    board = (await live_server.http.get(f"/api/v1/missions/{rows.mission_id}/board")).json()
    live = next(room for room in board["rooms"] if room["meeting_id"] == rows.meeting_id)["live"]
    assert live["phase"] == "live"
    assert set(live["seats"]) == {"company", "buyer", "interpreter", "organiser"}
    assert live["seats"]["company"]["media"]["bytes_in"] > 0
    assert live["seats"]["organiser"]["media"]["bytes_out"] > 0

    # The slot ends: everyone is closed with 4012 and the meeting is completed.
    await live_server.clock.advance(timedelta(minutes=30))
    for client in seats.values():
        assert (await client.signal.wait_closed())[0] == 4012
    await wait_until(
        lambda: _status(live_server, rows.meeting_id, "completed"), what="completed status"
    )
    log = await attendance(live_server, rows.meeting_id)
    assert sorted(row["seat"] for row in log) == ["buyer", "company", "interpreter", "organiser"]
    for row in log:
        assert row["left_reason"] == "room_closed" and row["reconnects"] == 0
        assert row["device"] == f"{row['seat']}-pc" or row["seat"] == "organiser"
        assert row["joined_at"] < row["left_at"]


async def _status(server: LiveServer, meeting_id: int, status: str) -> bool:
    return await meeting_status(server, meeting_id) == status


async def test_reconnect_within_grace_brings_the_media_back(
    live_server: LiveServer, media_seats: list[MediaSeat]
) -> None:
    rows = await create_meeting(live_server, interpreter=False)
    links = await issue_links(live_server, rows.meeting_id)
    company = _seat(live_server, media_seats, rows.meeting_id, links["company"], "company")
    buyer = _seat(live_server, media_seats, rows.meeting_id, links["buyer"], "buyer")
    await company.join()
    await buyer.join()
    await _receives_everyone(company, ["buyer"])
    await _receives_everyone(buyer, ["company"])

    # The buyer's network drops: websocket and peer connection both gone.
    mark = len(company.signal.messages)
    await buyer.close()
    await company.signal.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "reconnecting", since=mark
    )
    await live_server.clock.advance(timedelta(seconds=10))

    again = _seat(live_server, media_seats, rows.meeting_id, links["buyer"], "buyer")
    await again.join()
    before = company.frames_from("buyer")
    await wait_for(
        lambda: company.frames_from("buyer") >= before + 10,
        MEDIA_TIMEOUT,
        what="company sees the buyer again",
    )
    await _receives_everyone(again, ["company"])
    await wait_for(lambda: _hears(company, "buyer"), MEDIA_TIMEOUT, what="company hears buyer")
    assert await meeting_status(live_server, rows.meeting_id) == "live"
    log = [row for row in await attendance(live_server, rows.meeting_id) if row["seat"] == "buyer"]
    assert len(log) == 1 and log[0]["reconnects"] == 1 and log[0]["left_at"] is None

    # Dropped again and not back within the grace period: the seat has left.
    mark = len(company.signal.messages)
    await again.close()
    await company.signal.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "reconnecting", since=mark
    )
    await live_server.clock.advance(timedelta(seconds=31))
    await company.signal.wait_for(
        lambda m: m["type"] == "presence" and m["state"] == "left", since=mark
    )
    log = [row for row in await attendance(live_server, rows.meeting_id) if row["seat"] == "buyer"]
    assert log[0]["left_reason"] == "grace_expired" and log[0]["left_at"] is not None
    assert await meeting_status(live_server, rows.meeting_id) == "live"


async def test_pause_resume_and_the_unseen_organiser(
    live_server: LiveServer, media_seats: list[MediaSeat]
) -> None:
    rows = await create_meeting(live_server, interpreter=False)
    links = await issue_links(live_server, rows.meeting_id)
    company = _seat(live_server, media_seats, rows.meeting_id, links["company"], "company")
    buyer = _seat(live_server, media_seats, rows.meeting_id, links["buyer"], "buyer")
    # This organiser's client sends a tone and video from the start; the relay forwards
    # neither until the organiser chooses to speak, and never its video.
    organiser = MediaSeat(
        live_server.ws_url, rows.meeting_id, links["organiser"], name="organiser", tone_hz=990
    )
    media_seats.append(organiser)
    await company.join()
    await buyer.join()
    await organiser.join()
    await _receives_everyone(buyer, ["company"])
    await _receives_everyone(organiser, ["company", "buyer"])

    # The buyer pauses the company's video: no renegotiation, the frames stop.
    offers = buyer.media.offers
    assert (await buyer.signal.request("pause", seat="company", kind="video"))["type"] == "response"

    # Time is measured in the buyer's frames reaching the company (30 a second): the paused
    # stream must stand still for a whole second (frames in flight at the pause may land).
    async def one_second() -> None:
        tick = company.frames_from("buyer")
        await wait_for(lambda: company.frames_from("buyer") >= tick + 30, MEDIA_TIMEOUT)

    for _ in range(5):
        paused_at = buyer.frames_from("company")
        await one_second()
        if buyer.frames_from("company") == paused_at:
            break
    else:
        raise AssertionError("the paused video kept coming")
    assert _hears(buyer, "company")  # the audio still flows
    assert (await buyer.signal.request("resume", seat="company", kind="video"))[
        "type"
    ] == "response"
    await wait_for(
        lambda: buyer.frames_from("company") >= paused_at + 10, MEDIA_TIMEOUT, what="resumed"
    )
    assert buyer.media.offers == offers
    missing = await buyer.signal.request("pause", seat="interpreter", kind="audio")
    assert missing["code"] == "not_found"

    # The organiser may not show video; it may choose to speak, and is heard from then on.
    assert not company.audio_from("organiser") and not buyer.video_from("organiser")
    refused = await organiser.signal.request("publish", kind="video")
    assert refused["code"] == "permission_denied"
    assert (await organiser.signal.request("publish", kind="audio"))["type"] == "response"
    await wait_for(lambda: _hears(company, "organiser"), MEDIA_TIMEOUT, what="organiser heard")
    await wait_for(lambda: _hears(buyer, "organiser"), MEDIA_TIMEOUT, what="organiser heard")
    assert not company.video_from("organiser") and not buyer.video_from("organiser")
