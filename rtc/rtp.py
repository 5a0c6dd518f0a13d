"""RTP on the forwarding path: VP8 keyframe detection and per-subscriber header writing."""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 (NTP) to 1970 (Unix)
URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
URI_AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

_HEADER = struct.Struct("!BBHLL")
_HEADER_WITH_EXTENSION = struct.Struct("!BBHLLHH")
_SEQUENCE_NUMBER = struct.Struct("!H")


def ntp_now() -> int:
    """Now as a 64-bit NTP timestamp (cheaper than aiortc.clock's datetime round trip)."""
    return int((time.time() + NTP_EPOCH_OFFSET) * 4294967296.0)


def is_vp8_keyframe_start(payload: bytes) -> bool:
    """True if this VP8 RTP payload starts a keyframe (RFC 7741 descriptor, then P bit 0)."""
    if len(payload) < 2:
        return False
    first = payload[0]
    if not first & 0x10 or first & 0x07:  # S=1 and PID=0: start of partition 0
        return False
    pos = 1
    if first & 0x80:  # X: extended control bits
        extended = payload[1]
        pos = 2
        if extended & 0x80:  # I: picture id, 7 or 15 bits
            if pos >= len(payload):
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if extended & 0x40:  # L: TL0PICIDX
            pos += 1
        if extended & 0x30:  # T or K: TID/Y/KEYIDX
            pos += 1
    return pos < len(payload) and not payload[pos] & 0x01


class HeaderWriter:
    """Serialises forwarded packets with one subscriber's MID and header-extension ids.

    Only the extensions aiortc negotiates are written: MID, abs-send-time (rewritten to the
    relay's send time) and the publisher's audio level (RFC 6464, passed through).
    """

    def __init__(self, mid: str | None, extensions: Sequence[RTCRtpHeaderExtensionParameters]):
        ids = {ext.uri: ext.id for ext in extensions}
        mid_id = ids.get(URI_MID)
        self._mid_element = b""
        if mid_id and mid:
            raw = mid.encode("utf8")
            self._mid_element = bytes([(mid_id << 4) | (len(raw) - 1)]) + raw
        ast_id = ids.get(URI_ABS_SEND_TIME)
        self._ast_prefix = ast_id << 4 | 2 if ast_id else 0
        audio_level_id = ids.get(URI_AUDIO_LEVEL)
        self._audio_level_prefix = audio_level_id << 4 if audio_level_id else 0

    def serialize(
        self,
        payload_type: int,
        marker: int,
        sequence_number: int,
        timestamp: int,
        ssrc: int,
        payload: bytes,
        audio_level: tuple[bool, int] | None,
        ntp: int,
    ) -> bytes:
        extension = self._mid_element
        if self._ast_prefix:
            ast = (ntp >> 14) & 0xFFFFFF
            extension += bytes((self._ast_prefix, ast >> 16, (ast >> 8) & 0xFF, ast & 0xFF))
        if self._audio_level_prefix and audio_level is not None:
            extension += bytes((self._audio_level_prefix, audio_level[1] | (audio_level[0] << 7)))
        if not extension:
            return (
                _HEADER.pack(0x80, (marker << 7) | payload_type, sequence_number, timestamp, ssrc)
                + payload
            )
        padding = -len(extension) % 4
        if padding:
            extension += b"\x00" * padding
        return (
            _HEADER_WITH_EXTENSION.pack(
                0x90,
                (marker << 7) | payload_type,
                sequence_number,
                timestamp,
                ssrc,
                0xBEDE,
                len(extension) >> 2,
            )
            + extension
            + payload
        )


def rtx_payload(original_sequence_number: int, payload: bytes) -> bytes:
    """An RTX payload (RFC 4588): the original sequence number, then the original payload."""
    return _SEQUENCE_NUMBER.pack(original_sequence_number) + payload
