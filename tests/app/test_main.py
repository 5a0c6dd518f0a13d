"""`python -m app` for real: a process on a free loopback port with its own SQLite file."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from app.__main__ import wants_demo
from app.demo import MISSION as DEMO_MISSION
from app.demo_results import MISSION as FINISHED_MISSION
from app.settings import Settings
from tests.conftest import without_libfaketime
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
# A busy machine answers slowly (a sign-in hashes a password): a wait, not a speed goal.
HTTP_TIMEOUT = 30
# Debian's libfaketime, as its `faketime` command preloads it (the loader expands $LIB).
LIBFAKETIME = "/usr/$LIB/faketime/libfaketime.so.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, within_seconds: float) -> None:
    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"python -m app exited with {process.returncode}")
        try:
            return httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, within_seconds, f"{base_url}/readyz to answer 200")


def _run_once(
    tmp_path: Path,
    database: Path,
    run: int,
    *,
    fake_now: datetime | None = None,
    zone: str = "UTC",
) -> tuple[dict[str, object], str]:
    """Start the service, check it, stop it; return the missions page and what it printed.

    With `fake_now`, the whole process runs from that instant on (libfaketime, the Debian
    `faketime` package), in the server time zone `zone`.
    """
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    # With fake_now, not the suite's own libfaketime (when it runs under faketime, README).
    base = dict(os.environ) if fake_now is None else without_libfaketime()
    env = {k: v for k, v in base.items() if not k.startswith("TRADEBOOTH_")}
    env |= {
        "TRADEBOOTH_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TRADEBOOTH_HOST": "127.0.0.1",
        "TRADEBOOTH_PORT": str(port),
        "TRADEBOOTH_LOG_LEVEL": "WARNING",
        "TZ": zone,
    }
    command = [sys.executable, "-m", "app"]
    if fake_now is not None:
        local = fake_now.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S")
        # libfaketime preloaded into the service itself, as the `faketime` command does; not
        # through that command, which forks and does not pass our SIGTERM on (the service
        # outlived the test).
        env["LD_PRELOAD"] = " ".join(filter(None, [LIBFAKETIME, env.get("LD_PRELOAD")]))
        env["FAKETIME"] = f"@{local}"
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"  # asyncio's timers keep the real pace
        env["FAKETIME_FORCE_MONOTONIC_FIX"] = "0"  # else threads hand the GIL over slowly
    started = time.monotonic()
    output = tmp_path / f"run-{run}.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(process, base_url, within_seconds=60)
            assert httpx.get(f"{base_url}/healthz", timeout=HTTP_TIMEOUT).json() == {"status": "ok"}
            docs = httpx.get(f"{base_url}/docs", timeout=HTTP_TIMEOUT)
            assert docs.status_code == 200 and "swagger" in docs.text.lower()
            assert httpx.get(f"{base_url}/api/v1/missions", timeout=HTTP_TIMEOUT).status_code == 401
            log.flush()
            email, password = _printed_sign_in(output.read_text())
            with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT) as console:
                signed = console.post(
                    "/api/v1/auth/sign-in", json={"email": email, "password": password}
                )
                assert signed.status_code == 200, signed.text
                missions = console.get("/api/v1/missions")
            assert missions.status_code == 200
            page: dict[str, object] = missions.json()
            log.flush()
            elapsed = timedelta(seconds=time.monotonic() - started)
            _check_try_now_links(base_url, output.read_text(), (fake_now or now()) + elapsed)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Stopped means gone: nothing serves its port any more.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    return page, output.read_text()


def _printed_sign_in(printed: str) -> tuple[str, str]:
    """The demo admin's email and one-time password, as `python -m app` prints them."""
    found = re.search(r"Sign in at \S+/sign-in as (\S+) with the one-time password (\S+)", printed)
    assert found, printed
    return found[1], found[2]


def now() -> datetime:
    return datetime.now(UTC)


