"""Ingress keeps one media stream per receiver: another stream's packets, routed to it by
aiortc before the answer naming their SSRC was applied, are dropped, not forwarded."""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from rtc.ingress import AnyRtpPacket, Ingress
from rtc.rtp import FastPacket

OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)


def _packet(ssrc: int, sequence_number: int) -> FastPacket:
    return FastPacket(0, 111, sequence_number, sequence_number * 960, ssrc, b"\x01" * 40)


async def test_a_second_streams_packets_are_dropped_not_forwarded() -> None:
    pc = RTCPeerConnection()
    try:
        receiver = pc.addTransceiver("audio", direction="recvonly").receiver
        ingress = Ingress(receiver)
        ingress._codecs[OPUS.payloadType] = OPUS  # as receive() fills it from the answer
        forwarded: list[AnyRtpPacket] = []
        ingress.on_packet = lambda packet, now: forwarded.append(packet)

        for n in range(5):
            ingress.process(_packet(1111, 100 + n), 0.0)
        # The second track of the kind starts sending (another SSRC, far-off sequence).
        for n in range(3):
            ingress.process(_packet(2222, 40000 + n), 0.0)
        ingress.process(_packet(1111, 105), 0.0)

        assert [p.ssrc for p in forwarded] == [1111] * 6
        assert [p.sequence_number for p in forwarded] == list(range(100, 106))
        assert ingress.foreign_packets == 3
        assert ingress.media_ssrc == 1111
    finally:
        await pc.close()
