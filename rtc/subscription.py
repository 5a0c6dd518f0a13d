"""A subscription: one published track forwarded to one peer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from .events import CloseReason
from .stats import SubscriptionStats

if TYPE_CHECKING:
    from .egress import Egress
    from .peer import Peer
    from .track import PublishedTrack

logger = logging.getLogger(__name__)

DropPredicate = Callable[[int], bool]


class Subscription:
    """Forwards `track` to `peer` once the peer's negotiation gave it a send-only transceiver.

    `pause()`/`resume()` stop and restart forwarding without renegotiation (a seat turns a
    video off); resuming video waits for a keyframe and asks the publisher for one.
    `drop` is a test hook: a predicate on the outgoing sequence number that discards the
    packet after it entered the retransmission history (simulated loss on the last hop).

    `hold`: when the publishing peer closes (not an unpublish), the subscription stays open
    and keeps its m-line, idle (`orphaned`), for the caller to switch to the publisher's
    successor (`Peer.switch_subscription`) or to close; without it, it closes with the track.
    """

    def __init__(self, track: PublishedTrack, peer: Peer) -> None:
        self.track = track
        self.peer = peer
        self.id = f"{peer.id}<-{track.id}"
        self.kind = track.kind
        self.paused = False
        self.hold = False
        self.drop: DropPredicate | None = None
        self.egress: Egress | None = None
        self.closed = False
        self.close_reason: CloseReason | None = None
        self.stats = SubscriptionStats(track_id=track.id, subscriber_id=peer.id, kind=track.kind)

    def __repr__(self) -> str:
        return f"Subscription({self.id!r})"

    @property
    def active(self) -> bool:
        """True once negotiated and bound: packets flow (unless paused)."""
        return not self.closed and self.egress is not None and self.egress.subscription is self

    @property
    def orphaned(self) -> bool:
        """Open and holding its m-line, but its track is gone (see `hold`)."""
        return not self.closed and self.track.closed

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        if not self.paused:
            return
        self.paused = False
        if self.egress is not None and self.egress.subscription is self:
            self.egress.restart()
            self.track.request_keyframe()

    def close(self, reason: CloseReason = CloseReason.UNSUBSCRIBED) -> None:
        """Stop forwarding; the subscriber's transceiver is freed for reuse. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        logger.debug("subscription %s closed (%s)", self.id, reason.value)
        self.track._remove_subscription(self)
        self.peer._subscription_closed(self)

    def _publisher_closed(self, reason: CloseReason = CloseReason.PUBLISHER_CLOSED) -> None:
        """Parent path: the published track went away. A held, forwarding subscription
        stays (orphaned) when the track went with its peer."""
        if self.hold and reason is CloseReason.PUBLISHER_CLOSED and self.active:
            logger.debug("subscription %s held after its publisher closed", self.id)
            return
        self.close(CloseReason.PUBLISHER_CLOSED)

    def _subscriber_closed(self) -> None:
        """Parent path: the subscribing peer is closing."""
        self.close(CloseReason.SUBSCRIBER_CLOSED)
