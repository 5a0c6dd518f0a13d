"""ICE settings in one place: servers, host addresses (loopback), announced address, mDNS."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import aioice.ice
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer

from .config import RelayConfig

logger = logging.getLogger(__name__)

# aioice drops 127.0.0.1 and ::1 from host candidates and has no option for it; aiortc's
# gathering looks this module-level function up on every gather, so rebinding it is enough.
_AIOICE_GET_HOST_ADDRESSES = aioice.ice.get_host_addresses


def apply_host_addresses(addresses: Sequence[str] | None) -> None:
    """Make ICE gather exactly these local addresses (process-wide); None restores aioice's."""
    if addresses is None:
        aioice.ice.get_host_addresses = _AIOICE_GET_HOST_ADDRESSES
        return
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses
    logger.info("ICE host addresses set to %s", chosen)


def _ice_server(server: Any) -> RTCIceServer:
    if isinstance(server, RTCIceServer):
        return server
    if isinstance(server, dict):
        return RTCIceServer(
            urls=server["urls"],
            username=server.get("username"),
            credential=server.get("credential"),
        )
    if isinstance(server, str):
        return RTCIceServer(urls=server)
    raise TypeError(f"not an ICE server: {server!r}")


def rtc_configuration(config: RelayConfig) -> RTCConfiguration:
    """The RTCConfiguration for a relay peer: only the configured ICE servers, never a
    default; max-bundle, one transport from the first offer. (With aiortc's default
    "balanced" policy a second m-line of a kind in the same offer shares the first one's
    transport but is skipped when the answer's BUNDLE moves transceivers to the primary
    transport, so that track never flows: a seat joining a room with tracks would miss
    all but one of each kind.)"""
    return RTCConfiguration(
        iceServers=[_ice_server(s) for s in config.ice_servers],
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


def announce_address(sdp: str, address: str | None) -> str:
    """Put the announced public address into the host candidates of a local description."""
    if not address:
        return sdp
    lines = []
    for line in sdp.split("\r\n"):
        if line.startswith("a=candidate:"):
            bits = line.split(" ")
            if len(bits) >= 8 and bits[7] == "host":
                bits[4] = address
                line = " ".join(bits)
        elif line.startswith("c=IN IP4 ") and ":" not in address:
            line = f"c=IN IP4 {address}"
        lines.append(line)
    return "\r\n".join(lines)


def is_mdns_candidate(candidate: str) -> bool:
    """True for a ``<uuid>.local`` candidate: resolving it would multicast off loopback."""
    bits = candidate.split()
    return len(bits) >= 5 and bits[4].endswith(".local")


def drop_mdns_candidates(sdp: str) -> str:
    """Remove mDNS candidates from a remote description (aioice would look them up)."""
    return "\r\n".join(
        line
        for line in sdp.split("\r\n")
        if not (line.startswith("a=candidate:") and is_mdns_candidate(line[2:]))
    )
