"""Pure parts of rtc/: header writing, keyframe detection, ICE helpers, speaking detection."""

from __future__ import annotations

import aioice.ice
import pytest
from aiortc.codecs.vpx import VpxPayloadDescriptor
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from rtc import RelayConfig
from rtc.audio_level import SpeakingDetector, level_from_opus_size
from rtc.ice import (
    announce_address,
    apply_host_addresses,
    drop_mdns_candidates,
    is_mdns_candidate,
    rtc_configuration,
)
from rtc.rtp import (
    URI_ABS_SEND_TIME,
    URI_AUDIO_LEVEL,
    URI_MID,
    HeaderWriter,
    is_vp8_keyframe_start,
    parse_rtp,
)

EXTENSIONS = [
    RTCRtpHeaderExtensionParameters(id=4, uri=URI_MID),
    RTCRtpHeaderExtensionParameters(id=7, uri=URI_ABS_SEND_TIME),
    RTCRtpHeaderExtensionParameters(id=9, uri=URI_AUDIO_LEVEL),
]


def test_header_writer_output_parses_back_with_the_subscriber_ids() -> None:
    writer = HeaderWriter("3", EXTENSIONS)
    ntp = (3_900_000_000 << 32) | 0x12345678
    data = writer.serialize(111, 1, 65535, 4_000_000_000, 0xDEADBEEF, b"opus", (True, 42), ntp)
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=EXTENSIONS))
    packet = RtpPacket.parse(data, extensions_map)
    assert (packet.payload_type, packet.marker, packet.sequence_number) == (111, 1, 65535)
    assert (packet.timestamp, packet.ssrc, packet.payload) == (4_000_000_000, 0xDEADBEEF, b"opus")
    assert packet.extensions.mid == "3"
    assert packet.extensions.abs_send_time == (ntp >> 14) & 0xFFFFFF
    assert packet.extensions.audio_level == (True, 42)


def test_header_writer_without_extensions_writes_a_plain_header() -> None:
    data = HeaderWriter(None, []).serialize(96, 0, 1, 2, 3, b"x", None, 0)
    assert len(data) == 13 and data[0] == 0x80


@pytest.mark.parametrize("picture_id", [None, 5, 300])
def test_vp8_keyframe_start(picture_id: int | None) -> None:
    def payload(start: bool, partition: int, first_byte: int) -> bytes:
        descriptor = VpxPayloadDescriptor(
            partition_start=int(start), partition_id=partition, picture_id=picture_id
        )
        return bytes(descriptor) + bytes([first_byte, 0, 0])

    assert is_vp8_keyframe_start(payload(True, 0, 0x10))  # P bit 0: keyframe
    assert not is_vp8_keyframe_start(payload(True, 0, 0x11))  # interframe
    assert not is_vp8_keyframe_start(payload(False, 0, 0x10))  # not a frame start
    assert not is_vp8_keyframe_start(payload(True, 1, 0x10))  # not partition 0
    assert not is_vp8_keyframe_start(b"\x10")


SDP = (
    "v=0\r\nc=IN IP4 10.0.0.5\r\n"
    "a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host\r\n"
    "a=candidate:2 1 udp 1694498815 1.2.3.4 40000 typ srflx raddr 10.0.0.5 rport 40000\r\n"
    "a=candidate:3 1 udp 2130706431 9b36eaac-bb2e-49bb-bb78-21c41c499900.local 5000 typ host"
)


def test_announced_address_replaces_host_candidates_only() -> None:
    announced = announce_address(SDP, "203.0.113.7")
    assert "203.0.113.7 40000 typ host" in announced
    assert "c=IN IP4 203.0.113.7" in announced
    assert "1.2.3.4 40000 typ srflx" in announced
    assert announce_address(SDP, None) == SDP


def test_mdns_candidates_are_dropped() -> None:
    assert is_mdns_candidate("candidate:3 1 udp 1 abc.local 5000 typ host")
    assert not is_mdns_candidate("candidate:1 1 udp 1 10.0.0.5 5000 typ host")
    kept = drop_mdns_candidates(SDP)
    assert ".local" not in kept and "10.0.0.5 40000" in kept


def test_ice_servers_are_only_the_configured_ones() -> None:
    assert rtc_configuration(RelayConfig()).iceServers == []
    servers = rtc_configuration(
        RelayConfig(
            ice_servers=[{"urls": "turn:turn.example:3478", "username": "u", "credential": "p"}]
        )
    ).iceServers
    assert servers is not None and [s.urls for s in servers] == ["turn:turn.example:3478"]


def test_host_addresses_rebinding_and_restore() -> None:
    original = aioice.ice.get_host_addresses
    try:
        apply_host_addresses(["127.0.0.1", "::1"])
        assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
        apply_host_addresses(None)
        assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)
    finally:
        aioice.ice.get_host_addresses = original


def test_speaking_hysteresis() -> None:
    detector = SpeakingDetector(RelayConfig(speaking_hold_s=0.3))
    now = 0.0
    changes = []
    for level in [-90.0] * 10 + [-20.0] * 20 + [-50.0] * 20 + [-90.0] * 40:
        now += 0.02
        if detector.feed(level, now):
            changes.append((round(now, 2), detector.speaking))
    # on during the loud part; -50 is between the thresholds: still speaking; off only
    # after 0.3 s below -55
    assert [speaking for _, speaking in changes] == [True, False]
    on_at, off_at = changes[0][0], changes[1][0]
    assert 0.2 < on_at < 0.4
    assert off_at >= 1.0 + 0.3


def test_opus_size_estimate_is_monotonic() -> None:
    sizes = [3, 10, 20, 40, 60, 80, 200]
    levels = [level_from_opus_size(s) for s in sizes]
    assert levels == sorted(levels) and levels[0] == -127.0 and levels[-1] == -20.0


@pytest.mark.parametrize(
    "audio_level, csrc, padding", [((True, 37), [], 0), (None, [7, 8], 0), ((False, 90), [], 5)]
)
def test_fast_parse_agrees_with_aiortc(
    audio_level: tuple[bool, int] | None, csrc: list[int], padding: int
) -> None:
    extensions_map = HeaderExtensionsMap()
    extensions_map.configure(RTCRtpParameters(headerExtensions=EXTENSIONS))
    packet = RtpPacket(payload_type=111, marker=1, sequence_number=9, timestamp=10, ssrc=11)
    packet.payload = b"opus-payload"
    packet.csrc = csrc
    packet.padding_size = padding
    packet.extensions.mid = "0"
    packet.extensions.abs_send_time = 123
    packet.extensions.audio_level = audio_level
    data = packet.serialize(extensions_map)

    expected = RtpPacket.parse(data, extensions_map)
    fast = parse_rtp(data, 9)
    for field in (
        "marker",
        "payload_type",
        "sequence_number",
        "timestamp",
        "ssrc",
        "payload",
        "padding_size",
    ):
        assert getattr(fast, field) == getattr(expected, field), field
    assert list(fast.csrc) == expected.csrc
    assert fast.extensions.audio_level == expected.extensions.audio_level == audio_level
    with pytest.raises(ValueError):
        parse_rtp(data[:8], 9)
