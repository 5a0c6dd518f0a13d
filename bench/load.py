"""Load benchmark: N concurrent 3-seat rooms (company, buyer, interpreter) through the real
service, for a set time, on loopback only.

The service runs as `python -m app` (uvicorn) in its own process on a fresh PostgreSQL
database (the server at TRADEBOOTH_BENCH_POSTGRES_URL, dropped afterwards; `--sqlite` for a
SQLite file), with N meetings open now and their seat links issued. Load processes join each
seat through the real signalling websocket with an aiortc peer that publishes audio and
video (pre-encoded VP8 and Opus replayed, bench/load_media.py: `--media full` is 640x480
30 fps ~500 kbps, `light` a third of the packets) and counts every packet it receives. Only
the SERVICE process is measured, from /proc: CPU (utime + stime) and RSS.

Errors counted: failed joins (no `response` to `join`, or a refusal), ICE failures (a peer
connection `failed`, or `closed` under a seat: ICE consent expired), sockets the service
closed, a seat missing the video of one of the two others after the warm-up, media stalls (a
track a seat should receive that got no packet for a whole check window after the warm-up),
exceptions in the service's log, and the service dying. Memory: RSS at the end of the
warm-up against RSS at the end. The load processes' own CPU is printed each minute, to
tell a starved load generator from a slow service.

Each seat asks `POST /join` first, as a browser does. `--capacity K` sets the service's hard
limit of rooms (TRADEBOOTH_NODE_MAX_ROOMS): past it the surplus rooms are refused (503 with
Retry-After, or close 1013) and counted as refused, not as errors; the admitted rooms must
keep 0 errors.

Ends with one line:
`rooms=… minutes=… errors=… rss_growth_mb=… rss_growth_pct=… cpu_per_room=… capacity=…
admitted_rooms=… refused_rooms=…` (cpu_per_room: the service's CPU time per second per
admitted room, in cores). Exits 1 when errors > 0, RSS grew by 10 % or more after the
warm-up, or the rooms refused are not exactly the surplus past capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from . import load_peers
from .load_media import PROFILES, cached
from .load_peers import SeatSpec

ROOT = Path(__file__).resolve().parents[1]
SEATS = ("company", "buyer", "interpreter")
MAX_ROOMS = 60
MAX_MINUTES = 60
REPORT_EVERY_S = 2.0
STALL_WINDOW_S = 10.0
JOIN_DEADLINE_S = 90.0
GROWTH_LIMIT_PCT = 10.0
ctx = multiprocessing.get_context("spawn")


# The service ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ProcStat:
    """CPU seconds and RSS of one process, read from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / self.ticks

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.pid}")


async def seed(
    database_url: str,
    rooms: int,
    minutes: float,
    secret_key: str,
    seats: tuple[str, ...] = SEATS,
) -> list[SeatSpec]:
    """N meetings open now (each with its company, buyer, interpreter) and links for `seats`."""
    from app.database import create_engine, create_sessionmaker
    from app.meetings.models import Meeting
    from app.missions.models import Mission
    from app.organisations.models import Organisation
    from app.participants.models import Buyer, Company, Interpreter
    from app.rooms import service as rooms_service
    from rooms.links import LinkSigner
    from rooms.seats import Seat

    engine = create_engine(database_url)
    signer = LinkSigner(secret_key)
    now = datetime.now(UTC)
    specs: list[SeatSpec] = []
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            tag = uuid.uuid4().hex[:6]  # seeding again on one database makes a new mission
            organisation = Organisation(name=f"Namdong-gu load test {tag}")
            session.add(organisation)
            await session.flush()
            mission = Mission(
                organisation_id=organisation.id,
                name=f"Load mission {tag}",
                start_date=date.today() - timedelta(days=1),
                end_date=date.today() + timedelta(days=1),
            )
            session.add(mission)
            await session.flush()
            for index in range(rooms):
                company = Company(mission_id=mission.id, name=f"Company {index}", industry="food")
                buyer = Buyer(
                    mission_id=mission.id,
                    name=f"Buyer {index}",
                    company_name=f"Hanoi Trading {index}",
                    country="VN",
                )
                interpreter = Interpreter(
                    mission_id=mission.id, name=f"Interpreter {index}", language_pairs=["ko-vi"]
                )
                session.add_all([company, buyer, interpreter])
                await session.flush()
                meeting = Meeting(
                    mission_id=mission.id,
                    company_id=company.id,
                    buyer_id=buyer.id,
                    interpreter_id=interpreter.id,
                    language_pair="ko-vi",
                    starts_at=now - timedelta(minutes=1),
                    ends_at=now + timedelta(minutes=minutes + 30),
                )
                session.add(meeting)
                await session.flush()
                for seat in seats:
                    link = await rooms_service.issue_link(
                        session=session,
                        meeting=meeting,
                        seat=Seat(seat),
                        expires_at=meeting.ends_at + timedelta(hours=1),
                        now=now,
                    )
                    token = signer.sign(rooms_service.claims_of(link))
                    specs.append(SeatSpec(meeting.id, seat, token))
    finally:
        await engine.dispose()
    return specs


