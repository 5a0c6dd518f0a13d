"""The relay's own RTCP reports: one compound packet per connection per interval.

aiortc runs an RTCP task per sender (SR + SDES) and per receiver (RR), each waking every
0.5-1.5 s and sending its own SRTCP packet: a seat receiving audio and video from two
others costs the relay four wake-ups and four sends a second, each through aiortc's
coroutine chain. For the relay's transceivers (`Egress` senders, `Ingress` receivers)
those tasks are replaced by membership in one `Reporter` per DTLS transport, which sends
every report of the connection as one compound packet (RFC 3550 section 6.1: the SRs,
then the RRs, then one SDES with the CNAMEs) on the same randomised interval. The
reports say what aiortc's would: sender counts and the (NTP, RTP) time of the last
forwarded packet; receiver statistics with the extended highest sequence number, LSR and
DLSR (round-trip times are computed by aiortc from the replies, as before). A stopping
sender still sends its BYE through aiortc.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from aiortc.rtp import (
    RtcpByePacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
)

logger = logging.getLogger(__name__)

SenderReport = Callable[[float], tuple[bytes, int, bytes | None]]  # now -> SR, SSRC, CNAME


class Reporter:
    """Sends the RTCP reports of one connection's relay senders and receivers."""

    @classmethod
    def of(cls, transport: Any) -> Reporter:
        """The transport's reporter (kept on the transport: they go together)."""
        reporter: Reporter | None = getattr(transport, "_rtc_reporter", None)
        if reporter is None:
            reporter = cls(transport)
            transport._rtc_reporter = reporter
        return reporter

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._senders: list[SenderReport] = []
        self._receivers: list[Any] = []
        self._task: asyncio.Task[None] | None = None

    def add_sender(self, report: SenderReport) -> None:
        self._senders.append(report)
        self._start()

    def remove_sender(self, report: SenderReport) -> None:
        if report in self._senders:
            self._senders.remove(report)
        self._stop_if_idle()

    def add_receiver(self, receiver: Any) -> None:
        self._receivers.append(receiver)
        self._start()

    def remove_receiver(self, receiver: Any) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)
        self._stop_if_idle()

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    def _stop_if_idle(self) -> None:
        if not self._senders and not self._receivers and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        while True:
            # as aiortc: the interval is varied over 0.5-1.5 times one second
            await asyncio.sleep(0.5 + random.random())
            data = self.compound(time.time())
            if data:
                try:
                    await self._transport._send_rtp(data)
                except ConnectionError:
                    pass
                except Exception:  # never let one bad report end the connection's reports
                    logger.exception("RTCP reports could not be sent")

    def compound(self, now: float) -> bytes:
        """The connection's reports now: SRs, RRs, then one SDES (empty if nothing)."""
        reports: list[bytes] = []
        chunks: list[RtcpSourceInfo] = []
        for report in self._senders:
            sr, ssrc, cname = report(now)
            reports.append(sr)
            if cname is not None:
                chunks.append(RtcpSourceInfo(ssrc=ssrc, items=[(1, cname)]))
        for receiver in self._receivers:
            rr = receiver_report(receiver, now)
            if rr:
                reports.append(rr)
        if not reports:
            return b""
        if chunks:
            reports.append(bytes(RtcpSdesPacket(chunks=chunks)))
        return b"".join(reports)


def sender_report(
    sender: Any, ntp: int, rtp_timestamp: int, packets: int, octets: int, now: float
) -> tuple[bytes, int, bytes | None]:
    """An SR for a relay sender (what aiortc's sender task sends), noting its LSR so that
    aiortc computes the round-trip time from the subscriber's reply; the sender's own
    counters are brought up to date for getStats()."""
    s = sender
    s._RTCRtpSender__ntp_timestamp = ntp
    s._RTCRtpSender__rtp_timestamp = rtp_timestamp
    s._RTCRtpSender__packet_count = packets
    s._RTCRtpSender__octet_count = octets
    s._RTCRtpSender__lsr = (ntp >> 16) & 0xFFFFFFFF
    s._RTCRtpSender__lsr_time = now
    packet = RtcpSrPacket(
        ssrc=s._ssrc,
        sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp,
            rtp_timestamp=rtp_timestamp,
            packet_count=packets & 0xFFFFFFFF,
            octet_count=octets & 0xFFFFFFFF,
        ),
    )
    cname = s._RTCRtpSender__cname
    return bytes(packet), s._ssrc, cname.encode("utf8") if cname is not None else None


def receiver_report(receiver: Any, now: float) -> bytes:
    """An RR for a relay receiver's streams (what aiortc's receiver task sends)."""
    r = receiver
    rtcp_ssrc = r._RTCRtpReceiver__rtcp_ssrc
    streams = r._RTCRtpReceiver__remote_streams
    if rtcp_ssrc is None or not streams:
        return b""
    lsrs, lsr_times = r._RTCRtpReceiver__lsr, r._RTCRtpReceiver__lsr_time
    blocks = []
    for ssrc, stream in streams.items():
        if stream.max_seq is None:
            continue
        lsr = dlsr = 0
        if ssrc in lsrs:
            lsr = lsrs[ssrc]
            delay = now - lsr_times[ssrc]
            if 0 < delay < 65536:
                dlsr = int(delay * 65536)
        blocks.append(
            RtcpReceiverInfo(
                ssrc=ssrc,
                fraction_lost=stream.fraction_lost,
                packets_lost=stream.packets_lost,
                highest_sequence=(stream.cycles + stream.max_seq) & 0xFFFFFFFF,
                jitter=stream.jitter,
                lsr=lsr,
                dlsr=dlsr,
            )
        )
    if not blocks:
        return b""
    return bytes(RtcpRrPacket(ssrc=rtcp_ssrc, reports=blocks))


async def sender_membership(sender: Any, report: SenderReport) -> None:
    """Stands in for aiortc's `RTCRtpSender._run_rtcp`: the sender's reports go out with
    its connection's; on stop, its BYE as aiortc sends it."""
    sender._RTCRtpSender__rtcp_started.set()
    reporter = Reporter.of(sender.transport)
    reporter.add_sender(report)
    try:
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        pass
    finally:
        reporter.remove_sender(report)
    await sender._send_rtcp([RtcpByePacket(sources=[sender._ssrc])])
    sender._RTCRtpSender__rtcp_exited.set()


async def receiver_membership(receiver: Any) -> None:
    """Stands in for aiortc's `RTCRtpReceiver._run_rtcp`."""
    receiver._RTCRtpReceiver__rtcp_started.set()
    reporter = Reporter.of(receiver.transport)
    reporter.add_receiver(receiver)
    try:
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        pass
    finally:
        reporter.remove_receiver(receiver)
    receiver._RTCRtpReceiver__rtcp_exited.set()
