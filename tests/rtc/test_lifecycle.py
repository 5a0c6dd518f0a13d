"""Closing cascades with reasons, idempotent and once; errors say what happened."""

from __future__ import annotations

import pytest

import rtc.compat
from rtc import (
    CloseReason,
    IncompatibleAiortc,
    NegotiationError,
    PeerClosed,
    PeerExists,
    PublishedTrack,
    RelayListener,
    RelayRegistry,
    RoomClosed,
    RoomExists,
    UnknownRoom,
    UnknownTrack,
)
from rtc.peer import Peer
from tests.media import ToneAudioTrack, wait_for

from .conftest import ClientFactory, join


class Events(RelayListener):
    def __init__(self) -> None:
        self.peers_closed: list[tuple[str, CloseReason]] = []
        self.unpublished: list[tuple[str, CloseReason]] = []

    def on_peer_closed(self, peer: Peer, reason: CloseReason) -> None:
        self.peers_closed.append((peer.id, reason))

    def on_track_unpublished(self, track: PublishedTrack, reason: CloseReason) -> None:
        self.unpublished.append((track.id, reason))


async def test_room_close_cascades_once_with_reasons(
    registry: RelayRegistry, clients: ClientFactory
) -> None:
    events = Events()
    room = registry.create_room("r", listener=events)
    peers = [
        join(room, clients(name, publish=[ToneAudioTrack()]), publish=("audio",))
        for name in ("a", "b")
    ]
    await wait_for(
        lambda: all(
            len(p.subscriptions) == 1 and p.subscriptions[next(iter(p.subscriptions))].active
            for p in peers
        ),
        15,
        what="a and b subscribed to each other",
    )
    subscriptions = [s for p in peers for s in p.subscriptions.values()]
    tracks = list(room.tracks.values())

    await room.close()
    await room.close()
    await peers[0].close()
    assert sorted(events.peers_closed) == [
        ("a", CloseReason.ROOM_CLOSED),
        ("b", CloseReason.ROOM_CLOSED),
    ]
    assert [r for _, r in events.unpublished] == [CloseReason.PUBLISHER_CLOSED] * 2
    assert all(t.closed and t.close_reason == CloseReason.PUBLISHER_CLOSED for t in tracks)
    # each subscription closed by one of its parents; none by a user
    assert all(
        s.closed and s.close_reason in (CloseReason.PUBLISHER_CLOSED, CloseReason.SUBSCRIBER_CLOSED)
        for s in subscriptions
    )
    assert room.closed and not room.peers and not room.tracks
    assert "r" not in registry.rooms
    with pytest.raises(UnknownRoom):
        registry.get_room("r")
    with pytest.raises(RoomClosed):
        room.add_peer("c", clients("c"))
    with pytest.raises(PeerClosed):
        await peers[0].handle_answer("v=0")


async def test_unpublish_closes_subscriptions_and_the_subscriber_renegotiates(
    registry: RelayRegistry, clients: ClientFactory
) -> None:
    events = Events()
    room = registry.create_room("r", listener=events)
    publisher = join(room, clients("pub", publish=[ToneAudioTrack()]), publish=("audio",))
    listener_client = clients("sub", publish=[])
    listener = join(room, listener_client, publish=())
    await wait_for(lambda: any(s.active for s in listener.subscriptions.values()), 15)
    (subscription,) = listener.subscriptions.values()
    offers = listener_client.offers

    subscription.track.close()
    assert subscription.closed and subscription.close_reason == CloseReason.PUBLISHER_CLOSED
    assert events.unpublished == [(subscription.track.id, CloseReason.UNPUBLISHED)]
    assert not room.tracks and not listener.subscriptions
    await wait_for(
        lambda: listener_client.offers > offers and not listener.negotiating,
        10,
        what="the subscriber's renegotiation",
    )
    assert listener.pc.getTransceivers()[0].direction == "inactive"
    assert publisher.closed is False


async def test_errors_name_what_happened(registry: RelayRegistry, clients: ClientFactory) -> None:
    room = registry.create_room("r")
    with pytest.raises(RoomExists):
        registry.create_room("r")
    peer = join(room, clients("a", publish=[ToneAudioTrack()]), publish=("audio",))
    with pytest.raises(PeerExists):
        room.add_peer("a", clients("a2"))
    with pytest.raises(UnknownTrack):
        room.set_subscriptions("a", ["nope"])
    await wait_for(lambda: not peer.negotiating, 10, what="negotiated")
    with pytest.raises(NegotiationError):
        await peer.handle_answer("v=0")  # no offer in flight


async def test_startup_check_refuses_another_aiortc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rtc.compat, "version", lambda name: "1.17.0")
    with pytest.raises(IncompatibleAiortc, match="1.17.0"):
        RelayRegistry()
    monkeypatch.setattr(rtc.compat, "version", lambda name: "1.16.0")
    monkeypatch.setattr(rtc.compat, "SENDER_ATTRIBUTES", ("_RTCRtpSender__gone",))
    with pytest.raises(IncompatibleAiortc, match="__gone"):
        RelayRegistry()