@dataclass
class Service:
    process: subprocess.Popen[bytes]
    base_url: str
    ws_url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_service(
    database_url: str,
    secret_key: str,
    folder: Path,
    log_level: str = "WARNING",
    settings: dict[str, str] | None = None,
) -> Service:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEBOOTH_")} | {
        "TRADEBOOTH_ENVIRONMENT": "test",
        "TRADEBOOTH_DATABASE_URL": database_url,
        "TRADEBOOTH_HOST": "127.0.0.1",
        "TRADEBOOTH_PORT": str(port),
        "TRADEBOOTH_SECRET_KEY": secret_key,
        "TRADEBOOTH_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
        "TRADEBOOTH_LOG_LEVEL": log_level,
    }
    env |= {f"TRADEBOOTH_{key.upper()}": value for key, value in (settings or {}).items()}
    log = folder / "service.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "--no-demo"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    service = Service(process, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{service.base_url}/readyz", timeout=2).status_code == 200:
                return service
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            service.stop()
            raise RuntimeError("the service did not become ready in 120 s")
        time.sleep(0.2)


# The load ---------------------------------------------------------------------------------


class LoadProcess:
    """Load seats in a process of their own; with `entry_url` each seat asks `POST /join`
    there first (where its room lives), as a browser does."""

    def __init__(self, ws_url: str, media: str, specs: list[SeatSpec], entry_url: str = "") -> None:
        self.stop = ctx.Event()
        self.reports: Any = ctx.Queue()
        self.latest: list[dict[str, Any]] = []
        self.process = ctx.Process(
            target=load_peers.run,
            args=(ws_url, media, specs, self.stop, self.reports, REPORT_EVERY_S, entry_url),
        )
        self.process.start()
        assert self.process.pid is not None
        self.stat = ProcStat(self.process.pid)
        self._cpu = (time.monotonic(), 0.0)

    def poll(self) -> list[dict[str, Any]]:
        while not self.reports.empty():
            _, self.latest = self.reports.get()
        return self.latest

    def cpu_share(self) -> float:
        """Cores this load process used since the last call (to see it being starved)."""
        now, cpu = time.monotonic(), self.stat.cpu_s()
        share = (cpu - self._cpu[1]) / max(1e-9, now - self._cpu[0])
        self._cpu = (now, cpu)
        return share

    def died(self) -> int | None:
        """The exit code when the load process ended before it was told to."""
        if self.process.is_alive() or self.stop.is_set():
            return None
        return self.process.exitcode

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        deadline = time.monotonic() + 60
        while self.process.is_alive() and time.monotonic() < deadline:
            self.poll()
            self.process.join(0.5)
        self.poll()
        if self.process.is_alive():
            self.process.kill()
        return self.latest


@dataclass
class Errors:
    failed_joins: set[str]
    ice_failures: set[str]
    closed: set[str]
    missing_video: set[str]
    stalls: set[str]
    service_exceptions: int = 0
    service_died: bool = False
    refused_rooms: set[int] = field(default_factory=set)  # not errors: refused, not dropped

    def total(self) -> int:
        sets = (self.failed_joins, self.ice_failures, self.closed, self.missing_video, self.stalls)
        return sum(len(s) for s in sets) + self.service_exceptions + int(self.service_died)

    def describe(self) -> str:
        return (
            f"failed_joins={len(self.failed_joins)} ice_failures={len(self.ice_failures)} "
            f"closed_by_service={len(self.closed)} missing_video={len(self.missing_video)} "
            f"stalls={len(self.stalls)} service_exceptions={self.service_exceptions} "
            f"service_died={self.service_died}"
        )


def seat_name(report: dict[str, Any]) -> str:
    return f"{report['room']}/{report['seat']}"


def check(
    reports: list[dict[str, Any]], errors: Errors, previous: dict[str, int] | None, warm: bool
) -> dict[str, int]:
    """Record what is wrong now; returns the packet counts per (seat, track) for stalls."""
    counts: dict[str, int] = {}
    for report in reports:
        if report.get("refused"):
            errors.refused_rooms.add(report["room"])
    for report in reports:
        name = seat_name(report)
        if report["room"] in errors.refused_rooms:
            # Past capacity: the service refused the room (503 / 1013, Retry-After); none of
            # its seats is in, none is counted as failing.
            continue
        if report["join_error"]:
            errors.failed_joins.add(f"{name}: {report['join_error']}")
        if report["ice_failed"]:
            errors.ice_failures.add(name)
        if report["closed"]:
            errors.closed.add(f"{name}: {report['closed']}")
        if not warm:
            continue
        if not report["joined"]:
            errors.failed_joins.add(f"{name}: no response to join")
        others = sorted(set(SEATS) - {report["seat"]})
        if report["video_from"] != others:
            errors.missing_video.add(f"{name}: video from {report['video_from']}")
        for mid, packets in report["expected"].items():
            key = f"{name} mid {mid}"
            counts[key] = packets
            if previous is not None and key in previous and packets <= previous[key]:
                errors.stalls.add(key)
    return counts


