"""Relay settings: ICE, keyframe requests, NACK history, speaking thresholds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RelayConfig:
    """Settings of a relay registry; build it from the application settings.

    ice_servers: dicts like ``{"urls": "stun:host:3478", "username": ..., "credential": ...}``
      or ``aiortc.RTCIceServer``; empty by default so aiortc's public STUN is never used.
    ice_host_addresses: the local addresses ICE gathers (e.g. ``["127.0.0.1"]`` for tests or
      a single-machine demo); None keeps aioice's own choice (every interface but loopback).
    announced_address: a public IP written into the server's candidates instead of the local
      one, for a relay behind NAT with forwarded ports (mediasoup ``announcedIp``).
    """

    ice_servers: list[Any] = field(default_factory=list)
    ice_host_addresses: list[str] | None = None
    announced_address: str | None = None
    keyframe_requests_enabled: bool = True
    keyframe_request_min_interval_s: float = 0.5
    nack_history_size: int = 128
    remb_min_interval_s: float = 0.5
    audio_level_interval_s: float = 0.25
    speaking_on_dbov: float = -45.0
    speaking_off_dbov: float = -55.0
    speaking_hold_s: float = 0.4
