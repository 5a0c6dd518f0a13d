"""A track a peer publishes: receives its packets (via Ingress) and fans them out."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci

from .audio_level import SILENCE_DBOV, SpeakingDetector, level_from_opus_size
from .config import RelayConfig
from .events import CloseReason
from .ingress import AnyRtpPacket, Ingress
from .rtp import ntp_from_unix
from .stats import TrackStats
from .switch import Switch

if TYPE_CHECKING:
    from .egress import Egress
    from .peer import Peer
    from .subscription import Subscription

logger = logging.getLogger(__name__)

# A video frame's packets wait at most this long for its last one (marker) before they are
# sent anyway; a browser's pacer spreads a large frame over a few milliseconds.
FRAME_HOLD_MAX_S = 0.02


class PublishedTrack:
    """One published audio or video track; `subscriptions` maps subscriber peer id -> it."""

    def __init__(
        self,
        peer: Peer,
        track_id: str,
        kind: str,
        ingress: Ingress,
        config: RelayConfig,
        *,
        label: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.id = track_id
        self.kind = kind
        self.peer = peer
        self.label = label
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.subscriptions: dict[str, Subscription] = {}
        self.stats = TrackStats(track_id=track_id, peer_id=peer.id, kind=kind)
        self.closed = False
        self.close_reason: CloseReason | None = None
        self.speaking = False
        self.level_dbov = SILENCE_DBOV
        self._config = config
        self._ingress = ingress
        # Where each packet goes: the subscribers' egresses, and a switch in place of an
        # egress that is still taking over from an earlier track (see rtc/switch.py).
        self._egresses: tuple[Egress | Switch, ...] = ()
        self._last_keyframe_request = -1e9
        self._deferred_keyframe_request: asyncio.TimerHandle | None = None
        self._last_remb_sent = -1e9
        self._last_level_event = -1e9
        self._detector = SpeakingDetector(config) if kind == "audio" else None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._held: list[AnyRtpPacket] = []  # the video frame being received
        self._hold_timer: asyncio.TimerHandle | None = None
        ingress.on_packet = self._on_video_packet if kind == "video" else self._on_audio_packet

    def __repr__(self) -> str:
        return f"PublishedTrack({self.id!r}, {self.kind}, peer={self.peer.id!r})"

    def codec_name(self, payload_type: int) -> str | None:
        codec = self._ingress._codecs.get(payload_type)
        return None if codec is None else str(codec.name).lower()

    # --- the per-packet path -------------------------------------------------------------

    def _on_video_packet(self, packet: AnyRtpPacket, now: float) -> None:
        stats = self.stats
        stats.packets_in += 1
        stats.bytes_in += len(packet.payload)
        if not packet.payload or not self._egresses:
            return
        # A frame's packets are held until its last one (the marker) and then sent to each
        # subscriber back to back: the frame cannot be decoded before its last packet, and a
        # subscriber woken once per frame instead of once per packet costs the relay less.
        held = self._held
        if held and held[-1].timestamp != packet.timestamp:
            self._flush_held(now)  # the previous frame's marker was lost
        held.append(packet)
        if packet.marker:
            self._flush_held(now)
        elif self._hold_timer is None:
            self._hold_timer = asyncio.get_running_loop().call_later(
                FRAME_HOLD_MAX_S, self._flush_held_late
            )

    def _flush_held(self, now: float) -> None:
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        ntp = ntp_from_unix(now)  # one clock read for the whole frame
        for packet in self._held:
            # read per packet: a switch (rtc/switch.py) hands its place to the egress at
            # a keyframe's first packet, and the egress must get the rest of that frame
            for egress in self._egresses:
                egress.forward(packet, ntp)
        self._held.clear()

    def _flush_held_late(self) -> None:
        self._hold_timer = None
        self._flush_held(time.time())

    def _on_audio_packet(self, packet: AnyRtpPacket, now: float) -> None:
        stats = self.stats
        stats.packets_in += 1
        stats.bytes_in += len(packet.payload)
        if not packet.payload:
            return
        level = packet.audio_level
        self._measure(
            -float(level[1]) if level is not None else level_from_opus_size(len(packet.payload))
        )
        ntp = ntp_from_unix(now)
        for egress in self._egresses:
            egress.forward(packet, ntp)

    def _measure(self, level_dbov: float) -> None:
        detector = self._detector
        assert detector is not None
        now = time.monotonic()
        changed = detector.feed(level_dbov, now)
        self.level_dbov = detector.level_dbov
        if changed:
            self.speaking = detector.speaking
            logger.debug("track %s speaking=%s", self.id, self.speaking)
            self.peer.room._on_speaking_changed(self)
        if now - self._last_level_event >= self._config.audio_level_interval_s:
            self._last_level_event = now
            self.peer.room._emit("on_audio_level", self, self.level_dbov, peer=self.peer)

    # --- feedback upstream ---------------------------------------------------------------

    def request_keyframe(self) -> bool:
        """Ask the publisher for a keyframe (PLI), at most once per configured interval;
        a request inside the interval is deferred to its end, not lost. True if sent now."""
        if self.kind != "video" or self.closed or not self._config.keyframe_requests_enabled:
            return False
        now = time.monotonic()
        wait = self._last_keyframe_request + self._config.keyframe_request_min_interval_s - now
        if wait > 0:
            if self._deferred_keyframe_request is None:
                self._deferred_keyframe_request = asyncio.get_running_loop().call_later(
                    wait, self._send_deferred_keyframe_request
                )
            return False
        ssrc = self._ingress.media_ssrc
        if ssrc is None:
            return False
        self._last_keyframe_request = now
        self.stats.plis_sent += 1
        logger.debug("track %s: keyframe request (PLI) to %s", self.id, self.peer.id)
        self._spawn(self._ingress.receiver._send_rtcp_pli(ssrc))
        return True

    def _send_deferred_keyframe_request(self) -> None:
        self._deferred_keyframe_request = None
        self.request_keyframe()

    def update_remb(self) -> None:
        """Forward upstream the lowest bitrate estimate among the subscribers (rate-limited)."""
        estimates = [e.remb_bps for e in self._egresses if e.remb_bps is not None]
        ssrc = self._ingress.media_ssrc
        rtcp_ssrc = self._ingress.rtcp_ssrc
        now = time.monotonic()
        if not estimates or ssrc is None or rtcp_ssrc is None:
            return
        if now - self._last_remb_sent < self._config.remb_min_interval_s:
            return
        self._last_remb_sent = now
        bitrate = min(estimates)
        self.stats.remb_sent_bps = bitrate
        packet = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, [ssrc])
        )
        self._spawn(self._ingress.receiver._send_rtcp(packet))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- subscriptions -------------------------------------------------------------------

    def _add_subscription(self, subscription: Subscription) -> None:
        self.subscriptions[subscription.peer.id] = subscription

    def _start_forwarding(self, subscription: Subscription, egress: Egress) -> None:
        if egress not in self._egresses:
            self._egresses = self._egresses + (egress,)
        if subscription.peer.connection_state == "connected":
            self.request_keyframe()  # otherwise when it connects: Peer asks then

    def _restart_forwarding(self) -> None:
        """Every subscriber re-anchors its numbering at the next packet (the stream's
        numbers changed under it)."""
        for egress in self._egresses:
            if not isinstance(egress, Switch):
                egress.restart()

    def _add_forwarder(self, switch: Switch) -> None:
        if switch not in self._egresses:
            self._egresses = self._egresses + (switch,)

    def _replace_forwarder(self, switch: Switch, egress: Egress) -> None:
        self._egresses = tuple(egress if e is switch else e for e in self._egresses)

    def _remove_forwarder(self, switch: Switch) -> None:
        self._egresses = tuple(e for e in self._egresses if e is not switch)

    def _remove_subscription(self, subscription: Subscription) -> None:
        if self.subscriptions.get(subscription.peer.id) is subscription:
            del self.subscriptions[subscription.peer.id]
        egress = subscription.egress
        if egress is not None and egress in self._egresses:
            self._egresses = tuple(e for e in self._egresses if e is not egress)

    # --- closing -------------------------------------------------------------------------

    def close(self, reason: CloseReason = CloseReason.UNPUBLISHED) -> None:
        """Stop the track: its subscriptions close, the room forgets it. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self._ingress.on_packet = None
        logger.info("track %s of peer %s closed (%s)", self.id, self.peer.id, reason.value)
        for subscription in list(self.subscriptions.values()):
            subscription._publisher_closed(reason)
        self._egresses = ()
        self._held.clear()
        if self._hold_timer is not None:
            self._hold_timer.cancel()
        if self._deferred_keyframe_request is not None:
            self._deferred_keyframe_request.cancel()
        for task in self._tasks:
            task.cancel()
        self.peer._track_closed(self, reason)
        self.peer.room._remove_track(self, reason)
