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
With `--against janus`, the relay and Debian's Janus (VideoRoom) side by side in the same
shapes, alternated (bench/relay_shapes.py), all inside a loopback-only network namespace.
Ends with one line of key=value figures; exits non-zero only on a ratio measured in this
run: MediaRelay's below 10, or ours / Janus's above 1.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from .relay_janus import janus_binary, janus_version
from .relay_media import cached, load, packets_per_second
from .relay_netns import INSIDE_FLAG, reexec_in_namespace, set_up_inside
from .relay_peers import SeatSpec
from .relay_processes import PeersProcess, RelayProcess, wait_until
from .relay_shapes import ShapeResult, load_average, print_table, shapes, side_by_side

RATIO_TARGET = 10.0
JANUS_RATIO_TARGET = 1.0  # ours / Janus: at most this
LATENCY_WINDOW_S = 10.0
nan = float("nan")


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
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--window", type=float, default=20.0, help="seconds measured, 1->2 scenarios"
    )
    parser.add_argument(
        "--rooms-window", type=float, default=10.0, help="seconds measured, rooms scenario"
    )
    parser.add_argument("--rooms", type=int, default=4, help="concurrent 3-seat rooms")
    parser.add_argument(
        "--against",
        choices=["janus"],
        help="also run Janus (Debian's janus, VideoRoom) side by side in the same shapes",
    )
    all_shapes = [s.key for s in shapes(0)]
    parser.add_argument(
        "--shapes",
        default=",".join(all_shapes),
        help=f"side-by-side shapes to run, of {','.join(all_shapes)}",
    )
    parser.add_argument("--repeats", type=int, default=3, help="alternated rounds per shape")
    parser.add_argument(
        "--shape-window", type=float, default=20.0, help="seconds measured per side-by-side run"
    )
    parser.add_argument(
        "--side-by-side-only",
        action="store_true",
        help="skip the relay-only scenarios and MediaRelay (for development)",
    )
    parser.add_argument(INSIDE_FLAG, action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    keys = [k for k in args.shapes.split(",") if k]
    unknown = set(keys) - set(all_shapes)
    if unknown:
        parser.error(f"unknown shapes: {', '.join(sorted(unknown))}")

    janus_missing: str | None = None
    if args.against == "janus":
        if janus_binary() is None:
            janus_missing = "janus is not installed (Debian package `janus`; `make sysdeps`)"
        elif not args.in_loopback_namespace:
            # Janus must see loopback only: the whole benchmark moves into a network
            # namespace of its own (this call returns only if it cannot).
            janus_missing = reexec_in_namespace(argv)
        else:
            janus_missing = set_up_inside()
    if janus_missing:
        print(f"Janus: not measured: {janus_missing}", flush=True)

    started = time.monotonic()
    load_start = load_average()
    media = str(cached())
    print(f"media ready ({time.monotonic() - started:.1f} s); load {load_start:.2f}", flush=True)

    classic: dict[str, str] = {}
    ok = True
    if not args.side_by_side_only:
        classic, ok = relay_only_and_mediarelay(media, args)

    ratios: dict[str, str] = {}
    if args.against == "janus":
        if janus_missing:
            ratios = {f"ratio_vs_janus_{k}": "nan" for k in keys} | {"janus": "missing"}
        else:
            media_for = {s.bitrate: media for s in shapes(args.rooms)}
            media_for |= {b: str(cached(bitrate=b)) for b in media_for if b != 500_000}
            print(
                f"side by side with Janus {janus_version()} (VideoRoom over HTTP on loopback, "
                f"in a network namespace of its own), {args.repeats} alternated rounds of "
                f"{args.shape_window:.0f} s",
                flush=True,
            )
            results = side_by_side(media_for, args.rooms, keys, args.repeats, args.shape_window)
            print_table(results)
            ratios = janus_ratios(results)
            # a ratio that could not be measured (nan) fails the run as well
            ok = ok and all(r.ratio <= JANUS_RATIO_TARGET for r in results)
            ratios["janus"] = janus_version()

    load_end = load_average()
    print(f"total {time.monotonic() - started:.0f} s; load {load_start:.2f} -> {load_end:.2f}")
    figures = classic | ratios | {"load": f"{max(load_start, load_end):.2f}"}
    print(" ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0 if ok else 1


def janus_ratios(results: list[ShapeResult]) -> dict[str, str]:
    figures = {}
    for result in results:
        figures[f"relay_cpu_s_per_1000_{result.shape.key}"] = f"{result.median('relay'):.4f}"
        figures[f"janus_cpu_s_per_1000_{result.shape.key}"] = f"{result.median('janus'):.4f}"
    return {f"ratio_vs_janus_{r.shape.key}": f"{r.ratio:.2f}" for r in results} | figures


def relay_only_and_mediarelay(media: str, args: argparse.Namespace) -> tuple[dict[str, str], bool]:
    """The relay's own scenarios (1 -> 2 with latency and a late joiner; N rooms) and aiortc's
    MediaRelay on the same media: their key=value figures, and whether the ratio holds."""
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
    first_frame = fwd.get("first_frame_s")
    figures = {
        "fwd_cpu_s_per_1000_pkts": f"{fwd['cpu_s_per_1000']:.4f}",
        "mediarelay_cpu_s_per_1000_pkts": f"{decoding['cpu_s_per_1000']:.4f}",
        "ratio": f"{ratio:.1f}",
        "rooms_per_core": f"{many['rooms_per_core']:.1f}",
        "added_latency_p99_ms": f"{added_ms:.2f}",
        "first_frame_s": "nan" if first_frame is None else f"{first_frame:.3f}",
    }
    return figures, ratio >= RATIO_TARGET


if __name__ == "__main__":
    sys.exit(main())
