"""How the relay talks to the outside: close reasons, the signalling sink, the listener."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .peer import Peer
    from .room import Room
    from .subscription import Subscription
    from .track import PublishedTrack


class CloseReason(enum.Enum):
    """Why a room, peer, track or subscription closed (LiveKit ParticipantCloseReason)."""

    CLIENT_LEFT = "client_left"
    ROOM_CLOSED = "room_closed"
    RELAY_CLOSED = "relay_closed"
    PUBLISHER_CLOSED = "publisher_closed"
    SUBSCRIBER_CLOSED = "subscriber_closed"
    UNPUBLISHED = "unpublished"
    UNSUBSCRIBED = "unsubscribed"
    REPLACED = "replaced"  # a subscription whose m-line now carries the publisher's successor
    ICE_FAILED = "ice_failed"
    CONNECTION_CLOSED = "connection_closed"  # the client's DTLS ended, or ICE consent expired
    SIGNALLING_FAILED = "signalling_failed"
    ERROR = "error"


class SignalSink(Protocol):
    """Where a peer's offers go; the caller forwards them to the client (websocket).

    Messages: ``{"type": "offer", "sdp": str, "mids": {mid: {...}}}`` where ``mids`` says
    what each m-line carries: ``{"direction": "publish", "kind", "label", "track_id"}``
    for what the client sends, ``{"direction": "subscribe", "kind", "track_id",
    "peer_id", "label", "metadata"}`` for what it receives, or ``{"direction":
    "inactive", "kind"}``. The client's answer comes back through ``Peer.handle_answer``
    and its trickled candidates through ``Peer.add_ice_candidate``.
    """

    async def send(self, message: dict[str, Any]) -> None: ...


class RelayListener:
    """Callbacks from a room; subclass and override what you need (all default to no-op).

    Callbacks run on the event loop inside the media path: keep them short and never block.
    """

    def on_track_published(self, track: PublishedTrack) -> None:
        pass

    def on_track_unpublished(self, track: PublishedTrack, reason: CloseReason) -> None:
        pass

    def on_peer_closed(self, peer: Peer, reason: CloseReason) -> None:
        pass

    def on_connection_state(self, peer: Peer, state: str) -> None:
        pass

    def on_audio_level(self, track: PublishedTrack, level_dbov: float) -> None:
        pass

    def on_speaking_changed(self, track: PublishedTrack, speaking: bool) -> None:
        pass

    def on_active_speaker(self, room: Room, peer_id: str | None) -> None:
        pass

    def on_subscription_switched(
        self, subscription: Subscription, previous: PublishedTrack
    ) -> None:
        """A subscriber's m-line carries `subscription.track` now instead of `previous`."""
        pass
