"""Scale benchmark: the same full-media rooms on 1 node, then on 2 nodes of this machine.

Each phase runs the service as a cluster, the way docs/deploy.md does on one machine:
`python -m app --nodes N` (the nodes share the entry port, each has its own port for its
rooms' seats) on a fresh PostgreSQL database and Redis (a database number of the bench's own,
TRADEBOOTH_BENCH_REDIS_URL, under a prefix of the run's own, deleted afterwards). N rooms of
three seats (company, buyer, interpreter) are seeded open now; load processes of their own
(bench/load_peers.py: aiortc peers replaying pre-encoded media, `--media full` 640x480 30 fps
~500 kbps + Opus 20 ms) join every seat through `POST /join` at the entry, as a browser does,
and hold the rooms for `--minutes`. Errors are counted as bench.load counts them (failed joins,
ICE failures, sockets closed by the service, missing video, stalls, exceptions in the logs).
Only the NODE processes are measured, from /proc (their pids from their records in Redis).

Ends with one line:
`nodes=2 rooms=… rooms_1_node=… errors=… errors_1_node=… placement=…/… spread=…
cpu_per_room_1_node=… cpu_per_room_2_nodes=… node_cpu_1_node=… node_cpu_max_2_nodes=…
forwarded_pps_1_node=… forwarded_pps_2_nodes=…` (cpu: cores; spread: fewest rooms on a node /
most). Exits 1 when a phase has errors or the rooms are not spread (spread < 0.5).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis

from .load import (
    POSTGRES_ADMIN_URL,
    REPORT_EVERY_S,
    STALL_WINDOW_S,
    Errors,
    LoadProcess,
    ProcStat,
    _admin,
    check,
    seed,
    service_exceptions,
)
from .load_media import PROFILES, cached
from .load_peers import SeatSpec

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TRADEBOOTH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ROOMS_PER_LOAD_PROCESS = 5
MAX_ROOMS = 60


def free_ports(count: int) -> int:
    """A port p with p .. p+count free on loopback (the entry, then one per node)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base + count >= 65535:
            continue
        try:
            for port in range(base, base + count + 1):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no run of free ports")


@dataclass
class Phase:
    nodes: int
    rooms: int
    errors: Errors
    placement: Counter[str]
    node_cpu: dict[str, float]  # node -> cores over the measured window
    forwarded_pps: float

    @property
    def cpu_per_room(self) -> float:
        return sum(self.node_cpu.values()) / self.rooms if self.rooms else math.nan


