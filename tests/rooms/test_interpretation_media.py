"""Interpretation with real aiortc seats over loopback, through the real app, signalling and
relay: each seat publishes its own tone, and an FFT of what each seat receives shows
exactly the tones its choice gives, in both modes, after a direction swap and a handover;
the interpreter's back-channel tone reaches the partner only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.meetings.models import Meeting
from app.rooms import service
from rooms.links import LinkSigner
from tests.media.client import ReceivedAudio
from tests.rooms.client import MediaSeat
from tests.rooms.conftest import LiveServer, create_meeting
from tests.waiting import wait_for

COMPANY, BUYER, INTERPRETER, PARTNER, BACK_CHANNEL = 440.0, 660.0, 880.0, 990.0, 1230.0
TONES = {"company": COMPANY, "buyer": BUYER, "interpreter": INTERPRETER, "partner": PARTNER}
CANDIDATES = (*TONES.values(), BACK_CHANNEL)
TIMEOUT = 20.0


@pytest.fixture
async def media_seats() -> AsyncIterator[list[MediaSeat]]:
    made: list[MediaSeat] = []
    yield made
    await asyncio.gather(*(seat.close() for seat in made), return_exceptions=True)


async def _seat_tokens(server: LiveServer, meeting_id: int) -> dict[str, str]:
    """A link token for each seat the meeting has, issued as the links route does."""
    signer: LinkSigner = server.app.state.link_signer
    async with server.sessionmaker() as session, session.begin():
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        tokens = {}
        for seat in service.seats_of(meeting):
            link = await service.issue_link(
                session=session,
                meeting=meeting,
                seat=seat,
                expires_at=meeting.ends_at,
                now=server.clock.now(),
            )
            tokens[seat.value] = signer.sign(service.claims_of(link))
    return tokens


async def _request(seat: MediaSeat, type_: str, **fields: Any) -> dict[str, Any]:
    reply = await seat.signal.request(type_, **fields)
    assert reply["type"] == "response", reply
    return reply


async def _hears_exactly(seat: MediaSeat, expected: set[float]) -> None:
    """What `seat` receives settles on exactly `expected`, and stays so for 0.5 s more."""

    try:
        await wait_for(lambda: seat.tones_now(CANDIDATES) == expected, TIMEOUT, "the tones")
    except AssertionError:
        heard = sorted(seat.tones_now(CANDIDATES))
        routing = [r["feeds"] for r in seat.signal.of_type("routing")[-1:]]
        raise AssertionError(
            f"{seat.name} hears {heard}, wants {sorted(expected)}; routing {routing}; "
            f"{seat.describe()}; messages {seat.signal._summary()}; "
            f"presence {[(m['seat'], m['state']) for m in seat.signal.of_type('presence')]}"
        ) from None
    # Then 1 s more audio on each track that carried it; every track that got frames
    # meanwhile (a late one too) counts, and together they carry exactly `expected`.
    start = {id(audio): audio.frames for audio in seat.media.audio.values()}

    def growth(audio: ReceivedAudio) -> int:
        return audio.frames - start.get(id(audio), 0)

    carriers = [a for a in seat.fresh_audio() if seat.tones_now(CANDIDATES, tracks=[a])]
    try:
        await wait_for(lambda: all(growth(a) >= 50 for a in carriers), TIMEOUT, "1 s more audio")
    except AssertionError:
        tracks = {a.track_id: (growth(a), seat.tones_now(CANDIDATES, tracks=[a])) for a in carriers}
        raise AssertionError(f"{seat.name}: 1 s more audio; got {tracks}") from None
    grown = [audio for audio in seat.media.audio.values() if growth(audio) >= 10]
    heard = seat.tones_now(CANDIDATES, tracks=grown)
    assert heard == expected, f"{seat.name} hears {sorted(heard)}, wants {sorted(expected)}"


async def _all_hear(seats: dict[str, MediaSeat], expected: dict[str, set[float]]) -> None:
    await asyncio.gather(*(_hears_exactly(seats[name], tones) for name, tones in expected.items()))


def _last_routing(seat: MediaSeat) -> dict[tuple[str, str], tuple[str | None, float]]:
    routing = seat.signal.of_type("routing")[-1:]
    return {
        (f["seat"], f["layer"]): (f["channel"], f["level"]) for r in routing for f in r["feeds"]
    }


async def test_each_seat_hears_exactly_what_its_choice_gives(
    live_server: LiveServer, media_seats: list[MediaSeat]
) -> None:
    rows = await create_meeting(live_server, partner=True, language_pair="ko-en")
    links = await _seat_tokens(live_server, rows.meeting_id)
    assert set(links) == {"company", "buyer", "interpreter", "partner", "organiser"}

    def seat(name: str, **kwargs: Any) -> MediaSeat:
        # Audio only: video is not routed by interpretation, and decoding it costs CPU.
        client = MediaSeat(
            live_server.ws_url, rows.meeting_id, links[name], name=name, video=False, **kwargs
        )
        media_seats.append(client)
        return client

    seats = {
        "interpreter": seat("interpreter", tone_hz=INTERPRETER, back_channel_hz=BACK_CHANNEL),
        "partner": seat("partner", tone_hz=PARTNER),
        "company": seat("company", tone_hz=COMPANY),
        "buyer": seat("buyer", tone_hz=BUYER),
        "organiser": seat("organiser", publish=False),
    }
    for client in seats.values():  # the interpreter first: live on both channels
        await client.join()
    state = await seats["buyer"].signal.wait_for(lambda m: m["type"] == "interpretation_state")
    assert state["live"] == {"en": "interpreter", "ko": "interpreter"}

    # Consecutive (the default): everyone hears everyone else, the silent organiser aside.
    everyone = {COMPANY, BUYER, INTERPRETER, PARTNER}
    await _all_hear(
        seats,
        {name: everyone - {TONES[name]} for name in TONES} | {"organiser": everyone},
    )

    # The interpreter opens the back-channel: the partner alone hears it, in either mode,
    # and the interpreter's microphone goes on as before for everyone.
    await _request(seats["interpreter"], "publish", kind="audio", source="back_channel")
    await _all_hear(
        seats,
        {name: everyone - {TONES[name]} for name in TONES}
        | {"organiser": everyone, "partner": {COMPANY, BUYER, INTERPRETER, BACK_CHANNEL}},
    )
    offer_sources = {
        (track["seat"], track["source"])
        for offer in seats["partner"].signal.of_type("offer")
        for track in offer["tracks"]
    }
    assert ("interpreter", "back_channel") in offer_sources

    # Simultaneous: the interpreter speaks into en; the buyer listens to en, the company to
    # ko (nobody speaks into it: the floor at full level), the organiser to the floor only.
    await _request(seats["interpreter"], "interpretation", mode="simultaneous")
    await _request(seats["interpreter"], "direction", channel="en")
    await _request(seats["buyer"], "listen", channel="en", floor_level=0.2)
    await _request(seats["company"], "listen", channel="ko", floor_level=0.2)
    await _all_hear(
        seats,
        {
            "buyer": {COMPANY, INTERPRETER},
            "company": {BUYER},
            "organiser": {COMPANY, BUYER},  # floor only: no interpreter at all
            "interpreter": {COMPANY, BUYER},
            "partner": {COMPANY, BUYER, BACK_CHANNEL},
        },
    )
    # The buyer's routing notice: the channel at full level, the floor quiet underneath
    # (the interpreter's tone counts as speaking, so en is not silent).
    await wait_for(
        lambda: (
            _last_routing(seats["buyer"])
            == {("interpreter", "channel"): ("en", 1.0), ("company", "floor"): (None, 0.2)}
        ),
        TIMEOUT,
        "the buyer's routing: en at 1.0, the floor at 0.2",
    )

    # One control swaps the direction: the voice moves from en to ko.
    await _request(seats["interpreter"], "direction", channel="ko")
    await _all_hear(seats, {"company": {BUYER, INTERPRETER}, "buyer": {COMPANY}})

    # Hand over en: its listeners now hear the partner, and no longer the interpreter.
    await _request(seats["interpreter"], "handover", channel="en", action="hand_over")
    await _all_hear(
        seats,
        {
            "buyer": {COMPANY, PARTNER},
            "company": {BUYER, INTERPRETER},
            "organiser": {COMPANY, BUYER},
            "interpreter": {COMPANY, BUYER},
            "partner": {COMPANY, BUYER, BACK_CHANNEL},
        },
    )
    await seats["organiser"].signal.wait_for(
        lambda m: (
            m["type"] == "interpretation_state"
            and m["live"] == {"en": "partner", "ko": "interpreter"}
        ),
        what="en live: partner",
    )
