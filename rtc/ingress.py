"""Ingress: takes a server-side receiver's packets before aiortc would depacketize/decode.

`RTCRtpReceiver._handle_rtp_packet` is replaced on the instance by `Ingress.handle`, which
keeps what the receiver did for the RTCP side (stream statistics for receiver reports,
RTX unwrapping, NACKs upstream) and hands each packet to the published track. The jitter
buffer and the decoder are never fed, so aiortc's decoder thread stays idle.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

from . import rtcp, srtp
from .rtp import FastPacket, parse_rtp

logger = logging.getLogger(__name__)

AnyRtpPacket = FastPacket  # aiortc's own RtpPacket is converted on arrival (`handle`)
# a packet and the time it arrived (Unix seconds: one clock read per packet, shared)
PacketHandler = Callable[[AnyRtpPacket, float], None]

NACK_HISTORY = 128  # sequence numbers tracked for NACKs (aiortc's RTP_HISTORY_SIZE)
_RTX_SEQUENCE = struct.Struct("!H")
_ROUTE_FIELDS = struct.Struct("!xB6xL")  # marker|payload type, SSRC


class NackTracker:
    """Which sequence numbers of a stream are missing, for NACKs upstream: aiortc's
    NackGenerator (same results, a gap of at most NACK_HISTORY tracked) without its copy
    of the missing set on every packet; an in-order packet with nothing missing costs a
    subtraction."""

    __slots__ = ("max_seq", "missing")

    def __init__(self) -> None:
        self.max_seq: int | None = None
        self.missing: set[int] = set()

    def add(self, seq: int) -> bool:
        """Note a received sequence number; True if it revealed newly missing ones."""
        max_seq = self.max_seq
        if max_seq is None:
            self.max_seq = seq
            return False
        delta = (seq - max_seq) & 0xFFFF
        missing = self.missing
        if delta == 1 and not missing:
            self.max_seq = seq
            return False
        missed = False
        if 0 < delta < 0x8000:  # newer: the numbers skipped are missing
            for back in range(1, min(delta, NACK_HISTORY + 1)):
                missing.add((seq - back) & 0xFFFF)
            missed = delta > 1
            self.max_seq = max_seq = seq
        else:  # older (a retransmission, or reordered) or a duplicate
            missing.discard(seq)
        if missing:
            oldest = (max_seq - NACK_HISTORY) & 0xFFFF
            for old in [s for s in missing if 0 < (oldest - s) & 0xFFFF < 0x8000]:
                missing.discard(old)
        return missed


class _NoJitterBuffer:
    """Stands in for aiortc's jitter buffer should anything still feed it: keeps nothing."""

    def add(self, packet: RtpPacket) -> tuple[bool, None]:
        return False, None


