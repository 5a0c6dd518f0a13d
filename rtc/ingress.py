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
from collections.abc import Callable
from typing import Any

import pylibsrtp
from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

from .rtp import FastPacket, parse_rtp

logger = logging.getLogger(__name__)

AnyRtpPacket = RtpPacket | FastPacket
PacketHandler = Callable[[AnyRtpPacket], None]


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
        self._nack = r._RTCRtpReceiver__nack_generator
        # REMB upstream is the minimum of the subscribers' (see PublishedTrack), not aiortc's
        # own estimate of the publisher's link.
        r._RTCRtpReceiver__remote_bitrate_estimator = None
        r._RTCRtpReceiver__jitter_buffer = _NoJitterBuffer()
        r._handle_rtp_packet = self.handle

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

    async def handle(self, packet: AnyRtpPacket, arrival_time_ms: int) -> None:
        """aiortc's path (`RTCDtlsTransport._handle_rtp_data` awaits this)."""
        self.process(packet)

    def process(self, packet: AnyRtpPacket) -> None:
        """One packet from the publisher: statistics, RTX unwrapping, NACKs, then the track."""
        if not self.receiver._enabled:
            return
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return
        if codec.name != "rtx":
            # One media stream per receiver. aiortc's router pins an SSRC it does not know to
            # the only receiver of its payload type: a second track of a kind (a back-channel,
            # a screen share) sends before the answer naming its SSRC is applied, and its first
            # packets land here. Forwarded, their sequence numbers would put this track's
            # subscribers' SRTP replay windows ahead of it for good.
            if self._media_ssrc is None:
                self._media_ssrc = packet.ssrc
            elif packet.ssrc != self._media_ssrc:
                self.foreign_packets += 1
                return
        stream: Any = self._streams.get(packet.ssrc)
        if stream is None:
            stream = self._streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stream.add(packet)

        if codec.name == "rtx":
            original_ssrc = self._rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or apt not in self._codecs or len(packet.payload) < 2:
                return
            packet = FastPacket(
                packet.marker,
                apt,
                struct.unpack_from("!H", packet.payload)[0],
                packet.timestamp,
                original_ssrc,
                packet.payload[2:],
                packet.extensions,
                0,
                packet.csrc,
            )

        if self._nack is not None and self._nack.add(packet):
            self.nacks_sent += 1
            task = asyncio.ensure_future(
                self.receiver._send_rtcp_nack(packet.ssrc, sorted(self._nack.missing))
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        on_packet = self.on_packet
        if on_packet is not None:
            on_packet(packet)


def install_fast_path(dtls_transport: Any, ingresses: dict[int, Ingress]) -> bool:
    """Take the peer's incoming SRTP packets straight from the socket, synchronously.

    aioice hands every datagram to an asyncio queue read by the DTLS transport's task,
    which unprotects, parses and awaits the receiver: two task switches and a failed STUN
    parse per packet. Once DTLS is up, this wraps the nominated pair's datagram_received:
    SRTP (not SRTCP) packets routed to one of our ingresses are unprotected, parsed (only
    the audio level among the extensions: `rtc.rtp.parse_rtp`) and forwarded at once;
    everything else (STUN, DTLS, RTCP, other receivers) goes the usual way. `ingresses`
    maps id(receiver) -> Ingress and may grow later. Returns False (and nothing changes)
    if aiortc/aioice do not look as expected.
    """
    try:
        srtp = dtls_transport._rx_srtp
        router = dtls_transport._rtp_router
        # aiortc's map of negotiated extension ids, updated in place as answers come
        extension_ids = dtls_transport._rtp_header_extensions_map._HeaderExtensionsMap__ids
        extension_ids.audio_level  # noqa: B018 - fail here, not per packet
        protocol = dtls_transport.transport._connection._nominated[1].protocol
        original = protocol.datagram_received
    except (AttributeError, KeyError):
        return False
    if srtp is None or getattr(protocol, "_rtc_fast_path", False):
        return False
    unprotect = srtp.unprotect
    route = router.route_rtp

    def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
        if len(data) > 12 and 127 < data[0] < 192 and not 192 <= data[1] <= 208:
            try:
                packet = parse_rtp(unprotect(data), extension_ids.audio_level)
            except (pylibsrtp.Error, ValueError):
                return
            receiver = route(packet)
            if receiver is None:
                return
            ingress = ingresses.get(id(receiver))
            if ingress is not None:
                ingress.process(packet)
            else:
                asyncio.ensure_future(receiver._handle_rtp_packet(packet, arrival_time_ms=0))
            return
        original(data, addr)

    protocol.datagram_received = datagram_received
    protocol._rtc_fast_path = True
    return True
