"""The forwarding path's packet rewriting, unit by unit: a packet forwarded by an Egress
(shared template, per-subscriber patch, in-place SRTP) decrypts and parses back with the
subscriber's payload type, SSRC, numbering and header extensions; NACK bookkeeping agrees
with aiortc's; the SRTP helpers refuse what does not authenticate."""

from __future__ import annotations

import os
import random
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest
from aiortc import RTCPeerConnection
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpParameters,
)
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import HeaderExtensionsMap, RtcpPacket, RtcpSrPacket, RtpPacket
from hypothesis import given, settings
from hypothesis import strategies as st

from rtc import srtp
from rtc.egress import _DTLS_CONNECTED, Egress, IdleTrack
from rtc.ingress import NackTracker
from rtc.rtp import (
    TEMPLATE_PATCH,
    URI_ABS_SEND_TIME,
    URI_AUDIO_LEVEL,
    URI_MID,
    FastPacket,
    HeaderWriter,
)
from rtc.stats import SubscriptionStats

PROFILE = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM


def _session_pair() -> tuple[pylibsrtp.Session, pylibsrtp.Session]:
    key = os.urandom(28)
    policy = pylibsrtp.Policy
    tx = pylibsrtp.Session(
        policy(key=key, ssrc_type=policy.SSRC_ANY_OUTBOUND, srtp_profile=PROFILE)
    )
    rx = pylibsrtp.Session(policy(key=key, ssrc_type=policy.SSRC_ANY_INBOUND, srtp_profile=PROFILE))
    return tx, rx


def _extensions_map(extensions: list[RTCRtpHeaderExtensionParameters]) -> HeaderExtensionsMap:
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=extensions))
    return extensions_map


class _Subscriber:
    """What an Egress needs of the subscription and track it forwards (no live peers)."""

    def __init__(self, publisher_codecs: dict[int, str]) -> None:
        self.paused = False
        self.drop = None
        self.stats = SubscriptionStats(track_id="t", subscriber_id="s", kind="video")
        self.keyframe_requests = 0
        codecs = publisher_codecs

        def request_keyframe() -> bool:
            self.keyframe_requests += 1
            return True

        self.track = SimpleNamespace(
            codec_name=lambda pt: codecs.get(pt), request_keyframe=request_keyframe
        )


async def _egress(
    kind: str,
    mid: str,
    extensions: list[RTCRtpHeaderExtensionParameters],
    codecs: list[RTCRtpCodecParameters],
    tx: pylibsrtp.Session,
    publisher_codecs: dict[int, str],
) -> tuple[Egress, list[bytes], _Subscriber, RTCPeerConnection]:
    """An Egress on a real transceiver, its answer's parameters and its connected send path
    set by hand: what `configure()` and `_connected_send()` read from a live connection."""
    pc = RTCPeerConnection()
    transceiver = pc.addTransceiver(IdleTrack(kind), direction="sendonly")
    transceiver._set_mid(mid)
    transceiver._codecs = codecs
    transceiver._headerExtensions = extensions
    egress = Egress(transceiver, 128)
    egress.configure()
    sent: list[bytes] = []
    egress._dtls = SimpleNamespace(_state=_DTLS_CONNECTED)
    egress._srtp_session, egress._srtp_context = tx, srtp.session_pointer(tx)
    egress._sendto = lambda data, addr: sent.append(data)
    egress._addr = ("127.0.0.1", 9)
    egress._direct = True
    egress._send = lambda data: None
    subscriber = _Subscriber(publisher_codecs)
    egress.bind(subscriber)  # type: ignore[arg-type]
    return egress, sent, subscriber, pc


VIDEO_EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri=URI_MID),
    RTCRtpHeaderExtensionParameters(id=3, uri=URI_ABS_SEND_TIME),
]
AUDIO_EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=1, uri=URI_MID),
    RTCRtpHeaderExtensionParameters(id=2, uri=URI_AUDIO_LEVEL),
]
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=120)
RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=121, parameters={"apt": 120}
)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=109)
KEYFRAME = bytes([0x10, 0x00, 0x9D, 0x01, 0x2A]) + b"k" * 900  # S=1, PID=0; P bit 0
DELTA = bytes([0x10, 0x01]) + b"d" * 1100  # S=1, PID=0; P bit 1