class Ingress:
    """The packet tap on one recvonly transceiver's receiver."""

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.receiver = receiver
        self.on_packet: PacketHandler | None = None
        self.nacks_sent = 0
        self.foreign_packets = 0  # another stream's packets routed here, dropped
        self._media_ssrc: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        r: Any = receiver
        # These dicts are created in __init__ and filled by receive(): keep references.
        self._codecs: dict[int, Any] = r._RTCRtpReceiver__codecs
        self._rtx_ssrc: dict[int, int] = r._RTCRtpReceiver__rtx_ssrc
        self._streams: dict[int, Any] = r._RTCRtpReceiver__remote_streams
        # aiortc makes a NACK generator for video only; ours does the same work cheaper
        self._nack = NackTracker() if r._RTCRtpReceiver__nack_generator is not None else None
        self._codec_kinds: dict[int, tuple[Any, bool]] = {}  # payload type -> (codec, is RTX)
        self.audio = r._RTCRtpReceiver__kind == "audio"  # only audio's level is parsed
        # REMB upstream is the minimum of the subscribers' (see PublishedTrack), not aiortc's
        # own estimate of the publisher's link.
        r._RTCRtpReceiver__remote_bitrate_estimator = None
        r._RTCRtpReceiver__jitter_buffer = _NoJitterBuffer()
        r._handle_rtp_packet = self.handle
        # its RRs go out with the connection's other reports (rtc.rtcp), started by aiortc
        r._run_rtcp = lambda: rtcp.receiver_membership(receiver)

    def expect_ssrc(self, ssrc: int) -> bool:
        """The SSRC the answer declared for this m-line (`a=ssrc`): packets of any other
        media SSRC are foreign from now on. True if it replaced a different one pinned by a
        first packet that was not this stream's (see `process`)."""
        changed = self._media_ssrc is not None and self._media_ssrc != ssrc
        self._media_ssrc = ssrc
        return changed

    @property
    def media_ssrc(self) -> int | None:
        """The publisher's media SSRC (RTX excluded), once a packet arrived."""
        for ssrc in self._streams:
            if ssrc not in self._rtx_ssrc:
                return ssrc
        return None

    @property
    def rtcp_ssrc(self) -> int | None:
        """The SSRC the relay's RTCP about this track is sent from."""
        r: Any = self.receiver
        ssrc: int | None = r._RTCRtpReceiver__rtcp_ssrc
        return ssrc

    async def handle(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """aiortc's path (`RTCDtlsTransport._handle_rtp_data` awaits this) until the fast
        path is installed."""
        fast = FastPacket(
            packet.marker,
            packet.payload_type,
            packet.sequence_number,
            packet.timestamp,
            packet.ssrc,
            packet.payload,
            packet.extensions.audio_level,
            packet.padding_size,
            packet.csrc,
        )
        self.process(fast, time.time())

    def _codec(self, payload_type: int) -> tuple[Any, bool] | None:
        codec = self._codecs.get(payload_type)
        if codec is None:
            return None
        known = self._codec_kinds.get(payload_type)
        if known is None or known[0] is not codec:  # first time, or renegotiated
            known = self._codec_kinds[payload_type] = (codec, codec.name.lower() == "rtx")
        return known

    def process(self, packet: AnyRtpPacket, now: float) -> None:
        """One packet from the publisher: statistics, RTX unwrapping, NACKs, then the track.
        `now` is its arrival (Unix seconds)."""
        if not self.receiver._enabled:
            return
        payload_type = packet.payload_type
        codec = self._codecs.get(payload_type)
        if codec is None:
            return
        known = self._codec_kinds.get(payload_type)
        if known is None or known[0] is not codec:
            known = self._codec(payload_type)
            if known is None:
                return
        rtx = known[1]
        ssrc = packet.ssrc
        if not rtx:
            # One media stream per receiver. aiortc's router pins an SSRC it does not know to
            # the only receiver of its payload type: a second track of a kind (a back-channel,
            # a screen share) sends before the answer naming its SSRC is applied, and its first
            # packets land here. Forwarded, their sequence numbers would put this track's
            # subscribers' SRTP replay windows ahead of it for good.
            if ssrc != self._media_ssrc:
                if self._media_ssrc is not None:
                    self.foreign_packets += 1
                    return
                self._media_ssrc = ssrc
        stream: Any = self._streams.get(ssrc)
        if stream is None:
            stream = self._streams[ssrc] = StreamStatistics(codec.clockRate)
        # StreamStatistics.add (receiver reports read these), with the arrival time given
        seq = packet.sequence_number
        stream.packets_received += 1
        max_seq = stream.max_seq
        if max_seq is None:
            stream.base_seq = seq
        if max_seq is None or 0 < (seq - max_seq) & 0xFFFF < 0x8000:  # in order
            if max_seq is not None and seq < max_seq:
                stream.cycles += 1 << 16
            stream.max_seq = seq
            arrival = int(now * stream._clockrate)
            timestamp = packet.timestamp
            last_timestamp = stream._last_timestamp
            if timestamp != last_timestamp and stream.packets_received > 1:
                diff = abs((arrival - stream._last_arrival) - (timestamp - last_timestamp))
                stream._jitter_q4 += diff - ((stream._jitter_q4 + 8) >> 4)
            stream._last_arrival = arrival
            stream._last_timestamp = timestamp

        if rtx:
            original_ssrc = self._rtx_ssrc.get(ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or apt not in self._codecs or len(packet.payload) < 2:
                return
            packet = FastPacket(
                packet.marker,
                apt,
                _RTX_SEQUENCE.unpack_from(packet.payload)[0],
                packet.timestamp,
                original_ssrc,
                packet.payload[2:],
                packet.audio_level,
                0,
                packet.csrc,
            )

        nack = self._nack
        if nack is not None and nack.add(packet.sequence_number):
            self.nacks_sent += 1
            task = asyncio.ensure_future(
                self.receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing))
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        on_packet = self.on_packet
        if on_packet is not None:
            on_packet(packet, now)


def install_fast_path(dtls_transport: Any, ingresses: dict[int, Ingress]) -> bool:
    """Take the peer's incoming SRTP packets straight from the socket, synchronously.

    aioice hands every datagram to an asyncio queue read by the DTLS transport's task,
    which unprotects, parses and awaits the receiver: two task switches and a failed STUN
    parse per packet. Once DTLS is up, this wraps the nominated pair's datagram_received:
    SRTP (not SRTCP) packets routed to one of our ingresses are unprotected in place
    (`rtc.srtp`), parsed (only the audio level among the extensions: `rtc.rtp.parse_rtp`),
    stamped with one clock read and forwarded at once;
    everything else (STUN, DTLS, RTCP, other receivers) goes the usual way. `ingresses`
    maps id(receiver) -> Ingress and may grow later. Returns False (and nothing changes)
    if aiortc/aioice do not look as expected.
    """
    try:
        session = dtls_transport._rx_srtp
        router = dtls_transport._rtp_router
        # aiortc's map of negotiated extension ids, updated in place as answers come
        extension_ids = dtls_transport._rtp_header_extensions_map._HeaderExtensionsMap__ids
        extension_ids.audio_level  # noqa: B018 - fail here, not per packet
        protocol = dtls_transport.transport._connection._nominated[1].protocol
        original = protocol.datagram_received
    except (AttributeError, KeyError):
        return False
    if session is None or getattr(protocol, "_rtc_fast_path", False):
        return False
    # the closure holds `session`, so its libsrtp context outlives any use of it here
    context = srtp.session_pointer(session)
    scratch, length, cdata = srtp.scratch, srtp.length_cell, srtp.cdata
    srtp_unprotect, srtp_ok, scratch_size = srtp.lib_unprotect, srtp.OK, srtp.SCRATCH_SIZE
    ssrc_table, payload_type_table = router.ssrc_table, router.payload_type_table
    route = router.route_rtp
    no_receivers: frozenset[Any] = frozenset()
    clock = time.time
    unpack_route = _ROUTE_FIELDS.unpack_from

    def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
        size = len(data)
        if 12 < size <= scratch_size and 127 < data[0] < 192 and not 192 <= data[1] <= 208:
            # srtp.unprotect, inline
            scratch[0:size] = data
            length[0] = size
            if srtp_unprotect(context, cdata, length) != srtp_ok:
                return
            plain = scratch[0 : length[0]]
            # aiortc's RtpRouter.route_rtp: the SSRC's receiver if it takes the payload type
            second, ssrc = unpack_route(plain)
            receiver = ssrc_table.get(ssrc)
            if receiver is None or receiver not in payload_type_table.get(
                second & 0x7F, no_receivers
            ):
                try:
                    receiver = route(parse_rtp(plain, None))
                except ValueError:
                    return
                if receiver is None:
                    return
            ingress = ingresses.get(id(receiver))
            try:
                packet = parse_rtp(
                    plain, extension_ids.audio_level if ingress is None or ingress.audio else None
                )
            except ValueError:
                return
            if ingress is not None:
                ingress.process(packet, clock())
            else:
                asyncio.ensure_future(receiver._handle_rtp_packet(packet, arrival_time_ms=0))
            return
        original(data, addr)

    protocol.datagram_received = datagram_received
    protocol._rtc_fast_path = True
    return True
