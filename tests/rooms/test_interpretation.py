"""A room applying the interpretation rule: requests, permissions, notices, handover, the
silent-channel fallback and the duty log (fake edges; real media in test_interpretation_media)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from rooms.errors import InvalidState, NotFound, PermissionDenied
from rooms.room import Room
from rooms.seats import Seat
from tests.rooms.fakes import RoomHarness
from tests.waiting import wait_for

C, B, INT, P, ORG = Seat.COMPANY, Seat.BUYER, Seat.INTERPRETER, Seat.PARTNER, Seat.ORGANISER
PAIRS = {INT: ("ko", "en"), P: ("ko", "en")}


@pytest.fixture
async def harness() -> AsyncIterator[RoomHarness]:
    made = RoomHarness(PAIRS)
    yield made
    await made.close()


async def _settled(room: Room) -> None:
    """Until the room's background work (speaking events, timers) has run."""
    await wait_for(lambda: not room._tasks and not room._lock.locked(), 5, "room tasks")


async def _speaks(h: RoomHarness, seat: Seat, speaking: bool) -> None:
    h.room.media_speaking(seat, speaking)
    await _settled(h.room)


async def test_consecutive_everyone_hears_everyone_and_all_see_who_is_live(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P)
    state = h.state(C)
    assert state["mode"] == "consecutive"
    assert state["channels"] == ["en", "ko"]
    assert state["live"] == {"en": "interpreter", "ko": "interpreter"}  # first in is live
    assert state["team"] == {"en": ["interpreter", "partner"], "ko": ["interpreter", "partner"]}
    assert state["requested_by"] == {"en": None, "ko": None}
    # Both joined with their microphones open, but an open microphone alone is no alarm:
    # only two open microphones both carrying voice are.
    assert state["alarm"] == []
    await _speaks(h, INT, True)
    assert h.state(B)["alarm"] == []
    await _speaks(h, P, True)
    assert h.state(B)["alarm"] == ["en", "ko"]
    # The partner mutes: the alarm is off at once, though their voice goes on.
    await h.request(P, "mute", kind="audio", muted=True)
    assert h.state(B)["alarm"] == []
    # Open again and speaking: on; the partner falls quiet: off once the hold has passed.
    await h.request(P, "mute", kind="audio", muted=False)
    assert h.state(B)["alarm"] == ["en", "ko"]
    await _speaks(h, P, False)
    assert h.state(B)["alarm"] == ["en", "ko"]  # a pause between words is not quiet yet
    await h.clock.advance(timedelta(seconds=2))
    await _settled(h.room)
    assert h.state(B)["alarm"] == []
    await _speaks(h, INT, False)

    everyone = {"company.mic", "buyer.mic", "interpreter.mic", "partner.mic"}
    for seat in (C, B, INT, P):
        own = f"{seat.value}.mic"
        assert h.feeds(seat) == {t: ("floor", None, 1.0) for t in everyone - {own}}
        assert h.fake_media.receives(seat) == everyone - {own}


async def test_the_join_states_the_microphone_and_the_alarm_needs_voice_on_both(
    harness: RoomHarness,
) -> None:
    """A partner who joins with the microphone off is seen so by everyone at once, and
    speaking into a muted microphone raises no alarm; opening it while both speak does."""
    h = harness
    await h.join(C, INT)
    await h.join(P, muted={"audio": True, "video": False})
    joined = h.connections[C].of_type("presence")[-1]
    assert (joined["seat"], joined["muted"]) == ("partner", {"audio": True, "video": False})
    assert h.connections[P].last("response")["data"]["muted"]["partner"]["audio"] is True
    await _speaks(h, INT, True)
    await _speaks(h, P, True)
    assert h.state(C)["alarm"] == []
    await h.request(P, "mute", kind="audio", muted=False)
    assert h.state(C)["alarm"] == ["en", "ko"]
    # A reconnect states the devices afresh: back muted, no alarm.
    await h.room.disconnected(h.connections[P])
    await h.join(P, muted={"audio": True})
    await _speaks(h, P, True)
    assert h.state(C)["alarm"] == []


