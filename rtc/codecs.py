"""The codecs the relay negotiates: VP8 with RTX for video, Opus for audio."""

from __future__ import annotations

from aiortc import RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

PREFERRED_MIME_TYPES = {"video": ("video/vp8", "video/rtx"), "audio": ("audio/opus",)}


def preferred_codecs(kind: str) -> list[RTCRtpCodecCapability]:
    capabilities = RTCRtpSender.getCapabilities(kind)
    wanted = PREFERRED_MIME_TYPES[kind]
    return [c for c in capabilities.codecs if c.mimeType.lower() in wanted]


def prefer_relay_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Offer only codecs the relay can forward without transcoding."""
    transceiver.setCodecPreferences(preferred_codecs(transceiver.kind))
