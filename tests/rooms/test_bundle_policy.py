"""What is true about max-bundle for aiortc clients (docs/rtc.md, docs/signalling.md).

aiortc's default "balanced" policy gives a new video m-line the transport of the first video
m-line; if both are created by the same offer, BUNDLE then stops that transport and the
second video never flows. The seat signalling never offers that: a connection's first offer
has exactly one audio and one video m-line, and everything else comes in later offers, when
BUNDLE has already put every m-line on the first transport. So a balanced aiortc client
receives every m-line of a meeting; the same client on an rtc/ room that puts several videos
in its first offer (auto-subscribe) loses all but one of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aioice.ice
import pytest
from aiortc import RTCBundlePolicy

from app.meetings.models import Meeting
from app.rooms import service
from rooms.links import LinkSigner
from rtc import RelayConfig, RelayRegistry
from tests.media.client import LoopbackClient
from tests.rooms.client import MediaSeat
from tests.rooms.conftest import LiveServer, create_meeting
from tests.waiting import wait_for

TIMEOUT = 20.0
PACKETS = 30


@pytest.fixture
async def made() -> AsyncIterator[list[Any]]:
    things: list[Any] = []
    yield things
    await asyncio.gather(*(thing.close() for thing in reversed(things)), return_exceptions=True)


def _packets_by_mid(client: LoopbackClient) -> dict[str, int]:
    return {str(client.mid_of[track_id]): n for track_id, n in client.packets.items()}


async def test_a_balanced_aiortc_seat_receives_every_line_of_a_meeting(
    live_server: LiveServer, made: list[Any]
) -> None:
    rows = await create_meeting(live_server, partner=True, language_pair="ko-en")
    signer: LinkSigner = live_server.app.state.link_signer
    async with live_server.sessionmaker() as session, session.begin():
        meeting = await session.get(Meeting, rows.meeting_id)
        assert meeting is not None
        tokens = {}
        for seat in service.seats_of(meeting):
            link = await service.issue_link(
                session=session,
                meeting=meeting,
                seat=seat,
                expires_at=meeting.ends_at,
                now=live_server.clock.now(),
            )
            tokens[seat.value] = signer.sign(service.claims_of(link))

    def seat(name: str, **kwargs: Any) -> MediaSeat:
        client = MediaSeat(
            live_server.ws_url, rows.meeting_id, tokens[name], name=name, decode=False, **kwargs
        )
        made.append(client)
        return client

    company, buyer = seat("company"), seat("buyer", tone_hz=660.0)
    interpreter = seat("interpreter", tone_hz=880.0, video=False, back_channel_hz=1230.0)
    partner = seat("partner", tone_hz=990.0, bundle_policy=RTCBundlePolicy.BALANCED)
    for client in (company, buyer, interpreter):
        await client.join()
    await interpreter.signal.request("publish", kind="audio", source="back_channel")
    await partner.join()

    # Six lines to receive: the company's and the buyer's audio and video, the interpreter's
    # microphone and back-channel; two videos arrive in one offer.
    def receiving() -> dict[str, int]:
        packets = _packets_by_mid(partner.media)
        lines = [line for line in partner.lines.values() if line["direction"] == "receive"]
        return {f"{x['seat']}.{x['source']}": packets.get(x["mid"], 0) for x in lines}

    try:
        await wait_for(
            lambda: len(receiving()) == 6 and min(receiving().values()) >= PACKETS,
            TIMEOUT,
            "every line at the balanced partner",
        )
    except AssertionError:
        raise AssertionError(f"the partner receives {receiving()}; {partner.describe()}") from None
    # What makes it work: each connection's first offer has one audio and one video line.
    for client in (company, buyer, interpreter, partner):
        first = client.signal.of_type("offer")[0]
        assert sorted(line["kind"] for line in first["tracks"]) == ["audio", "video"]


async def test_balanced_loses_a_second_video_created_by_the_same_offer(
    made: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The aiortc fact itself, on an rtc/ room whose first offer to a subscriber carries two
    publishers' videos (auto-subscribe): a max-bundle subscriber gets both, a balanced one
    only the first, the second sitting on a transport BUNDLE stopped."""
    # One process on loaded cores: consent expiry (RFC 7675) is not what this is about.
    monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 1000)
    registry = RelayRegistry(RelayConfig(ice_host_addresses=["127.0.0.1"]))
    made.append(registry)
    room = registry.create_room("bundle", auto_subscribe=True)

    def client(name: str, **kwargs: Any) -> LoopbackClient:
        made_client = LoopbackClient(name, decode=False, **kwargs)
        made.append(made_client)
        return made_client

    for name, tone in (("pub-a", 440.0), ("pub-b", 660.0)):
        publisher = client(name, tone_hz=tone)
        peer = room.add_peer(name, publisher)
        publisher.connect(peer.handle_answer)
    await wait_for(
        lambda: sum(1 for t in room.tracks.values() if t.kind == "video") == 2,
        TIMEOUT,
        "two published videos",
    )
    subscribers = {
        policy: client(f"sub-{policy.value}", publish=[], bundle_policy=policy)
        for policy in (RTCBundlePolicy.MAX_BUNDLE, RTCBundlePolicy.BALANCED)
    }
    for subscriber in subscribers.values():
        peer = room.add_peer(subscriber.name, subscriber, publish=())
        subscriber.connect(peer.handle_answer)

    def videos(subscriber: LoopbackClient) -> list[int]:
        return [
            subscriber.packets.get(str(t.receiver.track.id), 0)
            for t in subscriber.pc.getTransceivers()
            if t.kind == "video" and t.receiver.track is not None
        ]

    max_bundle = subscribers[RTCBundlePolicy.MAX_BUNDLE]
    balanced = subscribers[RTCBundlePolicy.BALANCED]
    await wait_for(
        lambda: len(videos(max_bundle)) == 2 and min(videos(max_bundle)) >= 2 * PACKETS,
        TIMEOUT,
        "both videos at the max-bundle subscriber",
    )
    await wait_for(
        lambda: len(videos(balanced)) == 2 and max(videos(balanced)) >= 2 * PACKETS,
        TIMEOUT,
        "the first video at the balanced subscriber",
    )
    # As many packets reached the max-bundle twin meanwhile; the balanced one got none.
    assert sorted(videos(balanced))[0] == 0, videos(balanced)
    stuck = [
        t
        for t in balanced.pc.getTransceivers()
        if t.kind == "video" and balanced.packets.get(str(t.receiver.track.id), 0) == 0
    ]
    # It sits on a transport of its own that never started, apart from the bundled one.
    bundled = {id(t.receiver.transport) for t in balanced.pc.getTransceivers() if t not in stuck}
    assert len(stuck) == 1 and len(bundled) == 1
    assert id(stuck[0].receiver.transport) not in bundled
    assert stuck[0].receiver.transport.state == "new"