async def test_simultaneous_listener_gets_the_channel_and_a_quiet_floor(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P, ORG)
    await h.request(INT, "interpretation", mode="simultaneous")
    await h.request(INT, "direction", channel="en")
    await h.request(B, "listen", channel="en", floor_level=0.3)
    await _speaks(h, INT, True)

    assert h.state(ORG)["directions"] == {"interpreter": "en"}
    assert h.feeds(B) == {
        "interpreter.mic": ("channel", "en", 1.0),
        "company.mic": ("floor", None, 0.3),
    }
    # The company chose nothing: the floor only, and no interpreter (they are in the booth).
    assert h.feeds(C) == {"buyer.mic": ("floor", None, 1.0)}
    assert h.fake_media.receives(C) == {"buyer.mic"}
    # The organiser is heard by nobody until it speaks, then it is on the floor.
    assert all("organiser.mic" not in h.fake_media.receives(s) for s in (C, B, INT, P))
    await h.request(ORG, "publish", kind="audio")
    assert "organiser.mic" in h.fake_media.receives(C)
    assert h.feeds(B)["organiser.mic"] == ("floor", None, 0.3)

    # Switching the direction moves the interpreter's voice to the other channel only.
    await h.request(C, "listen", channel="ko")
    await h.request(INT, "direction", channel="ko")
    assert h.feeds(C)["interpreter.mic"] == ("channel", "ko", 1.0)
    assert "interpreter.mic" not in h.feeds(B)

    # Back to consecutive: everyone hears everyone again, choices kept for later.
    await h.request(ORG, "interpretation", mode="consecutive")
    assert h.fake_media.receives(B) == {
        "company.mic",
        "interpreter.mic",
        "partner.mic",
        "organiser.mic",
    }


async def test_a_silent_channel_raises_the_floor_until_its_voice_speaks_again() -> None:
    h = RoomHarness(PAIRS, silence_hold=timedelta(seconds=3))
    try:
        await h.join(C, B, INT, P)
        await h.request(INT, "interpretation", mode="simultaneous")
        await h.request(INT, "direction", channel="en")
        await h.request(B, "listen", channel="en", floor_level=0.2)
        await h.request(C, "listen", channel="en", floor_level=0.2, fallback=False)
        # Never heard yet: silent, so the buyer (fallback on) hears the floor at full level.
        assert h.state(B)["silent"] == ["en"]
        assert h.feeds(B)["company.mic"] == ("floor", None, 1.0)
        assert h.feeds(C)["buyer.mic"] == ("floor", None, 0.2)

        await _speaks(h, INT, True)
        assert h.state(B)["silent"] == []
        assert h.feeds(B)["company.mic"] == ("floor", None, 0.2)

        # The interpreter stops: the floor stays quiet for the hold, then comes up.
        await _speaks(h, INT, False)
        await h.clock.advance(timedelta(seconds=2))
        await _settled(h.room)
        assert h.feeds(B)["company.mic"] == ("floor", None, 0.2)
        await h.clock.advance(timedelta(seconds=1.5))
        await wait_for(lambda: h.state(B)["silent"] == ["en"], 5, "en silent")
        assert h.feeds(B)["company.mic"] == ("floor", None, 1.0)
        assert h.feeds(B)["interpreter.mic"] == ("channel", "en", 1.0)  # still subscribed
        assert h.feeds(C)["buyer.mic"] == ("floor", None, 0.2)  # fallback off: unchanged

        await _speaks(h, INT, True)
        assert h.feeds(B)["company.mic"] == ("floor", None, 0.2)
    finally:
        await h.close()