def service_exceptions(log: Path) -> int:
    text = log.read_text(errors="replace")
    return text.count("Traceback (most recent call last)")


POSTGRES_ADMIN_URL = os.environ.get(
    "TRADEBOOTH_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def _admin(sql: str) -> None:
    from app.database import create_engine

    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


def run(
    rooms: int,
    minutes: float,
    processes: int,
    keep: bool,
    log_level: str,
    media_name: str,
    sqlite: bool,
    capacity: int = 0,
) -> int:
    if sqlite:
        return _run(rooms, minutes, processes, keep, log_level, media_name, None, capacity)
    from sqlalchemy.engine import make_url

    name = f"tradebooth_load_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        return _run(rooms, minutes, processes, keep, log_level, media_name, url, capacity)
    finally:
        if not keep:
            asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(
    rooms: int,
    minutes: float,
    processes: int,
    keep: bool,
    log_level: str,
    media_name: str,
    postgres_url: str | None,
    capacity: int = 0,
) -> int:
    duration = minutes * 60
    warmup = min(120.0, max(20.0, 0.2 * duration), duration / 2)
    started = time.monotonic()
    media = str(cached(PROFILES[media_name]))
    folder = Path(tempfile.mkdtemp(prefix="tradebooth-load-"))
    database_url = postgres_url or f"sqlite+aiosqlite:///{folder / 'load.db'}"
    secret_key = secrets.token_urlsafe(32)

    from app.migrations import upgrade

    upgrade(database_url)
    specs = asyncio.run(seed(database_url, rooms, minutes, secret_key))
    limits = {"node_max_rooms": str(capacity)} if capacity else {}
    service = start_service(database_url, secret_key, folder, log_level, limits)
    stat = ProcStat(service.process.pid)
    print(
        f"service pid {service.process.pid} on {service.base_url}, {rooms} rooms x 3 seats"
        f"{f' (capacity {capacity} rooms)' if capacity else ''}, "
        f"{processes} load processes, media {media_name}, {database_url.split(':')[0]}, "
        f"warm-up {warmup:.0f} s of {duration:.0f} s (setup {time.monotonic() - started:.1f} s)",
        flush=True,
    )
    by_room: dict[int, list[SeatSpec]] = {}
    for spec in specs:
        by_room.setdefault(spec.meeting_id, []).append(spec)
    shares: list[list[SeatSpec]] = [[] for _ in range(processes)]
    for index, room_specs in enumerate(by_room.values()):
        shares[index % processes] += room_specs
    # Each seat asks `POST /join` first, as a browser does: past capacity it is refused there.
    loads = [
        LoadProcess(service.ws_url, media, share, service.base_url) for share in shares if share
    ]
    errors = Errors(set(), set(), set(), set(), set())
    rss: list[tuple[float, float]] = []
    cpu_at_warm: tuple[float, float] | None = None
    previous: dict[str, int] | None = None
    last_stall_check = 0.0
    begin = time.monotonic()
    try:
        while (now := time.monotonic() - begin) < duration:
            time.sleep(REPORT_EVERY_S)
            if service.process.poll() is not None:
                errors.service_died = True
                break
            for load in loads:
                if (code := load.died()) is not None:
                    raise RuntimeError(f"a load process died (exit code {code})")
            reports = [report for load in loads for report in load.poll()]
            rss.append((now, stat.rss_mb()))
            warm = now >= warmup
            if warm and cpu_at_warm is None:
                cpu_at_warm = (time.monotonic(), stat.cpu_s())
            if warm and now - last_stall_check >= STALL_WINDOW_S:
                previous = check(reports, errors, previous, warm=True)
                last_stall_check = now
            else:
                check(reports, errors, None, warm=False)
            if int(now) % 60 < REPORT_EVERY_S:
                generator = " ".join(f"{load.cpu_share():.2f}" for load in loads)
                packets = sum(report["packets"] for report in reports)
                print(
                    f"  t={now:.0f} s rss={rss[-1][1]:.1f} MB cpu={stat.cpu_s():.1f} s "
                    f"seats_joined={sum(r['joined'] for r in reports)}/{len(specs)} "
                    f"rooms_refused={len(errors.refused_rooms)} "
                    f"packets_received={packets} errors={errors.total()} "
                    f"load_process_cores={generator}",
                    flush=True,
                )
        end_cpu = (time.monotonic(), stat.cpu_s()) if service.process.poll() is None else None
    finally:
        final = [report for load in loads for report in load.finish()]
        service.stop()
    errors.service_exceptions = service_exceptions(service.log)
    if errors.total():
        for label, items in (
            ("failed join", errors.failed_joins),
            ("ICE failure", errors.ice_failures),
            ("closed by the service", errors.closed),
            ("missing video", errors.missing_video),
            ("stall", errors.stalls),
        ):
            for item in sorted(items)[:10]:
                print(f"  {label}: {item}", flush=True)
        if errors.service_exceptions:
            print(f"  service log with exceptions: {service.log}", flush=True)
    baseline_samples = [mb for t, mb in rss if warmup <= t < warmup + STALL_WINDOW_S]
    baseline = sum(baseline_samples) / len(baseline_samples) if baseline_samples else math.nan
    tail = [mb for _, mb in rss[-5:]]
    end_rss = sum(tail) / len(tail) if tail else math.nan
    growth_mb = end_rss - baseline
    growth_pct = 100 * growth_mb / baseline if baseline else math.nan
    check(final, errors, None, warm=False)
    admitted = rooms - len(errors.refused_rooms)
    if cpu_at_warm is not None and end_cpu is not None and admitted:
        cpu_per_room = (end_cpu[1] - cpu_at_warm[1]) / (end_cpu[0] - cpu_at_warm[0]) / admitted
    else:
        cpu_per_room = math.nan
    packets = sum(report["packets"] for report in final)
    peak = max((mb for _, mb in rss), default=math.nan)
    print(
        f"service RSS {baseline:.1f} MB after warm-up -> {end_rss:.1f} MB at the end "
        f"(peak {peak:.1f} MB); {packets} packets received by the seats; {errors.describe()}",
        flush=True,
    )
    if not keep:
        for path in folder.iterdir():
            if path.name != "service.log" or not errors.total():
                path.unlink()
        if not any(folder.iterdir()):
            folder.rmdir()
    # Past capacity the surplus must be refused (503 / 1013), every admitted room held.
    surplus = max(0, rooms - capacity) if capacity else 0
    print(
        f"rooms={rooms} minutes={minutes:g} errors={errors.total()} "
        f"rss_growth_mb={growth_mb:.1f} rss_growth_pct={growth_pct:.1f} "
        f"cpu_per_room={cpu_per_room:.4f} capacity={capacity} admitted_rooms={admitted} "
        f"refused_rooms={len(errors.refused_rooms)}",
        flush=True,
    )
    flat = not math.isnan(growth_pct) and growth_pct < GROWTH_LIMIT_PCT
    refused_right = len(errors.refused_rooms) == surplus
    return 0 if errors.total() == 0 and flat and refused_right else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=3, help=f"concurrent rooms (<= {MAX_ROOMS})")
    parser.add_argument(
        "--minutes", type=float, default=1.0, help=f"how long the rooms run (<= {MAX_MINUTES})"
    )
    parser.add_argument(
        "--processes", type=int, default=0, help="load processes (default: one per 7 rooms)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the log")
    parser.add_argument("--log-level", default="WARNING", help="the service's log level")
    parser.add_argument(
        "--sqlite",
        action="store_true",
        help="run the service on SQLite (default: a fresh database on the PostgreSQL server at "
        "TRADEBOOTH_BENCH_POSTGRES_URL, dropped afterwards)",
    )
    parser.add_argument(
        "--media",
        choices=sorted(PROFILES),
        default="full",
        help="full: 640x480 30 fps ~500 kbps + Opus 20 ms; light: 320x240 15 fps ~150 kbps "
        "+ Opus 60 ms (a third of the packets)",
    )
    parser.add_argument(
        "--capacity",
        type=int,
        default=0,
        help="the service's hard limit of rooms (TRADEBOOTH_NODE_MAX_ROOMS); past it the "
        "surplus rooms must be refused (503 / close 1013) while the admitted ones keep 0 errors",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rooms <= MAX_ROOMS:
        parser.error(f"--rooms must be 1..{MAX_ROOMS}")
    if not 0.25 <= args.minutes <= MAX_MINUTES:
        parser.error(f"--minutes must be 0.25..{MAX_MINUTES}")
    processes = args.processes or max(1, math.ceil(args.rooms / 7))
    return run(
        args.rooms,
        args.minutes,
        processes,
        args.keep,
        args.log_level,
        args.media,
        args.sqlite,
        args.capacity,
    )


if __name__ == "__main__":
    sys.exit(main())
