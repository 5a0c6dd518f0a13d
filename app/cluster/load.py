"""This node's load, sampled once per heartbeat: rooms, seats, packets, CPU and event-loop lag.

The relay's counters live on its peers and subscriptions, which come and go with the seats;
the sampler keeps the last value of each and adds what each grew by since, so the node's
totals only ever grow (what a peer forwarded between its last sample and its close is lost:
at most one interval). CPU is this process's own (user + system, every thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rtc.stats import PeerStats

LAG_PROBE_SECONDS = 0.1
MIN_INTERVAL_SECONDS = 0.2

# (room id, peer stats) of every peer the relay has now.
RelayPeers = Callable[[], Iterable[tuple[str, PeerStats]]]


@dataclass(frozen=True, slots=True)
class NodeLoad:
    rooms: int = 0
    seats: int = 0
    cpu: float = 0.0  # share of one core over the last interval
    cpu_seconds: float = 0.0  # total, since the process started
    packets_in: int = 0  # totals since the node started
    packets_out: int = 0
    nacks_received: int = 0  # from subscribers (they lost packets the relay sent)
    plis_received: int = 0
    retransmissions: int = 0  # packets resent (RTX) answering those NACKs
    nacks_sent: int = 0  # to publishers (the relay lost packets they sent)
    plis_sent: int = 0
    packets_in_per_s: float = 0.0
    packets_out_per_s: float = 0.0
    cpu_per_1000_packets: float = 0.0  # CPU seconds per 1000 forwarded packets, last interval
    loop_lag_s: float = 0.0  # the worst event-loop delay seen over the last interval
    at: float = 0.0  # time.monotonic() of the sample


@dataclass
class _Totals:
    last: dict[tuple[str, ...], tuple[int, ...]] = field(default_factory=dict)
    sums: list[int] = field(default_factory=lambda: [0] * 7)

    def add(self, key: tuple[str, ...], values: tuple[int, ...], slots: tuple[int, ...]) -> None:
        before = self.last.get(key, (0,) * len(values))
        for slot, now, then in zip(slots, values, before, strict=True):
            self.sums[slot] += max(0, now - then)
        self.last[key] = values


class LoadSampler:
    """Call `sample()` once per interval; `start()` runs the event-loop lag probe."""

    def __init__(self, *, rooms: Callable[[], tuple[int, int]], relay_peers: RelayPeers) -> None:
        self._rooms = rooms  # () -> (open rooms, seats in them)
        self._relay_peers = relay_peers
        self._totals = _Totals()
        self._cpu = time.process_time()
        self._at = time.monotonic()
        self._lag = 0.0
        self._probe: asyncio.Task[None] | None = None
        self.last = NodeLoad(at=self._at, cpu_seconds=self._cpu)

    def start(self) -> None:
        self._cpu, self._at = time.process_time(), time.monotonic()
        if self._probe is None:
            self._probe = asyncio.create_task(self._probe_lag(), name="node-loop-lag")

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None

    async def _probe_lag(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(LAG_PROBE_SECONDS)
            self._lag = max(self._lag, loop.time() - started - LAG_PROBE_SECONDS)

    def sample(self) -> NodeLoad:
        now, cpu = time.monotonic(), time.process_time()
        before = self.last
        totals = self._totals
        seen: set[tuple[str, ...]] = set()
        for room_id, peer in self._relay_peers():
            for track in peer.tracks:
                key = (room_id, "in", track.track_id)
                seen.add(key)
                totals.add(key, (track.packets_in, track.nacks_sent, track.plis_sent), (0, 5, 6))
            for sub in peer.subscriptions:
                key = (room_id, "out", sub.track_id, sub.subscriber_id)
                seen.add(key)
                values = (
                    sub.packets_out,
                    sub.nacks_received,
                    sub.plis_received,
                    sub.retransmissions,
                )
                totals.add(key, values, (1, 2, 3, 4))
        for key in set(totals.last) - seen:
            del totals.last[key]
        rooms, seats = self._rooms()
        elapsed = now - self._at
        if elapsed < MIN_INTERVAL_SECONDS:
            return self.last  # too short to say anything of the CPU (a start, a second call)
        used = cpu - self._cpu
        packets_in, packets_out = totals.sums[0], totals.sums[1]
        forwarded = packets_out - before.packets_out
        self.last = NodeLoad(
            rooms=rooms,
            seats=seats,
            cpu=used / elapsed,
            cpu_seconds=cpu,
            packets_in=packets_in,
            packets_out=packets_out,
            nacks_received=totals.sums[2],
            plis_received=totals.sums[3],
            retransmissions=totals.sums[4],
            nacks_sent=totals.sums[5],
            plis_sent=totals.sums[6],
            packets_in_per_s=(packets_in - before.packets_in) / elapsed,
            packets_out_per_s=forwarded / elapsed,
            cpu_per_1000_packets=1000 * used / forwarded if forwarded else 0.0,
            loop_lag_s=self._lag,
            at=now,
        )
        self._cpu, self._at, self._lag = cpu, now, 0.0
        return self.last
