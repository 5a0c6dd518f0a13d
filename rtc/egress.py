"""Egress: one send-only transceiver of a subscriber, fed forwarded packets, never encoding.

The transceiver's sender carries an idle track (recv() never returns) so aiortc's encoder
never runs. Packets are rewritten for this subscriber (payload type, SSRC, sequence number,
timestamp, MID, abs-send-time), SRTP-protected with the DTLS transport's session and sent
straight to the nominated ICE pair's socket (see `Egress._connected_send`). The sender's
`_handle_rtcp_packet` is replaced: NACK -> RTX from a short history, PLI/FIR -> keyframe
request upstream, REMB -> kept for the publisher's minimum; receiver reports still reach
aiortc's own handler for the round-trip time. Sender reports (`rtc.rtcp`, one compound
packet per connection) carry the counts and the (NTP, RTP) time of the last forwarded
packet.

Per packet and subscriber the work is a patch of a shared template (`HeaderWriter`, built
once per packet for every subscriber with the same extension layout) in the process's
SRTP scratch buffer, libsrtp's protect in place, and one `sendto` (`rtc.srtp`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from . import rtcp, srtp
from .rtp import (
    NTP_EPOCH_OFFSET,
    TEMPLATE_PATCH,
    HeaderWriter,
    is_vp8_keyframe_start,
    ntp_now,
    rtx_payload,
)

if TYPE_CHECKING:
    from .ingress import AnyRtpPacket
    from .subscription import Subscription


logger = logging.getLogger(__name__)

_DTLS_CONNECTED = DtlsState.CONNECTED
_scratch = srtp.scratch
_patch = TEMPLATE_PATCH.pack_into
_protect_scratch = srtp.protect_scratch
_MAX_PACKET = srtp.MAX_PACKET


def _never_closing() -> bool:
    return False


def _ignore_connection_error(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and not isinstance(task.exception(), ConnectionError | None):
        logger.warning("egress: sending failed: %r", task.exception())


_HistoryEntry = tuple[int, int, int, "AnyRtpPacket"]  # our seq, pt, ts; the packet


class IdleTrack(MediaStreamTrack):
    """A track that never yields a frame: it keeps aiortc's sender (and encoder) idle."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._never: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Any:
        return await self._never

    def stop(self) -> None:
        super().stop()
        self._never.cancel()