class Cluster:
    """`python -m app --nodes N` for the bench, on its own database and Redis prefix."""

    def __init__(self, nodes: int, database_url: str, folder: Path, secret_key: str) -> None:
        self.nodes = nodes
        self.port = free_ports(nodes)
        self.prefix = f"tbbench-{uuid.uuid4().hex[:8]}"
        self.redis = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        self.log = folder / f"nodes-{nodes}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEBOOTH_")} | {
            "TRADEBOOTH_ENVIRONMENT": "test",
            "TRADEBOOTH_DATABASE_URL": database_url,
            "TRADEBOOTH_HOST": "127.0.0.1",
            "TRADEBOOTH_PORT": str(self.port),
            "TRADEBOOTH_SECRET_KEY": secret_key,
            "TRADEBOOTH_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
            "TRADEBOOTH_LOG_LEVEL": "WARNING",
            "TRADEBOOTH_REDIS_URL": REDIS_URL,
            "TRADEBOOTH_REDIS_PREFIX": self.prefix,
            "TRADEBOOTH_NODE_ID": "bench",
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "--nodes", str(nodes), "--no-demo"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.pids = self._wait_for_nodes()

    @property
    def entry(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_for_nodes(self) -> dict[str, int]:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the nodes exited: {self.log.read_text()[-2000:]}")
            pids = {
                key.rsplit(":", 1)[1]: int(self.redis.hget(key, "pid") or 0)
                for key in self.redis.keys(f"{self.prefix}:node:*")
            }
            if len(pids) == self.nodes and all(pids.values()):
                try:
                    if httpx.get(f"{self.entry}/readyz", timeout=2).status_code == 200:
                        return pids
                except httpx.TransportError:
                    pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"{self.nodes} nodes did not start in 180 s")

    def placement(self) -> Counter[str]:
        return Counter(
            {node: int(self.redis.scard(f"{self.prefix}:rooms:{node}")) for node in self.pids}
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        keys = list(self.redis.scan_iter(f"{self.prefix}:*", count=1000))
        if keys:
            self.redis.delete(*keys)
        self.redis.close()


def phase(nodes: int, rooms: int, minutes: float, media: str, folder: Path) -> Phase:
    from sqlalchemy.engine import make_url

    from app.migrations import upgrade

    name = f"tradebooth_scale_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        secret_key = secrets.token_urlsafe(32)
        specs = asyncio.run(seed(url, rooms, minutes, secret_key))
        cluster = Cluster(nodes, url, folder, secret_key)
        try:
            return _measure(cluster, specs, rooms, minutes, media)
        finally:
            cluster.stop()
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _measure(
    cluster: Cluster, specs: list[SeatSpec], rooms: int, minutes: float, media: str
) -> Phase:
    duration = minutes * 60
    warmup = min(120.0, max(20.0, 0.2 * duration), duration / 2)
    by_room: dict[int, list[SeatSpec]] = {}
    for spec in specs:
        by_room.setdefault(spec.meeting_id, []).append(spec)
    processes = max(1, math.ceil(rooms / ROOMS_PER_LOAD_PROCESS))
    shares: list[list[SeatSpec]] = [[] for _ in range(processes)]
    for index, room_specs in enumerate(by_room.values()):
        shares[index % processes] += room_specs
    ws = cluster.entry.replace("http://", "ws://")
    loads = [LoadProcess(ws, media, share, cluster.entry) for share in shares if share]
    stats = {node: ProcStat(pid) for node, pid in cluster.pids.items()}
    print(
        f"{cluster.nodes} node(s) {cluster.pids} behind {cluster.entry}: {rooms} rooms x 3 seats, "
        f"{len(loads)} load processes, warm-up {warmup:.0f} s of {duration:.0f} s",
        flush=True,
    )
    errors = Errors(set(), set(), set(), set(), set())
    previous: dict[str, int] | None = None
    at_warm: tuple[float, dict[str, float], int] | None = None
    last_stall_check = 0.0
    reports: list[dict[str, Any]] = []
    begin = time.monotonic()
    try:
        while (now := time.monotonic() - begin) < duration:
            time.sleep(REPORT_EVERY_S)
            if cluster.process.poll() is not None:
                errors.service_died = True
                break
            for load in loads:
                if (code := load.died()) is not None:
                    raise RuntimeError(f"a load process died (exit code {code})")
            reports = [report for load in loads for report in load.poll()]
            warm = now >= warmup
            if warm and at_warm is None:
                packets = sum(r["packets"] for r in reports)
                at_warm = (time.monotonic(), {n: s.cpu_s() for n, s in stats.items()}, packets)
            if warm and now - last_stall_check >= STALL_WINDOW_S:
                previous = check(reports, errors, previous, warm=True)
                last_stall_check = now
            else:
                check(reports, errors, None, warm=False)
        ended = time.monotonic()
        cpu_end = {node: stat.cpu_s() for node, stat in stats.items()}
        packets_end = sum(r["packets"] for r in reports)
        placement = cluster.placement()
    finally:
        for load in loads:
            load.finish()
    errors.service_exceptions = service_exceptions(cluster.log)
    for label, items in (
        ("failed join", errors.failed_joins),
        ("ICE failure", errors.ice_failures),
        ("closed by the service", errors.closed),
        ("missing video", errors.missing_video),
        ("stall", errors.stalls),
    ):
        for item in sorted(items)[:5]:
            print(f"  {label}: {item}", flush=True)
    node_cpu: dict[str, float] = {}
    pps = math.nan
    if at_warm is not None:
        window = ended - at_warm[0]
        node_cpu = {node: (cpu_end[node] - at_warm[1][node]) / window for node in stats}
        pps = (packets_end - at_warm[2]) / window
    print(
        f"  {cluster.nodes} node(s): errors={errors.total()} ({errors.describe()}) "
        f"placement={dict(placement)} node_cores={ {n: round(c, 3) for n, c in node_cpu.items()} } "
        f"packets_received_per_s={pps:.0f}",
        flush=True,
    )
    return Phase(cluster.nodes, rooms, errors, placement, node_cpu, pps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=4, help=f"concurrent rooms (<= {MAX_ROOMS})")
    parser.add_argument("--minutes", type=float, default=1.0, help="how long each phase holds")
    parser.add_argument("--media", choices=sorted(PROFILES), default="full")
    args = parser.parse_args(argv)
    if not 2 <= args.rooms <= MAX_ROOMS:
        parser.error(f"--rooms must be 2..{MAX_ROOMS}")
    if not 0.5 <= args.minutes <= 60:
        parser.error("--minutes must be 0.5..60")
    media = str(cached(PROFILES[args.media]))
    folder = Path(tempfile.mkdtemp(prefix="tradebooth-scale-"))
    one = phase(1, args.rooms, args.minutes, media, folder)
    two = phase(2, args.rooms, args.minutes, media, folder)
    counts = [two.placement.get(node, 0) for node in two.node_cpu] or [0]
    spread = min(counts) / max(counts) if max(counts) else 0.0
    print(
        f"nodes=2 rooms={two.rooms} rooms_1_node={one.rooms} errors={two.errors.total()} "
        f"errors_1_node={one.errors.total()} placement={'/'.join(map(str, sorted(counts)))} "
        f"spread={spread:.2f} cpu_per_room_1_node={one.cpu_per_room:.4f} "
        f"cpu_per_room_2_nodes={two.cpu_per_room:.4f} "
        f"node_cpu_1_node={max(one.node_cpu.values(), default=math.nan):.3f} "
        f"node_cpu_max_2_nodes={max(two.node_cpu.values(), default=math.nan):.3f} "
        f"forwarded_pps_1_node={one.forwarded_pps:.0f} "
        f"forwarded_pps_2_nodes={two.forwarded_pps:.0f}",
        flush=True,
    )
    ok = not one.errors.total() and not two.errors.total() and spread >= 0.5
    if ok:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    else:
        print(f"  logs in {folder}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