async def test_hand_over_now_and_request_accept_move_the_microphone_and_log_duty(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P)
    await h.request(INT, "interpretation", mode="simultaneous")
    await h.request(INT, "direction", channel="en")
    await h.request(B, "listen", channel="en")
    assert "interpreter.mic" in h.feeds(B)
    start = h.clock.now()

    await h.clock.advance(timedelta(minutes=10))
    await h.request(INT, "handover", channel="en", action="hand_over")
    state = h.state(B)
    assert state["live"] == {"en": "partner", "ko": "interpreter"}
    assert state["directions"] == {}  # the interpreter no longer holds en
    assert "partner.mic" in h.feeds(B) and "interpreter.mic" not in h.feeds(B)
    assert h.fake_media.receives(B) == {"company.mic", "partner.mic"}
    (duty,) = h.store.duties
    assert (duty.seat, duty.channel) == (INT, "en")
    assert duty.started_at <= start and duty.ended_at - start >= timedelta(minutes=10)

    # The partner asks for ko; the live interpreter accepts.
    await h.request(P, "handover", channel="ko", action="request")
    assert h.state(INT)["requested_by"] == {"en": None, "ko": "partner"}
    await h.request(INT, "handover", channel="ko", action="accept")
    assert h.state(INT)["live"] == {"en": "partner", "ko": "partner"}
    assert [(d.seat, d.channel) for d in h.store.duties] == [(INT, "en"), (INT, "ko")]

    # Refusals say why.
    with pytest.raises(PermissionDenied):
        await h.request(C, "handover", channel="ko", action="hand_over")
    with pytest.raises(InvalidState) as refused:
        await h.request(INT, "handover", channel="ko", action="hand_over")
    assert refused.value.details["code"] == "not_live"
    with pytest.raises(InvalidState) as refused:
        await h.request(INT, "handover", channel="ko", action="accept")
    assert refused.value.details["code"] == "no_pending_request"
    with pytest.raises(NotFound):
        await h.request(INT, "handover", channel="th", action="take")

    # The room closes: the partner's duties end with it.
    await h.close()
    assert sorted((d.seat, d.channel) for d in h.store.duties[2:]) == [(P, "en"), (P, "ko")]


async def test_take_the_microphone_only_when_its_holder_dropped(harness: RoomHarness) -> None:
    h = harness
    await h.join(C, B, INT, P)
    with pytest.raises(InvalidState) as refused:
        await h.request(P, "handover", channel="ko", action="take")
    assert refused.value.details["code"] == "live_connected"

    await h.room.disconnected(h.connections[INT])
    assert h.state(P)["live"]["ko"] == "interpreter"  # kept for the grace period
    await h.request(P, "handover", channel="ko", action="take")
    assert h.state(P)["live"] == {"en": "interpreter", "ko": "partner"}
    assert [(d.seat, d.channel) for d in h.store.duties] == [(INT, "ko")]

    # The grace period runs out: the partner takes over the rest.
    await h.clock.advance(timedelta(seconds=31))
    await wait_for(lambda: h.state(P)["live"] == {"en": "partner", "ko": "partner"}, 5, "en")
    assert h.state(P)["team"] == {"en": ["partner"], "ko": ["partner"]}
    assert [(d.seat, d.channel) for d in h.store.duties] == [(INT, "ko"), (INT, "en")]


async def test_relay_source_unknown_channel_and_loop_are_refused(harness: RoomHarness) -> None:
    h = harness
    await h.join(C, B, INT, P)
    await h.request(INT, "interpretation", mode="simultaneous")
    await h.request(INT, "handover", channel="en", action="hand_over")
    # Korean -> English by the partner, working from the interpreter's ko channel: relay.
    await h.request(P, "listen", channel="ko")
    await _speaks(h, INT, True)
    assert h.feeds(P)["interpreter.mic"] == ("channel", "ko", 1.0)
    # The interpreter may not take en as source: en is fed from ko, which they hold.
    with pytest.raises(InvalidState) as refused:
        await h.request(INT, "listen", channel="en")
    assert refused.value.details["code"] == "relay_loop"
    with pytest.raises(NotFound):
        await h.request(B, "listen", channel="th")
    with pytest.raises(InvalidState):
        await h.request(P, "direction", channel="ko")  # does not hold ko
    with pytest.raises(PermissionDenied):
        await h.request(B, "direction", channel="ko")


