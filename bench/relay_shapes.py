"""bench.relay --against janus: the relay and Janus side by side, same media, same shapes.

Each shape runs on the relay and on Janus alternately (relay first in odd rounds, Janus
first in even ones), each run with a fresh server process and fresh load peers, so that
the machine's drift hits both alike. A run measures, over the same window, the server
process's CPU time (user + system, psutil: the relay's process, or Janus's) and the RTP
packets the subscribing seats received from it (the same counting code for both), and
reports CPU seconds per 1000 forwarded packets.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .relay_janus import JanusServer
from .relay_media import load, packets_per_second
from .relay_peers import SeatSpec
from .relay_processes import PeersProcess, RelayProcess, wait_until

ROOM_BASE = 1000  # Janus room ids are numbers; the relay takes the same ids as strings
SETTLE_S = 1.0  # after every subscriber got media: first keyframes, RTCP settles
MIN_DELIVERED = 0.9


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    bitrate: int
    subscribers: int = 0  # one publisher -> this many subscribers
    rooms: int = 0  # or this many three-seat rooms (all publish, all-to-all)

    @property
    def streams_out(self) -> int:
        """Published streams (audio + video) forwarded per publisher's packet stream."""
        return self.subscribers if self.subscribers else self.rooms * 3 * 2


def shapes(rooms: int) -> list[Shape]:
    return [
        Shape("2subs", "1 -> 2, 500 kbps", 500_000, subscribers=2),
        Shape("8subs", "1 -> 8, 500 kbps", 500_000, subscribers=8),
        Shape("1600k", "1 -> 2, 1.6 Mbps", 1_600_000, subscribers=2),
        Shape("8subs_1600k", "1 -> 8, 1.6 Mbps", 1_600_000, subscribers=8),
        Shape("rooms", f"{rooms} x 3-seat rooms, 500 kbps", 500_000, rooms=rooms),
    ]


def load_average() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def _seats(shape: Shape, janus: bool) -> tuple[list[SeatSpec], list[list[SeatSpec]]]:
    """The publisher-only seats (one process) and the receiving seats (one process each)."""
    if shape.subscribers:
        room = str(ROOM_BASE)
        publisher = [SeatSpec(room, "pub", publish=True, janus_id=1)]
        feeds = (1,) if janus else ()
        subscribers = [SeatSpec(room, f"sub{i}", feeds=feeds) for i in range(shape.subscribers)]
        return publisher, [subscribers]
    rooms = []
    for r in range(shape.rooms):
        ids = [10 * r + j + 1 for j in range(3)]
        rooms.append(
            [
                SeatSpec(
                    str(ROOM_BASE + r),
                    f"room{r}-seat{j}",
                    publish=True,
                    janus_id=ids[j],
                    feeds=tuple(i for i in ids if i != ids[j]) if janus else (),
                )
                for j in range(3)
            ]
        )
    return [], rooms


def run_once(system: str, shape: Shape, media: str, window: float) -> dict[str, Any]:
    """One run of a shape on "relay" or "janus": CPU seconds per 1000 forwarded packets."""
    janus = system == "janus"
    server: RelayProcess | JanusServer = JanusServer() if janus else RelayProcess("forwarding")
    processes: list[PeersProcess] = []
    try:
        if isinstance(server, JanusServer):
            rooms = [ROOM_BASE + r for r in range(max(1, shape.rooms))]
            server.create_rooms(rooms, publishers=3)
        publishers, receiving = _seats(shape, janus)
        if publishers:
            processes.append(PeersProcess(server.target, media, publishers))
        receivers = [PeersProcess(server.target, media, specs) for specs in receiving]
        processes += receivers

        def flowing() -> bool:
            if not all(p.alive() for p in processes):
                raise RuntimeError(f"a load peers process died ({system}, {shape.key})")
            return all(r.receiving(50) for r in receivers)

        wait_until(flowing, 90, f"media to every seat ({system}, {shape.key})")
        time.sleep(SETTLE_S)
        load_avg = load_average()
        cpu, system_cpu = server.cpu_s(), server.system_s()
        packets = sum(r.received() for r in receivers)
        started = time.monotonic()
        time.sleep(window)  # the measurement window itself
        cpu, system_cpu = server.cpu_s() - cpu, server.system_s() - system_cpu
        packets = sum(r.received() for r in receivers) - packets
        elapsed = time.monotonic() - started
        nominal = packets_per_second(load(Path(media))) * shape.streams_out * elapsed
        return {
            "system": system,
            "shape": shape.key,
            "cpu_s": cpu,
            "system_s": system_cpu,
            "packets": packets,
            "cpu_s_per_1000": cpu / (packets / 1000) if packets else float("inf"),
            "delivered": packets / nominal,
            "load": load_avg,
        }
    finally:
        for process in processes:
            try:
                process.finish()
            except Exception:  # a stuck peers process must not hide the figures
                process.process.kill()
        server.close()


