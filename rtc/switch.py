"""A switch: one subscriber's m-line re-pointed from a track to its publisher's successor.

When a seat comes back on a new connection, the others keep their m-lines: each one that
carried the old track is given the new track instead (`Peer.switch_subscription`). The
old subscription goes on forwarding (or, if its track is already gone, the m-line stays
idle) until the new track's first keyframe (video) or first packet (audio) comes through
here; then the egress is bound to the new subscription in one step, so the subscriber never
has neither track. The switch sits in the new track's fan-out in place of the egress until
then, so the per-packet path of every other track is untouched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .events import CloseReason
from .rtp import is_vp8_keyframe_start

if TYPE_CHECKING:
    from .egress import Egress
    from .ingress import AnyRtpPacket
    from .peer import Peer
    from .subscription import Subscription

logger = logging.getLogger(__name__)


class Switch:
    """Moves `egress` from `old` to `new` at the new track's first usable packet."""

    # The fan-out reads this of every entry (the minimum REMB upstream): a switch has none.
    remb_bps: int | None = None

    def __init__(self, peer: Peer, egress: Egress, old: Subscription, new: Subscription) -> None:
        self.peer = peer
        self.egress = egress
        self.old = old
        self.new = new
        self.done = False
        self.cancelled = False
        self._newest: int | None = None  # the newest sequence number seen of the new track

    def __repr__(self) -> str:
        return f"Switch({self.old.id!r} -> {self.new.id!r})"

    def start(self) -> None:
        self.new.track._add_forwarder(self)
        self.new.track.request_keyframe()

    def forward(self, packet: AnyRtpPacket, ntp: int) -> None:
        """A packet of the new track: the first keyframe (any packet, for audio) switches.
        `ntp`: as `Egress.forward`'s."""
        if self.done or self.cancelled:
            return
        seq = packet.sequence_number
        newest = self._newest
        in_order = newest is None or not (seq - newest) & 0x8000
        if in_order:
            self._newest = seq
        if self.new.kind == "video" and not (in_order and is_vp8_keyframe_start(packet.payload)):
            # Not a keyframe's start, or a late one (a retransmission, after the rest of its
            # frame went by unforwarded): wait for the next, and ask for it.
            self.new.track.request_keyframe()  # rate-limited by the track
            return
        self._complete()
        self.egress.forward(packet, ntp)

    def _complete(self) -> None:
        self.done = True
        old, new, egress = self.old, self.new, self.egress
        new.track._replace_forwarder(self, egress)
        if not old.closed:
            # Stop the old track's packets first, then let the old subscription go without
            # freeing the m-line: the egress is the new subscription's now.
            old.track._remove_subscription(old)
            old.egress = None
        egress.bind(new)
        if not old.closed:
            old.close(CloseReason.REPLACED)
        logger.info("room %s: %s switched to %s", self.peer.room.id, self.peer.id, new.track.id)
        self.peer._switch_done(self)

    def cancel(self) -> None:
        """The new subscription went away first: the m-line stays with the old one."""
        if self.done or self.cancelled:
            return
        self.cancelled = True
        self.new.track._remove_forwarder(self)
