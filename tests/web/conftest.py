"""The real app under uvicorn on a free loopback port, a migrated SQLite file, and seed data."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Playwright, sync_playwright

from app.auth.dependencies import CSRF_HEADER
from app.auth.models import UserRole
from app.database import create_engine, create_sessionmaker
from app.migrations import upgrade
from app.settings import Settings
from tests import principals
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "var" / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base_url: str
    api: httpx.Client  # signed in as an admin
    database_url: str
    cookies: dict[str, str] = field(default_factory=dict)  # the admin's session, for browsers
    admin_email: str = ""  # signs in with tests.principals.PASSWORD

    def sign_in(self, context: BrowserContext) -> None:
        """Give a browser context the admin's session (console pages need one)."""
        context.add_cookies(
            [{"name": k, "value": v, "url": self.base_url} for k, v in self.cookies.items()]
        )

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.api.post(path, json=body)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    def get(self, path: str, **params: Any) -> Any:
        response = self.api.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()


async def _admin_session(url: str) -> tuple[dict[str, str], str, str]:
    """An admin with a live session in the test database: its cookies and CSRF token."""
    settings = Settings(environment="test", database_url=url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            admin = await principals.user(session, role=UserRole.ADMIN)
            signed = await principals.signed_in(session, settings, admin)
    finally:
        await engine.dispose()
    return principals.cookies(settings, signed), signed.csrf_token, admin.email


@contextmanager
def running_app(url: str, folder: Path) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, on the database at `url`; its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "TRADEBOOTH_ENVIRONMENT": "test",
        "TRADEBOOTH_DATABASE_URL": url,
        "TRADEBOOTH_HOST": "127.0.0.1",
        "TRADEBOOTH_PORT": str(port),
        "TRADEBOOTH_ICE_HOST_ADDRESSES": '["127.0.0.1"]',
        "TRADEBOOTH_ICE_SERVERS": "[]",
        "TRADEBOOTH_ROOM_GRACE_SECONDS": "60",
        "TRADEBOOTH_ATTENDANCE_CHECK_SECONDS": "1",  # the board's flags within a second
        "TRADEBOOTH_LOG_LEVEL": "WARNING",
    }
    log = (folder / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        try:  # 90 s: a loaded 2-core machine imports aiortc and ortools slowly
            wait_until(lambda: healthy() or process.poll() is not None, 90, "the app")
        except AssertionError:
            pass  # reported below with the app's log
        if process.poll() is not None or not healthy():
            log.flush()
            raise RuntimeError((folder / "uvicorn.log").read_text()[-3000:])
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite+aiosqlite:///{folder / 'web.db'}"
    upgrade(url)
    cookies, csrf, admin_email = asyncio.run(_admin_session(url))
    with running_app(url, folder) as base_url, httpx.Client(
        base_url=f"{base_url}/api/v1", timeout=10, cookies=cookies, headers={CSRF_HEADER: csrf}
    ) as api:
        yield Server(
            base_url=base_url, api=api, database_url=url, cookies=cookies, admin_email=admin_email
        )


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in the
    # main thread while it is started, and pytest-asyncio cannot run an async test or
    # fixture beside it, so a browser module must not leave it running for the tests after.
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


_counter = iter(range(1, 1_000_000))


@dataclass
class Seeded:
    mission: dict[str, Any]
    companies: list[dict[str, Any]]
    buyers: list[dict[str, Any]]
    interpreter: dict[str, Any]
    meetings: list[dict[str, Any]]


def seed_mission(server: Server, *, live_meeting: bool = False) -> Seeded:
    """A mission like the seeds': Incheon booths, Jakarta buyers, a ko-id interpreter, meetings.

    With `live_meeting`, the first meeting's slot is running now (its room is open).
    """
    n = next(_counter)
    organisation = server.post(
        "/organisations",
        {
            "name": f"Namdong-gu Office {n}",
            "kind": "district_office",
            "country": "KR",
            "city": "Incheon",
        },
    )
    now = datetime.now(UTC)
    day = now.date()
    mission = server.post(
        "/missions",
        {
            "organisation_id": organisation["id"],
            "name": f"Indonesia video export consultation {n}",
            "target_countries": ["ID"],
            "target_cities": ["Jakarta"],
            "start_date": (day - timedelta(days=1)).isoformat(),
            "end_date": (day + timedelta(days=1)).isoformat(),
            "timezone": "Asia/Seoul",
            "currency": "USD",
            "slot_minutes": 30,
            "status": "scheduled",
        },
    )
    mid = mission["id"]
    booths = [
        server.post(
            f"/missions/{mid}/venues",
            {
                "name": f"Booth {i}",
                "kind": "booth",
                "city": "Incheon",
                "country": "KR",
                "timezone": "Asia/Seoul",
            },
        )
        for i in (1, 2)
    ]
    centre = server.post(
        f"/missions/{mid}/venues",
        {
            "name": "KBC Jakarta room",
            "kind": "business_centre",
            "city": "Jakarta",
            "country": "ID",
            "timezone": "Asia/Jakarta",
        },
    )
    companies = [
        server.post(
            f"/missions/{mid}/companies",
            {
                "name": name,
                "industry": industry,
                "products": products,
                "contact_name": "Kim Minji",
                # Sharing English with the buyers: meetings may do without the interpreter.
                "languages": ["ko", "en"],
            },
        )
        for name, industry, products in (
            ("Hanbit Cosmetics", "cosmetics", ["cushion foundation", "sheet masks"]),
            ("Daeyang Motors", "machinery", ["blowers", "BLDC motors"]),
            ("Seorim Foods", "food", ["ready meals"]),
        )
    ]
    buyers = [
        server.post(
            f"/missions/{mid}/buyers",
            {
                "name": name,
                "company_name": company,
                "country": "ID",
                "city": "Jakarta",
                "languages": ["id", "en"],
                "products_sought": ["cosmetics"],
            },
        )
        for name, company in (("Siti Rahma", "PT Cantik Abadi"), ("Budi Santoso", "PT Maju Teknik"))
    ]
    interpreter = server.post(
        f"/missions/{mid}/interpreters",
        {
            "name": "Lee Jiwon",
            "language_pairs": ["ko-id"],
        },
    )
    if live_meeting:
        start = now - timedelta(minutes=1)
    else:
        start = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    start = start.replace(second=0, microsecond=0)
    plan = [
        (0, 0, 0, 0, True),
        (1, 1, 1, 0, True),
        (2, 0, 0, 1, False),
        (0, 1, 1, 2, False),
    ]
    meetings = []
    for company_i, buyer_i, booth_i, slot, with_interpreter in plan:
        begins = start + timedelta(minutes=30 * slot)
        body: dict[str, Any] = {
            "company_id": companies[company_i]["id"],
            "buyer_id": buyers[buyer_i]["id"],
            "company_venue_id": booths[booth_i]["id"],
            "buyer_venue_id": centre["id"] if buyer_i == 0 else None,
            "starts_at": begins.isoformat(),
            "ends_at": (begins + timedelta(minutes=30)).isoformat(),
            "language_pair": "ko-id",
        }
        if with_interpreter and slot == 0 and company_i == 0:
            body["interpreter_id"] = interpreter["id"]
        meetings.append(server.post(f"/missions/{mid}/meetings", body))
    return Seeded(mission, companies, buyers, interpreter, meetings)
