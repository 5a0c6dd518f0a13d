"""The seat contract, checked as another client's developer would check it.

A whole interpreted meeting with aiortc seats over loopback, through the real app and relay:
joins with stated devices, consecutive mode, the back-channel, simultaneous mode, a handover,
a screen share, the organiser speaking, refusals, a reconnect and a take-over, a leave, the
end warning, an extension and the slot's end. Every message the server sends is validated
against the JSON Schema the server publishes (fetched over HTTP, not imported), and every
message the clients send against the client schema. Every offer's m-line list is checked
against its own SDP: each m-line listed, in order, with the direction the SDP gives it.

Two seats (the company and the interpreter) answer with aiortc's default "balanced" bundle
policy, the others with max-bundle: both work with the relay's offers (docs/rtc.md).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from aiortc import RTCBundlePolicy

from app.meetings.models import Meeting
from app.rooms import service
from rooms.links import LinkSigner
from tests.rooms.client import MediaSeat, Message
from tests.rooms.conftest import LiveServer, create_meeting
from tests.waiting import wait_for

TIMEOUT = 20.0
TONES = {"company": 440.0, "buyer": 660.0, "interpreter": 880.0, "partner": 990.0}
BACK_CHANNEL = 1230.0
# What an offer's SDP says of an m-line (server side) -> what the m-line list must say.
DIRECTIONS = {"recvonly": "send", "sendonly": "receive", "inactive": "inactive"}


def sdp_m_lines(sdp: str) -> list[tuple[str, str, str]]:
    """(mid, kind, direction) of each m-line, read from the SDP text alone."""
    lines: list[dict[str, str]] = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            lines.append({"kind": line[2:].split()[0], "direction": "sendrecv"})
        elif lines and line.startswith("a=mid:"):
            lines[-1]["mid"] = line[6:].strip()
        elif lines and line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            lines[-1]["direction"] = line[2:]
    return [(m["mid"], m["kind"], m["direction"]) for m in lines]


class Contract:
    """Validates every message of the seats it watches; keeps what it found wrong."""

    def __init__(self, server_schema: dict[str, Any], client_schema: dict[str, Any]) -> None:
        self.server = jsonschema_rs.validator_for(server_schema, validate_formats=True)
        self.client = jsonschema_rs.validator_for(client_schema, validate_formats=True)
        self.problems: list[str] = []
        self.received: collections.Counter[str] = collections.Counter()
        self.sent: collections.Counter[str] = collections.Counter()

    def watch(self, seat: MediaSeat) -> MediaSeat:
        seat.signal.watchers.append(lambda message: self.check_received(seat.name, message))
        seat.signal.sent_watchers.append(lambda message: self.check_sent(seat.name, message))
        return seat

    def check_received(self, name: str, message: Message) -> None:
        self.received[str(message.get("type"))] += 1
        for error in self.server.iter_errors(message):
            self.problems.append(f"{name} received {message}: {error.message} at {error.path}")
        if message.get("type") == "offer":
            self.check_offer(name, message)

    def check_sent(self, name: str, message: Message) -> None:
        self.sent[str(message.get("type"))] += 1
        if str(message.get("id")).startswith("invalid-"):
            return  # a deliberately invalid message of the test
        for error in self.client.iter_errors(message):
            self.problems.append(f"{name} sent {message}: {error.message} at {error.path}")

    def check_offer(self, name: str, offer: Message) -> None:
        lines = offer.get("tracks", [])
        in_sdp = sdp_m_lines(offer.get("sdp", ""))
        listed = [(line["mid"], line["kind"], line["direction"]) for line in lines]
        expected = [(mid, kind, DIRECTIONS.get(direction, "?")) for mid, kind, direction in in_sdp]
        if listed != expected:
            self.problems.append(f"{name} offer {offer['id']}: lines {listed}, SDP {expected}")
        for line in lines:
            own = line["seat"] == name.split("#")[0]
            if line["direction"] == "send" and not own:
                self.problems.append(f"{name}: a send line of another seat: {line}")
            if line["direction"] == "receive" and (own or line["track_id"] is None):
                self.problems.append(f"{name}: a receive line of its own or of nothing: {line}")
            if line["direction"] == "inactive" and any(
                line[key] is not None for key in ("seat", "source", "track_id")
            ):
                self.problems.append(f"{name}: an inactive line that says what it carries: {line}")


@pytest.fixture
async def media_seats() -> AsyncIterator[list[MediaSeat]]:
    made: list[MediaSeat] = []
    yield made
    await asyncio.gather(*(seat.close() for seat in made), return_exceptions=True)


async def _tokens(server: LiveServer, meeting_id: int) -> dict[str, str]:
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
                expires_at=meeting.ends_at + timedelta(hours=1),
                now=server.clock.now(),
            )
            tokens[seat.value] = signer.sign(service.claims_of(link))
    return tokens


async def _ok(client: MediaSeat, type_: str, /, **fields: Any) -> Message:
    reply = await client.signal.request(type_, **fields)
    assert reply["type"] == "response", reply
    return reply


async def _refused(client: MediaSeat, type_: str, code: str, /, **fields: Any) -> Message:
    reply = await client.signal.request(type_, **fields)
    assert (reply["type"], reply["code"]) == ("error", code), reply
    return reply


def _line(seat: MediaSeat, owner: str, source: str) -> Message | None:
    return next(
        (
            line
            for line in seat.lines.values()
            if line["direction"] == "receive" and line["seat"] == owner and line["source"] == source
        ),
        None,
    )


async def _state(seat: MediaSeat, predicate: Any, what: str) -> Message:
    return await seat.signal.wait_for(
        lambda m: m["type"] == "interpretation_state" and predicate(m), what=what, within=TIMEOUT
    )


async def test_every_message_of_a_whole_meeting_matches_the_published_schema(
    live_server: LiveServer, media_seats: list[MediaSeat]
) -> None:
    schemas = {}
    for side in ("server", "client"):
        response = await live_server.http.get(f"/api/v1/signalling/schema/{side}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/schema+json")
        schemas[side] = response.json()
    protocol = schemas["server"]["x-protocol"]
    contract = Contract(schemas["server"], schemas["client"])
    # The schema is strict: an offer without its m-line list, an unknown field, a wrong
    # enum value are all refused.
    for bogus in (
        {"type": "offer", "id": "x", "sdp": "v=0"},
        {"type": "ping_reply", "id": 1},
        {"type": "mute_state", "seat": "buyer", "kind": "video", "muted": True, "extra": 1},
        {"type": "presence", "seat": "visitor", "state": "joined", "at": "2026-01-01T00:00:00Z",
         "reason": "", "muted": None},
    ):  # fmt: skip
        assert not contract.server.is_valid(bogus), bogus
    server_types = {option["$ref"].rsplit("/", 1)[1] for option in schemas["server"]["oneOf"]}

    rows = await create_meeting(live_server, partner=True, language_pair="ko-en")
    tokens = await _tokens(live_server, rows.meeting_id)

    def seat(name: str, token_of: str | None = None, **kwargs: Any) -> MediaSeat:
        client = MediaSeat(
            live_server.ws_url,
            rows.meeting_id,
            tokens[token_of or name],
            name=name,
            tone_hz=TONES.get(name.split("#")[0], 330.0),
            **kwargs,
        )
        media_seats.append(client)
        return contract.watch(client)

    balanced = RTCBundlePolicy.BALANCED
    interpreter = seat(
        "interpreter",
        video=False,
        back_channel_hz=BACK_CHANNEL,
        decode=False,
        bundle_policy=balanced,
    )
    partner = seat("partner", video=False, decode=False)
    company = seat("company", screen=True, bundle_policy=balanced)
    buyer = seat("buyer")
    organiser = seat("organiser", video=False, decode=False)

    # Joins: each states its devices; the reply names the protocol of the published schema.
    joined = await interpreter.join(device="booth laptop")
    assert joined["data"]["protocol"] == protocol and joined["data"]["rejoined"] is False
    await partner.join(muted={"audio": True, "video": True})
    await company.join(device="booth 3", muted={"audio": False, "video": False})
    await buyer.join()
    joined = await organiser.join(device="console")
    assert joined["data"]["muted"]["partner"] == {"audio": True, "video": True}
    presence = await interpreter.signal.wait_for(
        lambda m: m["type"] == "presence" and m["seat"] == "partner"
    )
    assert presence["muted"] == {"audio": True, "video": True}
    await wait_for(lambda: company.frames_from("buyer") >= 10, TIMEOUT, "company sees buyer")
    await wait_for(lambda: buyer.frames_from("company") >= 10, TIMEOUT, "buyer sees company")

    # Consecutive mode: the floor marker, chat on both lines, mute, pause and resume.
    await _ok(interpreter, "floor", floor="company")
    await _ok(company, "chat", text="샘플은 받으셨나요?")
    await _ok(partner, "chat", text="Take over after this answer?", to="team")
    await _ok(buyer, "mute", kind="video", muted=True)
    await _ok(buyer, "mute", kind="video", muted=False)
    await _ok(buyer, "pause", seat="company", kind="video")
    await _ok(buyer, "resume", seat="company", kind="video")
    await _ok(partner, "mute", kind="audio", muted=False)
    await _ok(company, "ping")

    # The back-channel: a new send line at the interpreter, a receive line at the partner only.
    await _ok(interpreter, "publish", kind="audio", source="back_channel")
    await wait_for(
        lambda: _line(partner, "interpreter", "back_channel") is not None, TIMEOUT, "back line"
    )
    back = _line(partner, "interpreter", "back_channel")
    assert back is not None
    await wait_for(
        lambda: any(
            partner.media.packets.get(track_id, 0) > 20
            for track_id, mid in partner.media.mid_of.items()
            if mid == back["mid"]
        ),
        TIMEOUT,
        "the partner receives the back-channel",
    )
    assert _line(company, "interpreter", "back_channel") is None

    # Simultaneous: a direction, the listeners' choices, then a handover and a request.
    await _ok(interpreter, "interpretation", mode="simultaneous")
    await _ok(interpreter, "direction", channel="en")
    await _ok(buyer, "listen", channel="en", floor_level=0.2)
    await _ok(company, "listen", channel="ko", fallback=False)
    await _ok(interpreter, "listen", channel=None, back_channel=True)
    await buyer.signal.wait_for(
        lambda m: m["type"] == "routing" and any(feed["layer"] == "channel" for feed in m["feeds"]),
        what="the buyer's channel feed",
    )
    await _ok(interpreter, "handover", channel="en", action="hand_over")
    await _state(buyer, lambda m: m["live"].get("en") == "partner", "en live: partner")
    await _ok(partner, "handover", channel="ko", action="request")
    await _ok(interpreter, "handover", channel="ko", action="accept")
    await _state(buyer, lambda m: m["live"].get("ko") == "partner", "ko live: partner")

    # Refusals keep the connection: a wrong seat, an invalid message, a stale answer.
    await _refused(company, "floor", "permission_denied", floor="buyer")
    await _refused(company, "direction", "permission_denied", channel="en")
    await _refused(buyer, "listen", "not_found", channel="xx")
    for invalid in (
        {"type": "chat", "id": "invalid-1"},
        {"type": "answer", "id": "invalid-2", "sdp": ""},
        {"type": "mute", "id": "invalid-3", "kind": "screen", "muted": True},
    ):
        await company.signal.send(invalid)
        refusal = await company.signal.wait_for(lambda m, i=invalid: m.get("id") == i["id"])
        assert refusal["code"] == "invalid_message" and refusal["details"]["problems"]
    await _refused(buyer, "answer", "invalid_state", sdp="v=0")  # no such offer waiting
    await _refused(buyer, "publish", "invalid_state", kind="video", source="back_channel")

    # A screen beside the camera: every other seat gets a `screen` line of the company's.
    await _ok(company, "publish", kind="video", source="screen")
    for other in (buyer, interpreter, partner, organiser):
        await wait_for(
            lambda other=other: _line(other, "company", "screen") is not None,  # type: ignore[misc]
            TIMEOUT,
            f"{other.name} gets the screen line",
        )
    await _ok(company, "unpublish", kind="video", source="screen")

    # The organiser speaks, then goes back to listening.
    await _ok(organiser, "publish", kind="audio")
    await company.signal.wait_for(
        lambda m: m["type"] == "routing" and any(f["seat"] == "organiser" for f in m["feeds"]),
        what="the organiser in the company's routing",
    )
    await _ok(organiser, "unpublish", kind="audio")

    # The buyer's network drops and comes back; the interpreter's seat is taken over by
    # another device (the first one is told why, in an error without id, and closed).
    await buyer.close()
    again = seat("buyer#2", token_of="buyer")
    joined = await again.join()
    assert joined["data"]["rejoined"] is True
    await wait_for(lambda: company.frames_from("buyer") >= 10, TIMEOUT, "buyer is back")
    takeover = seat("interpreter#2", token_of="interpreter", video=False, decode=False)
    await takeover.join(device="second laptop")
    assert (await interpreter.signal.wait_closed())[0] == 4009
    assert interpreter.signal.of_type("error")[-1]["code"] == "seat_taken"

    # The partner leaves; the slot's end warning; the organiser extends; the slot ends.
    await _ok(partner, "leave")
    await company.signal.wait_for(
        lambda m: m["type"] == "presence" and m["seat"] == "partner" and m["state"] == "left"
    )
    await live_server.clock.advance(timedelta(minutes=28, seconds=30))
    await company.signal.wait_for(lambda m: m["type"] == "slot_timer" and m["warning"])
    response = await live_server.http.post(
        f"/api/v1/meetings/{rows.meeting_id}/room/extend", json={"minutes": 5}
    )
    assert response.status_code == 200
    await live_server.clock.advance(timedelta(minutes=10))
    for client in (company, again, takeover, organiser):
        assert (await client.signal.wait_closed())[0] == 4012

    assert contract.problems == [], "\n".join(contract.problems[:20])
    # Every kind of server message was seen, and checked.
    assert server_types == {"Response", "Error", "Offer", "Presence", "MuteState", "Speaking",
                            "ActiveSpeaker", "ChatMessage", "SlotTimer", "RoomState",
                            "InterpretationState", "Routing"}  # fmt: skip
    seen = set(contract.received)
    assert seen >= {
        "response", "error", "offer", "presence", "mute_state", "speaking", "active_speaker",
        "chat", "slot_timer", "room_state", "interpretation_state", "routing",
    }, seen  # fmt: skip
    assert sum(contract.received.values()) > 200
    print(f"validated {sum(contract.received.values())} server messages: {dict(contract.received)}")
    print(f"validated {sum(contract.sent.values())} client messages: {dict(contract.sent)}")