@dataclass
class ShapeResult:
    shape: Shape
    runs: list[dict[str, Any]]

    def median(self, system: str) -> float:
        values = [r["cpu_s_per_1000"] for r in self.runs if r["system"] == system]
        return statistics.median(values) if values else float("nan")

    @property
    def ratio(self) -> float:
        """Ours over Janus's, medians of the alternated runs."""
        return self.median("relay") / self.median("janus")


def _valid_run(system: str, shape: Shape, media: str, window: float) -> dict[str, Any] | None:
    """A run in which the server delivered at least MIN_DELIVERED of the nominal rate (on
    an overloaded machine a load peer can stall, or lose its connection): tried twice."""
    for attempt in (1, 2):
        try:
            run = run_once(system, shape, media, window)
        except Exception as exc:  # a run that could not be set up says why, the bench goes on
            print(f"  {shape.label:<28} {system:<5} attempt {attempt} failed: {exc!r}", flush=True)
            continue
        if run["delivered"] >= MIN_DELIVERED:
            return run
        print(
            f"  {shape.label:<28} {system:<5} attempt {attempt}: only "
            f"{100 * run['delivered']:.0f}% of the nominal rate delivered, not counted",
            flush=True,
        )
    return None


def side_by_side(
    media_for: dict[int, str], rooms: int, keys: list[str], repeats: int, window: float
) -> list[ShapeResult]:
    chosen = [s for s in shapes(rooms) if s.key in keys]
    results = {s.key: ShapeResult(s, []) for s in chosen}
    for round_ in range(repeats):
        order = ("relay", "janus") if round_ % 2 == 0 else ("janus", "relay")
        for shape in chosen:
            for system in order:
                run = _valid_run(system, shape, media_for[shape.bitrate], window)
                if run is None:
                    continue
                run["round"] = round_ + 1
                results[shape.key].runs.append(run)
                print(
                    f"  {shape.label:<28} {system:<5} round {round_ + 1}: CPU {run['cpu_s']:.3f} s"
                    f" (system {run['system_s']:.3f} s), {run['packets']} packets "
                    f"({100 * run['delivered']:.0f}% of nominal), "
                    f"{run['cpu_s_per_1000']:.4f} CPU-s/1000 pkts, load {run['load']:.2f}",
                    flush=True,
                )
    return list(results.values())


def print_table(results: list[ShapeResult]) -> None:
    """Every run as a Markdown table (for docs/rtc.md), then the medians and ratios."""
    print("| shape | round | server | CPU-s/1000 pkts | packets | delivered | load (1 min) |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        for run in result.runs:
            print(
                f"| {result.shape.label} | {run['round']} | {run['system']} | "
                f"{run['cpu_s_per_1000']:.4f} | {run['packets']} | "
                f"{100 * run['delivered']:.0f}% | {run['load']:.2f} |"
            )
    for result in results:
        print(
            f"{result.shape.label}: relay median {result.median('relay'):.4f}, Janus median "
            f"{result.median('janus'):.4f} CPU-s/1000 pkts -> ours/Janus {result.ratio:.2f}"
        )
