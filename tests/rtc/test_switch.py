"""A switch's rule, without media: the m-line changes over at the new track's first keyframe
that is in order (any packet for audio), in one step, and never before."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rtc.events import CloseReason
from rtc.switch import Switch

KEYFRAME = bytes([0x10, 0x00, 0x9D, 0x01, 0x2A])  # VP8 descriptor S=1 PID=0, then P=0
DELTA = bytes([0x10, 0x01, 0x00])  # P=1: an interframe
MIDDLE = bytes([0x00, 0x00, 0x00])  # not the start of a partition


@dataclass
class Packet:
    sequence_number: int
    payload: bytes


@dataclass
class Track:
    kind: str
    id: str = "buyer-2.1"
    closed: bool = False
    forwarders: list[Any] = field(default_factory=list)
    keyframe_requests: int = 0
    removed: list[Any] = field(default_factory=list)

    def _add_forwarder(self, forwarder: Any) -> None:
        self.forwarders.append(forwarder)

    def _replace_forwarder(self, old: Any, new: Any) -> None:
        self.forwarders = [new if f is old else f for f in self.forwarders]

    def _remove_forwarder(self, forwarder: Any) -> None:
        self.forwarders.remove(forwarder)

    def _remove_subscription(self, subscription: Any) -> None:
        self.removed.append(subscription)

    def request_keyframe(self) -> bool:
        self.keyframe_requests += 1
        return True


@dataclass
class Sub:
    track: Track
    kind: str
    id: str = "sub"
    egress: Any = None
    closed: bool = False
    reason: CloseReason | None = None

    def close(self, reason: CloseReason) -> None:
        self.closed, self.reason = True, reason


@dataclass
class Egress:
    bound: Any = None
    forwarded: list[int] = field(default_factory=list)

    def bind(self, subscription: Any) -> None:
        self.bound = subscription

    def forward(self, packet: Packet, ntp: int) -> None:
        self.forwarded.append(packet.sequence_number)


@dataclass
class Room:
    id: str = "room"


@dataclass
class Peer:
    id: str = "buyer-1"
    room: Room = field(default_factory=Room)
    done: list[Switch] = field(default_factory=list)

    def _switch_done(self, switch: Switch) -> None:
        self.done.append(switch)


def _switch(kind: str) -> tuple[Switch, Track, Track, Egress, Sub, Sub, Peer]:
    old_track, new_track, egress, peer = Track(kind), Track(kind), Egress(), Peer()
    old = Sub(old_track, kind, egress=egress)
    new = Sub(new_track, kind, egress=egress)
    egress.bound = old
    switch = Switch(peer, egress, old, new)  # type: ignore[arg-type]
    switch.start()
    return switch, old_track, new_track, egress, old, new, peer


def test_video_changes_over_at_the_first_keyframe_start_in_order() -> None:
    switch, old_track, new_track, egress, old, new, peer = _switch("video")
    assert new_track.forwarders == [switch] and new_track.keyframe_requests == 1
    for seq, payload in ((100, DELTA), (101, MIDDLE), (103, DELTA)):
        switch.forward(Packet(seq, payload), 0)  # type: ignore[arg-type]
    assert egress.bound is old and egress.forwarded == [] and not peer.done
    assert new_track.keyframe_requests == 4
    # A keyframe's start that comes late (a retransmission: its frame went by unforwarded).
    switch.forward(Packet(102, KEYFRAME), 0)  # type: ignore[arg-type]
    assert egress.bound is old and not switch.done
    switch.forward(Packet(104, KEYFRAME), 0)  # type: ignore[arg-type]
    assert switch.done and egress.bound is new and egress.forwarded == [104]
    assert new_track.forwarders == [egress]  # the egress itself from now on
    assert old_track.removed == [old] and old.egress is None
    assert (old.closed, old.reason) == (True, CloseReason.REPLACED)
    assert peer.done == [switch]
    switch.forward(Packet(105, DELTA), 0)  # type: ignore[arg-type]
    assert egress.forwarded == [104]  # the egress gets the track's packets directly now


def test_audio_changes_over_at_its_first_packet_and_a_cancel_leaves_the_old_one() -> None:
    switch, _, _, egress, old, new, _ = _switch("audio")
    switch.forward(Packet(7, b"\x01\x02"), 0)  # type: ignore[arg-type]
    assert egress.bound is new and egress.forwarded == [7] and old.closed

    switch, _, new_track, egress, old, _, peer = _switch("video")
    switch.cancel()
    assert new_track.forwarders == [] and egress.bound is old and not old.closed
    switch.forward(Packet(1, KEYFRAME), 0)  # type: ignore[arg-type]
    assert egress.bound is old and not peer.done
