"""A peer: one seat's RTCPeerConnection; the server makes every offer, one at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiortc import (
    RTCIceCandidate,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
    sdp,
)
from aiortc.sdp import candidate_from_sdp

from .codecs import prefer_relay_codecs
from .config import RelayConfig
from .egress import Egress, IdleTrack
from .errors import NegotiationError, PeerClosed, RtcError
from .events import CloseReason, RelayListener, SignalSink
from .ice import announce_address, drop_mdns_candidates, is_mdns_candidate, rtc_configuration
from .ingress import Ingress, install_fast_path
from .stats import PeerStats
from .subscription import Subscription
from .switch import Switch
from .track import PublishedTrack

if TYPE_CHECKING:
    from .room import Room

logger = logging.getLogger(__name__)


@dataclass
class _PublishSlot:
    """A recvonly transceiver the server offered for the peer to publish into."""

    kind: str
    label: str | None
    metadata: dict[str, Any] | None
    transceiver: RTCRtpTransceiver | None = None
    ingress: Ingress | None = None
    track: PublishedTrack | None = None
    pending_close: bool = field(default=False)


class Peer:
    """One peer in a room: publishes tracks through recvonly transceivers and receives its
    subscriptions through sendonly ones, all on one RTCPeerConnection.

    Every change (publish slot, subscription) is applied at the start of the next offer;
    while an offer waits for its answer, further changes queue up for the one after.
    """

    def __init__(
        self,
        room: Room,
        peer_id: str,
        signal_sink: SignalSink,
        config: RelayConfig,
        *,
        listener: RelayListener | None = None,
    ) -> None:
        self.id = peer_id
        self.room = room
        self.tracks: dict[str, PublishedTrack] = {}
        self.subscriptions: dict[str, Subscription] = {}  # by published track id
        self.closed = False
        self.close_reason: CloseReason | None = None
        self.listener = listener
        self._sink = signal_sink
        self._config = config
        self._pc = RTCPeerConnection(configuration=rtc_configuration(config))
        self._pc.on("connectionstatechange", self._on_connection_state_change)
        self._slots: list[_PublishSlot] = []
        self._egresses: list[Egress] = []
        self._switches: dict[Egress, Switch] = {}  # m-lines taking over a successor track
        self._offer_in_flight = False
        self._negotiating = False
        self._negotiation_needed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Future[None] | None = None
        self._fast_ingresses: dict[int, Ingress] = {}
        self._fast_path_installed = False

    def __repr__(self) -> str:
        return f"Peer({self.id!r}, room={self.room.id!r})"

    @property
    def connection_state(self) -> str:
        return str(self._pc.connectionState)

    @property
    def pc(self) -> RTCPeerConnection:
        """The underlying RTCPeerConnection (for diagnostics and tests; do not renegotiate)."""
        return self._pc

    @property
    def negotiating(self) -> bool:
        """True while an offer is being made or waits for its answer, or one is queued."""
        return self._negotiating or self._offer_in_flight or self._negotiation_needed

    # --- what the caller asks for --------------------------------------------------------

    def publish(
        self, kind: str, *, label: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        """Offer the peer one more track to publish (e.g. a screen share, an interpreter
        channel); it becomes a PublishedTrack when the peer's answer sends on it."""
        self._check_open()
        if kind not in ("audio", "video"):
            raise RtcError(f"cannot publish a {kind!r} track")
        for slot in self._slots:
            if slot.kind == kind and slot.label == label and not slot.pending_close:
                if slot.track is None:
                    # Offered before and left unused (or not answered yet): offer it again
                    # rather than add a second m-line for the same thing.
                    self._schedule_negotiation()
                return
        self._slots.append(_PublishSlot(kind=kind, label=label, metadata=metadata))
        self._schedule_negotiation()

    def subscribe(self, track: PublishedTrack, *, hold: bool = False) -> Subscription:
        """Forward `track` to this peer (renegotiates); returns the existing one if any.
        `hold`: keep the m-line when the track's peer closes (see `Subscription.hold`)."""
        self._check_open()
        if track.closed:
            raise RtcError(f"track {track.id} is closed")
        if track.peer is self:
            raise RtcError(f"peer {self.id} cannot subscribe to its own track {track.id}")
        existing = self.subscriptions.get(track.id)
        if existing is not None:
            return existing
        subscription = Subscription(track, self)
        subscription.hold = hold
        self.subscriptions[track.id] = subscription
        track._add_subscription(subscription)
        logger.info("room %s: peer %s subscribes to %s", self.room.id, self.id, track.id)
        self._schedule_negotiation()
        return subscription

    def switch_subscription(self, track_id: str, track: PublishedTrack) -> Subscription:
        """Carry `track` on the m-line that carries `track_id` now: a publisher's new
        connection taking over from its old one. The m-line keeps its mid; one renegotiation
        relabels it (msid); the old track goes on being forwarded, or the m-line stays idle
        if that track is gone, until the new one's first keyframe (first packet for audio),
        so the subscriber never has neither (rtc/switch.py). Without a subscription to
        `track_id`, the same as `subscribe`."""
        self._check_open()
        old = self.subscriptions.get(track_id)
        existing = self.subscriptions.get(track.id)
        if existing is not None:
            return existing
        if old is None:
            return self.subscribe(track)
        if old.kind != track.kind:
            raise RtcError(f"cannot switch {old.kind} {track_id} to {track.kind} {track.id}")
        if track.closed:
            raise RtcError(f"track {track.id} is closed")
        egress = old.egress
        if egress is None or egress.subscription is not old or egress in self._switches:
            # Not forwarding yet (its offer is still out), or already switching: the new
            # subscription takes the next free m-line of its kind (the same one, usually).
            old.close(CloseReason.REPLACED)
            return self.subscribe(track, hold=old.hold)
        new = Subscription(track, self)
        new.hold = old.hold
        new.paused = old.paused
        new.egress = egress  # claimed: no other transceiver is made for it
        self.subscriptions[track.id] = new
        track._add_subscription(new)
        switch = Switch(self, egress, old, new)
        self._switches[egress] = switch
        sender: Any = egress.sender
        sender._track_id = track.id
        sender._stream_id = track.peer.id
        logger.info(
            "room %s: peer %s switches %s to %s", self.room.id, self.id, track_id, track.id
        )
        switch.start()
        self._schedule_negotiation()
        return new

    def unsubscribe(self, track_id: str) -> None:
        subscription = self.subscriptions.get(track_id)
        if subscription is not None:
            subscription.close(CloseReason.UNSUBSCRIBED)

    async def handle_answer(self, sdp: str) -> None:
        """Apply the client's answer to the offer in flight, then make any queued offer."""
        self._check_open()
        if not self._offer_in_flight:
            raise NegotiationError(f"peer {self.id}: an answer came with no offer in flight")
        try:
            await self._pc.setRemoteDescription(
                RTCSessionDescription(sdp=drop_mdns_candidates(sdp), type="answer")
            )
        except Exception as exc:
            raise NegotiationError(f"peer {self.id}: the answer was refused: {exc}") from exc
        finally:
            self._offer_in_flight = False
        self._after_answer()
        if self._negotiation_needed:
            self._schedule_negotiation()

    async def add_ice_candidate(
        self, candidate: RTCIceCandidate | Mapping[str, Any] | None
    ) -> None:
        """A candidate the client trickled ({"candidate", "sdpMid", "sdpMLineIndex"});
        mDNS (.local) candidates and end-of-candidates are dropped."""
        self._check_open()
        if candidate is None:
            return
        if not isinstance(candidate, RTCIceCandidate):
            text = str(candidate.get("candidate") or "")
            if not text:
                return
            if text.startswith("candidate:"):
                text = text[len("candidate:") :]
            if is_mdns_candidate(text):
                return
            try:
                parsed = candidate_from_sdp(text)
            except (AssertionError, ValueError, IndexError) as exc:
                # aiortc asserts on a short line: a client's garbage is not the relay's bug.
                raise NegotiationError(f"peer {self.id}: not an ICE candidate: {exc!r}") from exc
            parsed.sdpMid = candidate.get("sdpMid")
            parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")
            candidate = parsed
        elif candidate.ip.endswith(".local"):
            return
        try:
            await self._pc.addIceCandidate(candidate)
        except ValueError as exc:  # e.g. neither sdpMid nor sdpMLineIndex
            raise NegotiationError(f"peer {self.id}: the candidate was refused: {exc}") from exc

    async def close(self, reason: CloseReason = CloseReason.CLIENT_LEFT) -> None:
        """Close the peer: its subscriptions and tracks close, then the connection.
        Idempotent; the room's listener hears `on_peer_closed` once."""
        if self._closing is not None:
            await asyncio.shield(self._closing)
            return
        self._closing = asyncio.get_running_loop().create_future()
        try:
            await self._close(reason)
        finally:
            self._closing.set_result(None)

    async def _close(self, reason: CloseReason) -> None:
        self.closed = True
        self.close_reason = reason
        logger.info("room %s: peer %s closing (%s)", self.room.id, self.id, reason.value)
        for subscription in list(self.subscriptions.values()):
            subscription._subscriber_closed()
        for track in list(self.tracks.values()):
            track.close(CloseReason.PUBLISHER_CLOSED)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        self.room._remove_peer(self)
        try:
            await self._pc.close()
        except Exception:  # a half-set-up connection may fail to close; nothing to keep
            logger.exception("room %s: peer %s: closing the connection", self.room.id, self.id)
        for switch in list(self._switches.values()):
            switch.cancel()
        self._switches.clear()
        self._egresses.clear()
        self._slots.clear()
        self._fast_ingresses.clear()
        self.room._emit("on_peer_closed", self, reason, peer=self)
        self.listener = None

    def stats(self) -> PeerStats:
        stats = PeerStats(peer_id=self.id, connection_state=self.connection_state)
        for track in self.tracks.values():
            stats.tracks.append(track.stats)
            stats.packets_in += track.stats.packets_in
            stats.bytes_in += track.stats.bytes_in
        rtts = []
        for subscription in self.subscriptions.values():
            s = subscription.stats
            stats.subscriptions.append(s)
            stats.packets_out += s.packets_out
            stats.bytes_out += s.bytes_out
            stats.nacks += s.nacks_received
            stats.plis += s.plis_received
            if s.rtt_s is not None:
                rtts.append(s.rtt_s)
        stats.rtt_s = min(rtts) if rtts else None
        return stats

    # --- negotiation ---------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise PeerClosed(f"peer {self.id} is closed")

    def _schedule_negotiation(self) -> None:
        if self.closed:
            return
        if self._negotiating or self._offer_in_flight:
            self._negotiation_needed = True
            return
        self._negotiating = True
        self._negotiation_needed = False
        self._spawn(self._negotiate())

    async def _negotiate(self) -> None:
        try:
            self._negotiation_needed = False
            if self.closed or self._pc.signalingState == "closed":
                self._negotiating = False
                return
            self._apply_changes()
            offer = await self._pc.createOffer()
            # What each m-line carries, as the offer's directions were written (aiortc's
            # createOffer does not suspend): setLocalDescription below may wait for ICE
            # gathering, and a subscription that ends meanwhile must not change the words
            # sent with this SDP.
            lines = self._describe_lines()
            await self._pc.setLocalDescription(offer)
            sdp = announce_address(self._pc.localDescription.sdp, self._config.announced_address)
            self._offer_in_flight = True
            self._negotiating = False
            logger.debug("room %s: peer %s: offer sent", self.room.id, self.id)
            mids = {str(t.mid): info for t, info in lines if t.mid is not None}
            await self._sink.send({"type": "offer", "sdp": sdp, "mids": mids})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("room %s: peer %s: negotiation failed", self.room.id, self.id)
            self._negotiating = False
            self._spawn(self.close(CloseReason.SIGNALLING_FAILED))

    def _apply_changes(self) -> None:
        """Create the transceivers that queued changes need (only between negotiations)."""
        for slot in self._slots:
            if slot.transceiver is None:
                transceiver = self._pc.addTransceiver(slot.kind, direction="recvonly")
                prefer_relay_codecs(transceiver)
                slot.transceiver = transceiver
                slot.ingress = Ingress(transceiver.receiver)
                self._fast_ingresses[id(transceiver.receiver)] = slot.ingress
            elif slot.pending_close:
                slot.transceiver.direction = "inactive"
        for subscription in self.subscriptions.values():
            if subscription.egress is None:
                egress = self._take_egress(subscription.kind)
                egress.pending = subscription
                subscription.egress = egress
                sender: Any = egress.sender
                sender._track_id = subscription.track.id
                sender._stream_id = subscription.track.peer.id

    def _describe_lines(self) -> list[tuple[RTCRtpTransceiver, dict[str, Any]]]:
        """What each m-line carries, for the client to label its streams (a reused
        transceiver keeps its MID but may carry another track)."""
        lines: list[tuple[RTCRtpTransceiver, dict[str, Any]]] = []
        for slot in self._slots:
            if slot.transceiver is None:
                continue
            if slot.pending_close:
                lines.append((slot.transceiver, {"direction": "inactive", "kind": slot.kind}))
                continue
            lines.append(
                (
                    slot.transceiver,
                    {
                        "direction": "publish",
                        "kind": slot.kind,
                        "label": slot.label,
                        "track_id": slot.track.id if slot.track else None,
                    },
                )
            )
        for egress in self._egresses:
            switch = self._switches.get(egress)
            subscription = switch.new if switch else egress.pending or egress.subscription
            if subscription is None:
                lines.append((egress.transceiver, {"direction": "inactive", "kind": egress.kind}))
                continue
            track = subscription.track
            lines.append(
                (
                    egress.transceiver,
                    {
                        "direction": "subscribe",
                        "kind": track.kind,
                        "track_id": track.id,
                        "peer_id": track.peer.id,
                        "label": track.label,
                        "metadata": track.metadata,
                    },
                )
            )
        return lines

    def _take_egress(self, kind: str) -> Egress:
        for egress in self._egresses:
            if egress.kind == kind and egress.subscription is None and egress.pending is None:
                egress.transceiver.direction = "sendonly"
                return egress
        transceiver = self._pc.addTransceiver(IdleTrack(kind), direction="sendonly")
        prefer_relay_codecs(transceiver)
        egress = Egress(transceiver, self._config.nack_history_size)
        self._egresses.append(egress)
        return egress

    def _after_answer(self) -> None:
        self._expect_ssrcs()
        for slot in self._slots:
            t = slot.transceiver
            if (
                slot.track is None
                and not slot.pending_close
                and t is not None
                and slot.ingress is not None
                and t.currentDirection in ("recvonly", "sendrecv")
            ):
                track = PublishedTrack(
                    self,
                    f"{self.id}.{t.mid}",
                    slot.kind,
                    slot.ingress,
                    self._config,
                    label=slot.label,
                    metadata=slot.metadata,
                )
                slot.track = track
                self.tracks[track.id] = track
                logger.info("room %s: peer %s publishes %s", self.room.id, self.id, track)
                self.room._add_track(track)
        if self.connection_state == "connected":
            self._install_fast_path()
        for egress in self._egresses:
            subscription = egress.pending
            if subscription is None or egress.transceiver.currentDirection != "sendonly":
                continue
            egress.configure()
            if subscription.closed:
                egress.pending = None
                continue
            egress.bind(subscription)
            subscription.track._start_forwarding(subscription, egress)

    def _expect_ssrcs(self) -> None:
        """Tell each publish slot's ingress the SSRC the answer declares for it. Until the
        relay has applied an answer, aiortc routes an unknown SSRC by payload type to the one
        receiver of that type: the first packets of a second audio track (a back-channel)
        sent meanwhile reach the microphone's receiver, which must not take them for its own.
        """
        declared: dict[str, int] = {}
        try:
            answer = sdp.SessionDescription.parse(self._pc.remoteDescription.sdp)
        except Exception:  # the answer was accepted by aiortc: this is not expected
            logger.exception("room %s: peer %s: reading the answer's SSRCs", self.room.id, self.id)
            return
        for media in answer.media:
            if media.rtp.muxId and media.ssrc:
                declared[media.rtp.muxId] = media.ssrc[0].ssrc
        for slot in self._slots:
            t = slot.transceiver
            ssrc = declared.get(str(t.mid)) if t is not None else None
            if slot.ingress is None or ssrc is None:
                continue
            if slot.ingress.expect_ssrc(ssrc) and slot.track is not None:
                logger.warning(
                    "room %s: peer %s: %s had taken another stream's packets",
                    self.room.id,
                    self.id,
                    slot.track.id,
                )
                slot.track._restart_forwarding()

    # --- children closing ----------------------------------------------------------------

    def _subscription_closed(self, subscription: Subscription) -> None:
        if self.subscriptions.get(subscription.track.id) is subscription:
            del self.subscriptions[subscription.track.id]
        egress = subscription.egress
        if egress is None:
            return
        switch = self._switches.get(egress)
        if switch is not None and switch.new is subscription:
            # The successor went away before it took over: the m-line stays the old one's.
            switch.cancel()
            del self._switches[egress]
            old: Any = switch.old
            if not old.closed:
                sender: Any = egress.sender
                sender._track_id = old.track.id
                sender._stream_id = old.track.peer.id
                self._schedule_negotiation()  # say so: the last offer named the new track
                return
            subscription = old
        elif switch is not None and switch.old is subscription:
            # The old track stopped before the new one's keyframe: the m-line stays, idle,
            # for the new subscription the switch binds then.
            if egress.subscription is subscription:
                egress.unbind()
            return
        if egress.subscription is subscription:
            egress.unbind()
        if egress.pending is subscription:
            egress.pending = None
        if not self.closed:
            egress.transceiver.direction = "inactive"
            self._schedule_negotiation()

    def _switch_done(self, switch: Switch) -> None:
        if self._switches.get(switch.egress) is switch:
            del self._switches[switch.egress]
        self.room._emit("on_subscription_switched", switch.new, switch.old.track, peer=self)

    def _track_closed(self, track: PublishedTrack, reason: CloseReason) -> None:
        self.tracks.pop(track.id, None)
        for slot in self._slots:
            if slot.track is track:
                slot.pending_close = True
                slot.track = None
        if not self.closed:
            self._schedule_negotiation()

    # --- events --------------------------------------------------------------------------

    def _on_connection_state_change(self) -> None:
        state = self.connection_state
        logger.info("room %s: peer %s connection %s", self.room.id, self.id, state)
        self.room._emit("on_connection_state", self, state, peer=self)
        if state == "connected":
            self._install_fast_path()
            for subscription in self.subscriptions.values():
                if subscription.egress is not None and subscription.egress.waiting_keyframe:
                    subscription.track.request_keyframe()
        elif state == "failed" and not self.closed:
            self._spawn(self.close(CloseReason.ICE_FAILED))
        elif state == "closed" and not self.closed:
            # not by our close(): the client ended DTLS, or ICE consent expired (RFC 7675)
            self._spawn(self.close(CloseReason.CONNECTION_CLOSED))

    def _install_fast_path(self) -> None:
        ingresses = {id(s.ingress.receiver): s.ingress for s in self._slots if s.ingress}
        self._fast_ingresses.update(ingresses)
        if self._fast_path_installed or not self._slots:
            return
        transceiver = self._slots[0].transceiver
        if transceiver is None:
            return
        self._fast_path_installed = install_fast_path(
            transceiver.receiver.transport, self._fast_ingresses
        )
        logger.debug(
            "room %s: peer %s: ingress fast path %s",
            self.room.id,
            self.id,
            self._fast_path_installed,
        )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