async def test_back_channel_reaches_only_the_partner_and_team_chat_only_the_team(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P, ORG)
    await h.request(ORG, "publish", kind="audio")
    with pytest.raises(PermissionDenied):
        await h.request(C, "publish", kind="audio", source="back_channel")
    with pytest.raises(PermissionDenied):
        await h.request(ORG, "publish", kind="audio", source="back_channel")
    await h.request(INT, "publish", kind="audio", source="back_channel")
    await _settled(h.room)
    assert h.feeds(P)["interpreter.back_channel"] == ("back_channel", None, 1.0)
    for seat in (C, B, INT, ORG):
        assert "interpreter.back_channel" not in h.fake_media.receives(seat)
    for mode in ("simultaneous", "consecutive"):
        await h.request(ORG, "interpretation", mode=mode)
        assert "interpreter.back_channel" in h.fake_media.receives(P)
    # The partner may turn it off.
    await h.request(P, "listen", back_channel=False)
    assert "interpreter.back_channel" not in h.fake_media.receives(P)

    reply = await h.request(INT, "chat", text="Take over after this answer?", to="team")
    for seat in (INT, P):
        chat = h.connections[seat].last("chat")
        assert (chat["message_id"], chat["to"]) == (reply["message_id"], "team")
    for seat in (C, B, ORG):
        assert not h.connections[seat].of_type("chat")
    with pytest.raises(PermissionDenied):
        await h.request(C, "chat", text="hello team", to="team")


async def test_mode_and_floor_marker_belong_to_interpreters_and_organiser(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P, ORG)
    with pytest.raises(PermissionDenied):
        await h.request(C, "interpretation", mode="simultaneous")
    with pytest.raises(PermissionDenied):
        await h.request(B, "floor", floor="buyer")
    await h.request(P, "floor", floor="buyer")
    assert h.state(C)["floor"] == "buyer"
    await h.request(ORG, "floor", floor=None)
    assert h.state(C)["floor"] is None
    await h.request(INT, "floor", floor="interpreting")
    await h.request(ORG, "interpretation", mode="simultaneous")
    assert (h.state(C)["mode"], h.state(C)["floor"]) == ("simultaneous", None)
    with pytest.raises(InvalidState) as refused:
        await h.request(INT, "floor", floor="company")
    assert refused.value.details["code"] == "floor_mark_unavailable"


async def test_no_interpreter_no_channels() -> None:
    h = RoomHarness({})
    try:
        await h.join(C, B)
        assert h.state(C)["channels"] == [] and h.state(C)["live"] == {}
        assert h.feeds(C) == {"buyer.mic": ("floor", None, 1.0)}
        with pytest.raises(NotFound):
            await h.request(C, "listen", channel="ko")
    finally:
        await h.close()


async def test_a_seat_that_reconnects_keeps_its_choice_and_its_microphone(
    harness: RoomHarness,
) -> None:
    h = harness
    await h.join(C, B, INT, P)
    await h.request(INT, "interpretation", mode="simultaneous")
    await h.request(INT, "direction", channel="en")
    await h.request(B, "listen", channel="en", floor_level=0.5)
    await _speaks(h, INT, True)
    for seat in (B, INT):
        await h.room.disconnected(h.connections[seat])
    await h.join(INT, B)  # back within the grace period
    await _speaks(h, INT, True)
    assert h.state(B)["live"] == {"en": "interpreter", "ko": "interpreter"}
    assert h.state(B)["directions"] == {"interpreter": "en"}
    assert h.feeds(B) == {
        "interpreter.mic": ("channel", "en", 1.0),
        "company.mic": ("floor", None, 0.5),
    }
    assert h.store.duties == []  # a short drop is not the end of a duty