@pytest.mark.parametrize("mids", [("0", "1"), ("3", "12")])
async def test_forwarded_video_parses_back_per_subscriber(mids: tuple[str, str]) -> None:
    """Two subscribers of one packet (the second reuses the first's template) each get
    their own payload type, SSRC, numbering, MID and abs-send-time."""
    tx, rx = _session_pair()
    publisher_codecs = {96: "vp8"}
    made = [
        await _egress("video", mid, VIDEO_EXTENSIONS, [VP8, RTX], tx, publisher_codecs)
        for mid in mids
    ]
    try:
        ntp = (3_900_000_000 << 32) | 0x9ABCDEF0
        packets = [
            FastPacket(1, 96, 65535, 4_294_967_000, 0x1111, KEYFRAME),
            FastPacket(0, 96, 0, 4_294_967_000 + 3000, 0x1111, DELTA),  # wraps
            FastPacket(1, 96, 1, 4_294_967_000 + 3000, 0x1111, DELTA[:300]),
        ]
        for packet in packets:
            for egress, *_ in made:
                egress.forward(packet, ntp)
            # the packet carries the template of the last layout serialised for it
            assert packet.template_layout is made[-1][0]._layout
        extensions_map = _extensions_map(VIDEO_EXTENSIONS)
        for (egress, sent, subscriber, _), mid in zip(made, mids, strict=True):
            parsed = [RtpPacket.parse(rx.unprotect(data), extensions_map) for data in sent]
            assert [p.payload for p in parsed] == [p.payload for p in packets]
            assert [p.marker for p in parsed] == [1, 0, 1]
            assert {p.payload_type for p in parsed} == {120}
            assert {p.ssrc for p in parsed} == {egress.sender._ssrc}
            first = parsed[0]
            assert [p.sequence_number for p in parsed] == [
                (first.sequence_number + i) & 0xFFFF for i in range(3)
            ]
            assert (parsed[1].timestamp - first.timestamp) & 0xFFFFFFFF == 3000
            assert parsed[2].timestamp == parsed[1].timestamp
            assert {p.extensions.mid for p in parsed} == {mid}
            assert {p.extensions.abs_send_time for p in parsed} == {(ntp >> 14) & 0xFFFFFF}
            assert subscriber.stats.packets_out == 3
            # its sender report: the counts and the (NTP, RTP) time of the last packet
            data, ssrc, _ = egress._sender_report(1.0)
            (report,) = RtcpPacket.parse(data)
            assert isinstance(report, RtcpSrPacket) and report.ssrc == ssrc
            info = report.sender_info
            assert (info.packet_count, info.rtp_timestamp) == (3, parsed[-1].timestamp)
            assert info.ntp_timestamp == ntp
            assert info.octet_count == sum(len(p.payload) for p in packets)
        # the two subscribers' SSRCs and numbering are their own
        assert made[0][0].sender._ssrc != made[1][0].sender._ssrc
    finally:
        for *_, pc in made:
            await pc.close()


async def test_forwarded_audio_keeps_the_audio_level() -> None:
    tx, rx = _session_pair()
    egress, sent, _, pc = await _egress("audio", "2", AUDIO_EXTENSIONS, [OPUS], tx, {111: "opus"})
    try:
        for n, level in enumerate([(True, 30), (False, 127), None]):
            egress.forward(FastPacket(0, 111, 500 + n, 960 * n, 0x2222, b"opus", level), 0)
        parsed = [
            RtpPacket.parse(rx.unprotect(data), _extensions_map(AUDIO_EXTENSIONS)) for data in sent
        ]
        assert [p.extensions.audio_level for p in parsed] == [(True, 30), (False, 127), None]
        assert {p.payload_type for p in parsed} == {109}
        assert {p.extensions.mid for p in parsed} == {"2"}
    finally:
        await pc.close()


async def test_video_waits_for_a_keyframe_and_retransmits_as_rtx() -> None:
    tx, rx = _session_pair()
    egress, sent, subscriber, pc = await _egress(
        "video", "0", VIDEO_EXTENSIONS, [VP8, RTX], tx, {96: "vp8"}
    )
    try:
        egress.forward(FastPacket(1, 96, 10, 0, 0x1111, DELTA), 0)
        assert sent == [] and subscriber.keyframe_requests == 1
        egress.forward(FastPacket(1, 96, 11, 3000, 0x1111, KEYFRAME), 0)
        original = RtpPacket.parse(rx.unprotect(sent[0]), _extensions_map(VIDEO_EXTENSIONS))
        egress._retransmit(original.sequence_number)
        rtx = RtpPacket.parse(rx.unprotect(sent[1]), _extensions_map(VIDEO_EXTENSIONS))
        assert rtx.payload_type == 121 and rtx.ssrc == egress.sender._rtx_ssrc
        assert int.from_bytes(rtx.payload[:2], "big") == original.sequence_number
        assert rtx.payload[2:] == KEYFRAME
    finally:
        await pc.close()


