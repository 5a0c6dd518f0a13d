"""Relay benchmark: rtc/'s packet forwarding against aiortc's MediaRelay, same media, same run.

Load peers run in their own processes and replay pre-encoded media (bench/relay_media.py);
the relay runs in its own process and only ITS CPU time is measured. Scenarios:
  1. forwarding, 1 publisher -> 2 subscribers: CPU per 1000 forwarded packets; added
     latency measured in the relay (p99 of the forwarding work per packet, socket callback
     to last sendto, plus p99 of the event loop's lag, which bounds a datagram's wait in
     its socket), and end to end (publisher send -> subscriber receive on this machine's
     clock, load peers' stalls included); a late joiner's first decoded frame;
  2. forwarding, N concurrent 3-seat rooms (all publish, all-to-all): rooms per core;
  3. aiortc MediaRelay, 1 publisher -> 2 subscribers: CPU per 1000 sent packets.
Ends with one line of key=value figures; exits non-zero only if the ratio measured in this
run is below 10.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from . import relay_peers, relay_server
from .relay_media import cached, load, packets_per_second
from .relay_peers import SeatSpec

RATIO_TARGET = 10.0
LATENCY_WINDOW_S = 10.0
nan = float("nan")
ctx = multiprocessing.get_context("spawn")


class RelayProcess:
    def __init__(self, mode: str) -> None:
        self.stop = ctx.Event()
        receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=relay_server.run, args=(mode, send, self.stop))
        self.process.start()
        if not receive.poll(60):
            raise RuntimeError("relay process did not start")
        self.port: int = receive.recv()
        self.ps = psutil.Process(self.process.pid)

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def system_s(self) -> float:
        return float(self.ps.cpu_times().system)

    def stats(self) -> dict[str, Any]:
        return self.ask({"type": "stats"})

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        result: dict[str, Any] = json.loads(data)
        return result

    def close(self) -> None:
        self.stop.set()
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()


class PeersProcess:
    def __init__(self, port: int, media: str, specs: list[SeatSpec]) -> None:
        self.stop = ctx.Event()
        self.results = ctx.Queue()
        self.process = ctx.Process(
            target=relay_peers.run, args=(port, media, specs, self.stop, self.results)
        )
        self.process.start()

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        results: list[dict[str, Any]] = self.results.get(timeout=60)
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
        return results


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def all_flowing(relay: RelayProcess, rooms: list[str], tracks: int, seats: int) -> bool:
    stats = relay.stats()["rooms"]
    for room in rooms:
        if room not in stats or stats[room]["tracks"] < tracks:
            return False
        receiving = [p for p in stats[room]["peers"].values() if p["packets_out"] > 50]
        if len(receiving) < seats:
            return False
    return True


def measure(relay: RelayProcess, window: float) -> tuple[float, int]:
    """CPU seconds of the relay and packets it sent to subscribers during `window`."""
    cpu, system, sent = relay.cpu_s(), relay.system_s(), relay.stats()["packets_out"]
    time.sleep(window)  # the measurement window itself
    cpu, system = relay.cpu_s() - cpu, relay.system_s() - system
    print(f"  (relay CPU {cpu:.3f} s of which system {system:.3f} s)", flush=True)
    return cpu, relay.stats()["packets_out"] - sent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def one_to_two(mode: str, media: str, window: float, late_joiner: bool) -> dict[str, Any]:
    relay = RelayProcess(mode)
    processes: list[PeersProcess] = []
    try:
        publisher = PeersProcess(
            relay.port, media, [SeatSpec("a", "pub", publish=True, record=True)]
        )
        processes.append(publisher)
        wait_until(lambda: all_flowing(relay, ["a"], 2, 0), 30, "the publisher's tracks")
        subscribers = PeersProcess(
            relay.port,
            media,
            [SeatSpec("a", "sub1", record=True), SeatSpec("a", "sub2", record=True)],
        )
        processes.append(subscribers)
        wait_until(lambda: all_flowing(relay, ["a"], 2, 2), 30, "media to both subscribers")
        time.sleep(1.0)  # settle: first keyframes, REMB
        cpu_s, packets = measure(relay, window)
        in_relay: dict[str, Any] = {}
        window_start = window_end = 0.0
        if mode == "forwarding":  # latency in a window of its own: probing costs CPU
            relay.ask({"type": "latency", "action": "start"})
            window_start = time.time()
            time.sleep(LATENCY_WINDOW_S)
            window_end = time.time()
            in_relay = relay.ask({"type": "latency"})
        figures: dict[str, Any] = {
            **in_relay,
            "cpu_s": cpu_s,
            "packets": packets,
            "cpu_s_per_1000": cpu_s / (packets / 1000) if packets else float("inf"),
            "core_share": cpu_s / window,
        }
        if late_joiner:
            late = PeersProcess(relay.port, media, [SeatSpec("a", "late", decode=True)])
            processes.append(late)
            wait_until(
                lambda: (
                    relay.stats()["rooms"]["a"]["peers"].get("late", {}).get("packets_out", 0) > 30
                ),
                30,
                "the late joiner",
            )
            time.sleep(3.0)  # the figure is timed inside the seat; this only bounds the wait
            figures["first_frame_s"] = late.finish()[0]["first_frame_s"]
            processes.remove(late)
        sent = publisher.finish()[0]["sent_at"]
        processes.remove(publisher)
        latencies = [
            (t - sent[crc]) * 1000
            for seat in subscribers.finish()
            for crc, t in seat["received_at"]
            # only during the window: not while the late joiner's process starts up
            if crc in sent and t >= sent[crc] and window_start <= t <= window_end
        ]
        processes.remove(subscribers)
        if latencies:
            figures["latency_p50_ms"] = statistics.median(latencies)
            figures["latency_p99_ms"] = percentile(latencies, 0.99)
            figures["latency_samples"] = len(latencies)
        return figures
    finally:
        for process in processes:
            process.finish()
        relay.close()


def rooms_scenario(media: str, rooms: int, window: float) -> dict[str, Any]:
    relay = RelayProcess("forwarding")
    processes = []
    try:
        names = [f"room{i}" for i in range(rooms)]
        for name in names:
            specs = [SeatSpec(name, f"{name}-seat{j}", publish=True) for j in range(3)]
            processes.append(PeersProcess(relay.port, media, specs))
        wait_until(lambda: all_flowing(relay, names, 6, 3), 90, "all rooms flowing")
        time.sleep(1.0)
        cpu_s, packets = measure(relay, window)
        core_share = cpu_s / window
        # A 3-seat room forwards each seat's packets to the two others. If the load peers
        # (sharing the cores) fall behind, the relay does less work: so rooms per core is
        # taken from the CPU per packet at the nominal rate, not from the rooms run.
        room_pps = 3 * 2 * packets_per_second(load(Path(media)))
        cpu_s_per_packet = cpu_s / packets if packets else float("inf")
        return {
            "rooms": rooms,
            "cpu_s": cpu_s,
            "packets": packets,
            "delivered": packets / (rooms * room_pps * window),
            "core_share": core_share,
            "cpu_s_per_1000": cpu_s_per_packet * 1000,
            "rooms_per_core": 1 / (cpu_s_per_packet * room_pps),
        }
    finally:
        for process in processes:
            process.finish()
        relay.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--window", type=float, default=20.0, help="seconds measured, 1->2 scenarios"
    )
    parser.add_argument(
        "--rooms-window", type=float, default=10.0, help="seconds measured, rooms scenario"
    )
    parser.add_argument("--rooms", type=int, default=4, help="concurrent 3-seat rooms")
    args = parser.parse_args(argv)

    started = time.monotonic()
    media = str(cached())
    print(f"media ready ({time.monotonic() - started:.1f} s)", flush=True)

    fwd = one_to_two("forwarding", media, args.window, late_joiner=True)
    print(
        f"forwarding 1->2: {fwd['packets']} packets in {args.window:.0f} s, relay CPU "
        f"{fwd['cpu_s']:.3f} s ({100 * fwd['core_share']:.1f}% of a core), "
        f"{fwd['cpu_s_per_1000']:.4f} CPU-s/1000 pkts; late joiner's first frame "
        f"{fwd.get('first_frame_s')} s",
        flush=True,
    )
    added_ms = fwd.get("processing_p99_ms", nan) + fwd.get("loop_lag_p99_ms", nan)
    print(
        f"  added latency in the relay p99 {added_ms:.2f} ms = forwarding work p99 "
        f"{fwd.get('processing_p99_ms', nan):.3f} ms (p50 {fwd.get('processing_p50_ms', nan):.3f}"
        f" ms, {fwd.get('samples', 0):.0f} packets) + event-loop lag p99 "
        f"{fwd.get('loop_lag_p99_ms', nan):.2f} ms (p50 {fwd.get('loop_lag_p50_ms', nan):.2f} ms)"
        f"; end to end "
        f"publisher -> subscriber (both load peers' stalls included) p50 "
        f"{fwd.get('latency_p50_ms', nan):.2f} ms p99 {fwd.get('latency_p99_ms', nan):.2f} ms "
        f"({fwd.get('latency_samples', 0)} packets)",
        flush=True,
    )
    many = rooms_scenario(media, args.rooms, args.rooms_window)
    print(
        f"forwarding {many['rooms']} x 3-seat rooms: {many['packets']} packets, relay CPU "
        f"{many['cpu_s']:.3f} s ({100 * many['core_share']:.1f}% of a core), "
        f"{many['cpu_s_per_1000']:.4f} CPU-s/1000 pkts ({100 * many['delivered']:.0f}% of the "
        f"nominal rate delivered) -> {many['rooms_per_core']:.1f} rooms/core at full rate",
        flush=True,
    )
    decoding = one_to_two("mediarelay", media, args.window, late_joiner=False)
    print(
        f"aiortc MediaRelay 1->2: {decoding['packets']} packets, relay CPU "
        f"{decoding['cpu_s']:.3f} s ({100 * decoding['core_share']:.1f}% of a core), "
        f"{decoding['cpu_s_per_1000']:.4f} CPU-s/1000 pkts",
        flush=True,
    )
    ratio = decoding["cpu_s_per_1000"] / fwd["cpu_s_per_1000"]
    print(f"total {time.monotonic() - started:.0f} s", flush=True)
    first_frame = fwd.get("first_frame_s")
    print(
        f"fwd_cpu_s_per_1000_pkts={fwd['cpu_s_per_1000']:.4f} "
        f"mediarelay_cpu_s_per_1000_pkts={decoding['cpu_s_per_1000']:.4f} "
        f"ratio={ratio:.1f} rooms_per_core={many['rooms_per_core']:.1f} "
        f"added_latency_p99_ms={added_ms:.2f} "
        f"first_frame_s={'nan' if first_frame is None else f'{first_frame:.3f}'}"
    )
    return 0 if ratio >= RATIO_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
