"""Startup check: the aiortc version is the pinned one and every private hook exists."""

from __future__ import annotations

import asyncio
import types
import warnings
from importlib.metadata import version
from typing import Any

import aioice.ice
import aiortc.rtcdtlstransport
import aiortc.rtcrtpreceiver
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport

from .errors import IncompatibleAiortc

AIORTC_VERSION = "1.16.0"

RECEIVER_ATTRIBUTES = (
    "_enabled",
    "_handle_rtp_packet",
    "_handle_rtcp_packet",
    "_send_rtcp",
    "_send_rtcp_nack",
    "_send_rtcp_pli",
    "_RTCRtpReceiver__codecs",
    "_RTCRtpReceiver__rtx_ssrc",
    "_RTCRtpReceiver__nack_generator",
    "_RTCRtpReceiver__remote_streams",
    "_RTCRtpReceiver__remote_bitrate_estimator",
    "_RTCRtpReceiver__jitter_buffer",
    "_RTCRtpReceiver__rtcp_ssrc",
    "_RTCRtpReceiver__kind",
    "_RTCRtpReceiver__lsr",
    "_RTCRtpReceiver__lsr_time",
    "_RTCRtpReceiver__rtcp_started",
    "_RTCRtpReceiver__rtcp_exited",
    "_run_rtcp",
)
SENDER_ATTRIBUTES = (
    "_ssrc",
    "_rtx_ssrc",
    "_track_id",
    "_stream_id",
    "_handle_rtcp_packet",
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__octet_count",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__rtt",
    "_RTCRtpSender__lsr",
    "_RTCRtpSender__lsr_time",
    "_RTCRtpSender__cname",
    "_RTCRtpSender__rtcp_started",
    "_RTCRtpSender__rtcp_exited",
    "_run_rtcp",
    "_send_rtcp",
)
TRANSCEIVER_ATTRIBUTES = ("_codecs", "_headerExtensions", "_offerDirection")


def _sample_objects() -> tuple[RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver]:
    """A receiver, sender and transceiver on a stub transport, to look at their attributes."""
    stub = types.SimpleNamespace(state="new")
    try:
        asyncio.get_running_loop()
        temporary_loop = None
    except RuntimeError:  # RTCRtpSender wants an event loop; lend it one
        temporary_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(temporary_loop)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            receiver = RTCRtpReceiver("video", stub)  # type: ignore[arg-type]
            sender = RTCRtpSender("video", stub)  # type: ignore[arg-type]
            return receiver, sender, RTCRtpTransceiver("video", receiver, sender)
    finally:
        if temporary_loop is not None:
            asyncio.set_event_loop(None)
            temporary_loop.close()


def check_aiortc() -> None:
    """Raise IncompatibleAiortc unless aiortc is 1.16.0 with every attribute rtc/ hooks."""
    installed = version("aiortc")
    if installed != AIORTC_VERSION:
        raise IncompatibleAiortc(
            f"rtc/ hooks aiortc {AIORTC_VERSION} internals; aiortc {installed} is installed"
        )
    missing: list[str] = []
    modules: tuple[tuple[Any, tuple[str, ...]], ...] = (
        (aioice.ice, ("get_host_addresses",)),
        (aiortc.rtcrtpreceiver, ("StreamStatistics", "NackGenerator")),
        (RTCDtlsTransport, ("_send_rtp", "state")),
        (aiortc.rtcdtlstransport, ("State",)),
        (aioice.ice.CandidatePair, ("remote_addr",)),
        (aioice.ice.Connection, ("send",)),
    )
    for owner, names in modules:
        missing += [f"{owner.__name__}.{n}" for n in names if not hasattr(owner, n)]

    receiver, sender, transceiver = _sample_objects()
    checks: tuple[tuple[object, tuple[str, ...]], ...] = (
        (receiver, RECEIVER_ATTRIBUTES),
        (sender, SENDER_ATTRIBUTES),
        (transceiver, TRANSCEIVER_ATTRIBUTES),
    )
    for obj, names in checks:
        missing += [f"{type(obj).__name__}.{n}" for n in names if not hasattr(obj, n)]
    if missing:
        raise IncompatibleAiortc(
            f"aiortc {installed} lacks the internals rtc/ hooks: {', '.join(missing)}"
        )