@pytest.mark.parametrize(
    "extensions", [[], VIDEO_EXTENSIONS, AUDIO_EXTENSIONS, [*VIDEO_EXTENSIONS, AUDIO_EXTENSIONS[1]]]
)
@pytest.mark.parametrize("mid", [None, "7", "abc"])
def test_patched_template_is_the_serialised_packet(
    extensions: list[RTCRtpHeaderExtensionParameters], mid: str | None
) -> None:
    """Template + patch (what Egress.forward writes) == serialize (the whole packet)."""
    writer = HeaderWriter(mid, extensions)
    other = HeaderWriter("x" * len(mid) if mid else mid, extensions)
    assert other.layout is writer.layout  # one template serves both
    ntp = random.getrandbits(64)
    template = bytearray(other.template(b"payload", (True, 9), ntp))
    TEMPLATE_PATCH.pack_into(template, 1, (1 << 7) | 100, 4242, 123456789, 0xCAFEBABE)
    if writer.mid_raw:
        template[writer.mid_offset : writer.mid_offset + len(writer.mid_raw)] = writer.mid_raw
    expected = writer.serialize(100, 1, 4242, 123456789, 0xCAFEBABE, b"payload", (True, 9), ntp)
    assert bytes(template) == expected


def test_srtp_helpers_round_trip_and_refuse_tampering() -> None:
    tx, rx = _session_pair()
    packet = HeaderWriter(None, []).serialize(96, 0, 7, 1, 5, os.urandom(1200), None, 0)
    protected = srtp.protect(srtp.session_pointer(tx), packet)
    assert protected is not None and protected != packet
    assert srtp.unprotect(srtp.session_pointer(rx), protected) == packet
    assert srtp.unprotect(srtp.session_pointer(rx), protected) is None  # a replay
    later = HeaderWriter(None, []).serialize(96, 0, 8, 1, 5, os.urandom(1200), None, 0)
    tampered = bytearray(srtp.protect(srtp.session_pointer(tx), later) or b"")
    tampered[-1] ^= 1
    assert srtp.unprotect(srtp.session_pointer(rx), bytes(tampered)) is None
    assert srtp.unprotect(srtp.session_pointer(rx), b"\x80" * (srtp.SCRATCH_SIZE + 1)) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-40, max_value=400), min_size=1, max_size=300))
def test_nack_tracker_agrees_with_aiortc(steps: list[int]) -> None:
    """Same missing set and same "newly missing" answers as aiortc's NackGenerator over
    sequences with gaps, reordering, duplicates and wrap-around."""
    ours, theirs = NackTracker(), NackGenerator()
    seq = 65500
    for step in steps:
        seq = (seq + step) & 0xFFFF
        packet = RtpPacket(sequence_number=seq)
        assert ours.add(seq) == theirs.add(packet)
        assert ours.missing == theirs.missing
        assert ours.max_seq == theirs.max_seq


async def test_one_compound_report_per_connection() -> None:
    """The relay's senders' SRs and its receiver's RR go out as one compound packet: the
    reports first, then one SDES with each sender's CNAME."""
    from aiortc.rtcrtpreceiver import StreamStatistics
    from aiortc.rtp import RtcpRrPacket, RtcpSdesPacket

    from rtc.rtcp import Reporter, sender_report

    pc = RTCPeerConnection()
    try:
        senders = [
            pc.addTransceiver(IdleTrack(kind), direction="sendonly").sender
            for kind in ("audio", "video")
        ]
        receiver: Any = pc.addTransceiver("video", direction="recvonly").receiver
        for n, sender in enumerate(senders):
            setattr(sender, "_RTCRtpSender__cname", f"relay-{n}")  # noqa: B010
        receiver._RTCRtpReceiver__rtcp_ssrc = 4242
        stream = StreamStatistics(90000)
        for seq in (65534, 65535, 1):  # one lost, across the wrap
            stream.add(RtpPacket(sequence_number=seq, timestamp=seq))
        receiver._RTCRtpReceiver__remote_streams[777] = stream
        reporter = Reporter(pc.getTransceivers()[0].sender.transport)
        for n, sender in enumerate(senders):
            reporter.add_sender(
                lambda now, s=sender, n=n: sender_report(s, n << 32, 90 * n, 10 + n, 99, now)
            )
        reporter.add_receiver(receiver)
        packets = RtcpPacket.parse(reporter.compound(2.0))
        kinds = [RtcpSrPacket, RtcpSrPacket, RtcpRrPacket, RtcpSdesPacket]
        assert [type(p) for p in packets] == kinds
        assert [p.ssrc for p in packets[:2]] == [s._ssrc for s in senders]
        assert [p.sender_info.packet_count for p in packets[:2]] == [10, 11]
        (block,) = packets[2].reports
        assert (packets[2].ssrc, block.ssrc) == (4242, 777)
        assert block.highest_sequence == (1 << 16) + 1  # extended: one wrap
        assert block.packets_lost == 1
        assert [(c.ssrc, c.items) for c in packets[3].chunks] == [
            (s._ssrc, [(1, f"relay-{n}".encode())]) for n, s in enumerate(senders)
        ]
        reporter.remove_receiver(receiver)
        while reporter._senders:
            reporter.remove_sender(reporter._senders[0])
        assert reporter._task is None
    finally:
        await pc.close()
