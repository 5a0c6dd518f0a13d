"""Media relay: a packet-forwarding WebRTC SFU on aiortc. Knows nothing of HTTP or the database.

registry -> room -> peer -> published track -> subscription (see docs/rtc.md).
"""

from .compat import check_aiortc
from .config import RelayConfig
from .errors import (
    IncompatibleAiortc,
    NegotiationError,
    PeerClosed,
    PeerExists,
    RoomClosed,
    RoomExists,
    RtcError,
    UnknownPeer,
    UnknownRoom,
    UnknownTrack,
)
from .events import CloseReason, RelayListener, SignalSink
from .ice import apply_host_addresses
from .peer import Peer
from .registry import Relay, RelayRegistry
from .room import Room
from .stats import PeerStats, SubscriptionStats, TrackStats
from .subscription import Subscription
from .track import PublishedTrack

__all__ = [
    "CloseReason",
    "IncompatibleAiortc",
    "NegotiationError",
    "Peer",
    "PeerClosed",
    "PeerExists",
    "PeerStats",
    "PublishedTrack",
    "Relay",
    "RelayConfig",
    "RelayListener",
    "RelayRegistry",
    "Room",
    "RoomClosed",
    "RoomExists",
    "RtcError",
    "SignalSink",
    "Subscription",
    "SubscriptionStats",
    "TrackStats",
    "UnknownPeer",
    "UnknownRoom",
    "UnknownTrack",
    "apply_host_addresses",
    "check_aiortc",
]