class Egress:
    """Forwarding state of one send-only transceiver; reused by successive subscriptions."""

    def __init__(self, transceiver: RTCRtpTransceiver, history_size: int) -> None:
        self.transceiver = transceiver
        self.kind = transceiver.kind
        self.sender = transceiver.sender
        self._sender: Any = transceiver.sender  # private counters for sender reports
        self.subscription: Subscription | None = None
        self.pending: Subscription | None = None
        self.remb_bps: int | None = None
        self.rtt_s: float | None = None
        self._writer: HeaderWriter | None = None
        self._ssrc = transceiver.sender._ssrc
        self._rtx_ssrc = transceiver.sender._rtx_ssrc
        self._rtx_pt: int | None = None
        self._clock_rate = 90000 if self.kind == "video" else 48000
        self._pt_map: dict[int, int] = {}
        self._send: Callable[[bytes], None] | None = None  # protect + send a whole packet
        self._direct = False  # True: the scratch-buffer path below is set
        self._srtp_session: Any = None  # kept so its libsrtp context stays alive
        self._srtp_context: Any = None
        self._sendto: Callable[[bytes, Any], None] | None = None
        self._is_closing: Callable[[], bool] = _never_closing  # the UDP transport's
        self._addr: Any = None
        self._layout: object = None
        self._mid_raw = b""
        self._mid_offset = 0
        self._mid_end = 0
        self._dtls: Any = transceiver.sender.transport
        size = 1 << max(4, (history_size - 1).bit_length())
        self._mask = size - 1
        self._history: list[_HistoryEntry | None] = [None] * size
        self._seq_offset = 0
        self._ts_offset = 0
        self._anchor_in_seq = 0
        self._last_seq: int | None = None
        self._last_ts = 0
        self._last_ntp = 0
        self._rtx_seq = random.randint(0, 32767)
        self._needs_anchor = True
        self._waiting_keyframe = self.kind == "video"
        self._packets = 0
        self._octets = 0
        self._aiortc_rtcp = self._sender._handle_rtcp_packet
        setattr(self._sender, "_handle_rtcp_packet", self._handle_rtcp)  # noqa: B010
        # its SRs go out with the connection's other reports (rtc.rtcp), started by aiortc
        setattr(self._sender, "_run_rtcp", self._run_rtcp)  # noqa: B010

    @property
    def configured(self) -> bool:
        return self._writer is not None

    def configure(self) -> None:
        """Read what the answer negotiated (codecs, MID, header extensions) once."""
        if self._writer is not None:
            return
        t = self.transceiver
        codecs = t._codecs
        main = codecs[0]
        self._clock_rate = main.clockRate
        for codec in codecs:
            if codec.name.lower() == "rtx" and codec.parameters.get("apt") == main.payloadType:
                self._rtx_pt = codec.payloadType
        writer = self._writer = HeaderWriter(t.mid, t._headerExtensions)
        self._layout = writer.layout
        self._mid_raw = writer.mid_raw
        self._mid_offset = writer.mid_offset
        self._mid_end = writer.mid_offset + len(writer.mid_raw)
        self._dtls = self.sender.transport

    def bind(self, subscription: Subscription) -> None:
        """Start forwarding a subscription's track: from a keyframe, continuing our numbering."""
        self.subscription = subscription
        self.pending = None
        self._pt_map = {}
        self.restart()

    def unbind(self) -> None:
        self.subscription = None
        self.remb_bps = None

    def restart(self) -> None:
        """After a pause or a switch: re-anchor numbering, wait for a keyframe (video)."""
        self._needs_anchor = True
        self._waiting_keyframe = self.kind == "video"

    @property
    def waiting_keyframe(self) -> bool:
        return self._waiting_keyframe

    def _map_payload_type(self, payload_type: int) -> int | None:
        sub = self.subscription
        if sub is None:
            return None
        name = sub.track.codec_name(payload_type)
        for codec in self.transceiver._codecs:
            if name is not None and codec.name.lower() == name and codec.payloadType is not None:
                mapped = int(codec.payloadType)
                self._pt_map[payload_type] = mapped
                return mapped
        return None

    def _anchor(self, packet: AnyRtpPacket) -> None:
        if self._last_seq is None:
            target_seq = random.randint(0, 32767)
            target_ts = random.getrandbits(32)
        else:
            target_seq = (self._last_seq + 1) & 0xFFFF
            elapsed = time.time() + NTP_EPOCH_OFFSET - self._last_ntp / 4294967296.0
            target_ts = self._last_ts + max(1, int(elapsed * self._clock_rate))
        self._seq_offset = (target_seq - packet.sequence_number) & 0xFFFF
        self._ts_offset = (target_ts - packet.timestamp) & 0xFFFFFFFF
        self._anchor_in_seq = packet.sequence_number
        self._needs_anchor = False

    def _connected_send(self) -> Callable[[bytes], None] | None:
        """A sender of whole packets (SRTP protect + UDP sendto on the nominated ICE pair),
        or None if the transport is not connected. Also sets the direct path `forward`
        uses (libsrtp context, sendto, address).

        Skipping aiortc's `_send_rtp` -> ICE transport -> aioice coroutine chain saves four
        awaits per forwarded packet; the pieces are looked up again whenever the DTLS state
        leaves "connected", and aiortc's own path is used if anything is not where expected.
        """
        dtls: Any = self.sender.transport
        if dtls._state is not _DTLS_CONNECTED:
            self._send = None
            self._direct = False
            return None
        if self._send is not None:
            return self._send
        try:
            pair = dtls.transport._connection._nominated.get(1)
            session = dtls._tx_srtp
            context = srtp.session_pointer(session)
            udp = pair.protocol.transport
            sendto, is_closing = udp.sendto, udp.is_closing
            addr = pair.remote_addr
        except (AttributeError, TypeError):
            logger.warning("egress %s: no direct send path, using aiortc's", self.sender._ssrc)
            slow = self.sender.transport._send_rtp

            def send_slowly(data: bytes) -> None:
                task = asyncio.ensure_future(slow(data))
                task.add_done_callback(_ignore_connection_error)

            self._send = send_slowly
            self._direct = False
            return send_slowly

        def send(data: bytes) -> None:
            protected = srtp.protect(context, data)
            if protected is not None:
                sendto(protected, addr)

        self._srtp_session, self._srtp_context = session, context
        self._sendto, self._addr, self._is_closing = sendto, addr, is_closing
        self._direct = True  # forward() and _retransmit() use the pieces above directly
        self._send = send
        return send

    def forward(self, packet: AnyRtpPacket, ntp: int) -> None:
        """Rewrite one publisher packet for this subscriber and send it (synchronously).
        `ntp`: now, as the NTP timestamp written in abs-send-time and sender reports."""
        sub = self.subscription
        if sub is None or sub.paused:
            return
        if self._send is None or self._dtls._state is not _DTLS_CONNECTED or self._is_closing():
            # (the ICE socket can close, consent expired, before DTLS says so)
            if self._connected_send() is None or self._is_closing():
                if self.kind == "video":
                    self.restart()  # a keyframe now would be lost: asked for on connecting
                return
        if self._waiting_keyframe:
            if not is_vp8_keyframe_start(packet.payload):
                sub.track.request_keyframe()
                return
            self._waiting_keyframe = False
        if self._needs_anchor:
            self._anchor(packet)
        elif (packet.sequence_number - self._anchor_in_seq) & 0x8000:
            return  # older than the anchor: its number was already used before the switch
        seq = (packet.sequence_number + self._seq_offset) & 0xFFFF
        ts = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        pt = self._pt_map.get(packet.payload_type)
        if pt is None:
            pt = self._map_payload_type(packet.payload_type)
            if pt is None:
                return
        payload = packet.payload
        self._history[seq & self._mask] = (seq, pt, ts, packet)
        last_seq = self._last_seq
        if last_seq is None or not (seq - last_seq) & 0x8000:
            self._last_seq = seq
            self._last_ts = ts
        stats = sub.stats
        drop = sub.drop
        if drop is not None and drop(seq):
            stats.dropped_by_test += 1
            return
        self._last_ntp = ntp
        if self._direct:
            if packet.template_layout is self._layout:
                template = packet.template
            else:  # the first subscriber of this layout serialises the packet for all
                template = self._writer.template(  # type: ignore[union-attr]
                    payload, packet.audio_level, ntp
                )
                packet.template = template
                packet.template_layout = self._layout
            length = len(template)
            if length <= _MAX_PACKET:
                _scratch[0:length] = template
                _patch(_scratch, 1, (packet.marker << 7) | pt, seq, ts, self._ssrc)
                if self._mid_end:
                    _scratch[self._mid_offset : self._mid_end] = self._mid_raw
                protected = _protect_scratch(self._srtp_context, length)
                if protected is not None:
                    self._sendto(protected, self._addr)  # type: ignore[misc]
        else:
            self._send(  # type: ignore[misc]
                self._writer.serialize(  # type: ignore[union-attr]
                    pt,
                    packet.marker,
                    seq,
                    ts,
                    self._ssrc,
                    payload,
                    packet.audio_level,
                    ntp,
                )
            )
        self._packets += 1
        self._octets += len(payload)
        stats.packets_out += 1
        stats.bytes_out += len(payload)

    async def _run_rtcp(self) -> None:
        await rtcp.sender_membership(self._sender, self._sender_report)

    def _sender_report(self, now: float) -> tuple[bytes, int, bytes | None]:
        return rtcp.sender_report(
            self._sender, self._last_ntp, self._last_ts, self._packets, self._octets, now
        )

    def _retransmit(self, seq: int) -> None:
        entry = self._history[seq & self._mask]
        if entry is None or entry[0] != seq or self._writer is None:
            return
        if self._send is None or self._dtls._state is not _DTLS_CONNECTED:
            if self._connected_send() is None:
                return
        _, pt, ts, packet = entry
        marker, payload, level = packet.marker, packet.payload, packet.audio_level
        ntp = ntp_now()
        if self._rtx_pt is not None:
            data = self._writer.serialize(
                self._rtx_pt,
                marker,
                self._rtx_seq,
                ts,
                self._rtx_ssrc,
                rtx_payload(seq, payload),
                level,
                ntp,
            )
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        else:
            data = self._writer.serialize(pt, marker, seq, ts, self._ssrc, payload, level, ntp)
        if self._direct:
            protected = srtp.protect(self._srtp_context, data)
            if protected is not None:
                self._sendto(protected, self._addr)  # type: ignore[misc]
        else:
            self._send(data)  # type: ignore[misc]
        if self.subscription is not None:
            self.subscription.stats.retransmissions += 1

    async def _handle_rtcp(self, packet: AnyRtcpPacket) -> None:
        sub = self.subscription
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            await self._aiortc_rtcp(packet)
            self.rtt_s = self._sender._RTCRtpSender__rtt
            if sub is not None:
                sub.stats.rtt_s = self.rtt_s
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            if sub is not None:
                sub.stats.nacks_received += 1
            for seq in packet.lost:
                self._retransmit(seq)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            if sub is not None:
                sub.stats.plis_received += 1
                sub.track.request_keyframe()
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            if self._ssrc in ssrcs:
                self.remb_bps = bitrate
                if sub is not None:
                    sub.stats.remb_bps = bitrate
                    sub.track.update_remb()
