"""Counters of the relay as plain dataclasses, for the organiser's board and Prometheus."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TrackStats:
    """What the relay received for one published track (publisher -> relay)."""

    track_id: str
    peer_id: str
    kind: str
    packets_in: int = 0
    bytes_in: int = 0
    nacks_sent: int = 0  # NACK packets the relay sent upstream for lost packets
    plis_sent: int = 0  # keyframe requests the relay sent upstream
    remb_sent_bps: int | None = None


@dataclass
class SubscriptionStats:
    """What the relay sent for one subscription (relay -> subscriber)."""

    track_id: str
    subscriber_id: str
    kind: str
    packets_out: int = 0
    bytes_out: int = 0
    retransmissions: int = 0
    nacks_received: int = 0
    plis_received: int = 0
    remb_bps: int | None = None
    rtt_s: float | None = None
    dropped_by_test: int = 0


@dataclass
class PeerStats:
    """One peer: its published tracks, its subscriptions and their totals."""

    peer_id: str
    connection_state: str
    packets_in: int = 0
    bytes_in: int = 0
    packets_out: int = 0
    bytes_out: int = 0
    nacks: int = 0
    plis: int = 0
    rtt_s: float | None = None
    tracks: list[TrackStats] = field(default_factory=list)
    subscriptions: list[SubscriptionStats] = field(default_factory=list)