def _check_try_now_links(base_url: str, printed: str, at: datetime) -> None:
    """Each printed seat link admits to a meeting that is running `at` (the service's now, to
    within the start-up time), in that seat, with a quarter of an hour left at least."""
    joins = dict(re.findall(r"Join as (\w+)\s+(\S+)", printed))
    assert {"company", "buyer", "interpreter"} <= set(joins), printed
    meetings = set()
    for seat, url in joins.items():
        assert url.startswith(f"{base_url}/join#"), url
        token = url.split("#", 1)[1]
        details = httpx.post(f"{base_url}/api/v1/join", json={"token": token}, timeout=HTTP_TIMEOUT)
        assert details.status_code == 200, details.text
        body = details.json()
        assert body["seat"] == seat
        starts = datetime.fromisoformat(body["starts_at"])
        ends = datetime.fromisoformat(body["ends_at"])
        assert starts <= at and ends - at >= timedelta(minutes=14), (starts, at, ends)
        meetings.add(body["meeting_id"])
    assert len(meetings) == 1
    # The booth's screen (docs/booths.md): its link lists that meeting on today's agenda.
    kiosk = re.search(r"Booth screen\s+(\S+)", printed)
    assert kiosk and kiosk[1].startswith(f"{base_url}/kiosk#"), printed
    agenda = httpx.get(
        f"{base_url}/api/v1/kiosk",
        headers={"X-Booth-Token": kiosk[1].split("#", 1)[1]},
        timeout=HTTP_TIMEOUT,
    )
    assert agenda.status_code == 200, agenda.text
    assert meetings <= {m["meeting_id"] for m in agenda.json()["meetings"]}


@pytest.mark.timeout(180)
def test_python_m_app_serves_the_demo_mission_and_a_second_run_does_not_duplicate_it(
    tmp_path: Path,
) -> None:
    database = tmp_path / "var" / "tradebooth.db"
    first, printed = _run_once(tmp_path, database, run=1)
    # The demo mission, and a finished past one whose results page is printed (demo_results).
    assert first["total"] == 2, first
    by_name = {m["name"]: m for m in first["items"]}  # type: ignore[attr-defined]
    mission, finished = by_name[DEMO_MISSION], by_name[FINISHED_MISSION]
    assert "Namdong-gu" in mission["name"]
    assert f"/missions/{finished['id']}/results" in printed, printed
    assert "/docs" in printed and "/api/v1/missions" in printed, printed
    assert f"Demo mission {mission['id']}" in printed, printed
    assert f"{mission['id']}/meetings" in printed, printed

    second, printed_again = _run_once(tmp_path, database, run=2)
    assert second["total"] == 2
    assert second["items"] == first["items"]
    # Each start prints a new one-time password.
    assert _printed_sign_in(printed_again)[1] != _printed_sign_in(printed)[1]


def test_the_demo_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEBOOTH_DEMO", raising=False)
    assert wants_demo(Settings(), None) is True
    assert wants_demo(Settings(demo=False), None) is False
    assert wants_demo(Settings(demo=True), False) is False
    assert wants_demo(Settings(), True) is True


def test_a_loopback_service_keeps_its_media_candidates_on_loopback() -> None:
    from app.__main__ import with_loopback_media

    assert with_loopback_media(Settings(host="127.0.0.1")).ice_host_addresses == ["127.0.0.1"]
    chosen = Settings(host="127.0.0.1", ice_host_addresses=["::1"])
    assert with_loopback_media(chosen).ice_host_addresses == ["::1"]
    assert with_loopback_media(Settings(host="0.0.0.0")).ice_host_addresses is None


# 23:40 UTC is 08:40 in Seoul, twenty minutes before the demo day's booths all fill: where
# `make run` used to exit. 15:10 UTC is ten past midnight in Seoul.
@pytest.mark.timeout(240)
@pytest.mark.parametrize(
    ("fake_now", "zone"),
    [
        (datetime(2026, 12, 8, 23, 40, tzinfo=UTC), "UTC"),
        (datetime(2026, 12, 9, 15, 10, tzinfo=UTC), "Asia/Seoul"),
    ],
)
def test_python_m_app_starts_with_a_meeting_open_now_whatever_the_hour(
    tmp_path: Path, fake_now: datetime, zone: str
) -> None:
    database = tmp_path / "var" / "tradebooth.db"
    page, printed = _run_once(tmp_path, database, run=1, fake_now=fake_now, zone=zone)
    assert page["total"] == 2, printed  # the demo mission and the finished one
    if zone == "UTC":  # a restart later the same day finds or makes it again
        later = fake_now + timedelta(hours=5, minutes=50)
        _run_once(tmp_path, database, run=2, fake_now=later, zone=zone)
