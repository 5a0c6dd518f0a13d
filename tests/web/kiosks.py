"""Booth-mode browser test helpers: a signed-in organiser, a day of short meetings, kiosks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright

from tests.conftest import without_libfaketime
from tests.web.browser import ARGS, CHROMIUM, Console
from tests.web.conftest import ROOT, Server

PASSWORD = "kiosk tests password 2026"

# Frames decoded from every remote video of the kiosk's call.
FRAMES_JS = """async () => {
  const pc = window.tbCall && window.tbCall.pc;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
  });
  return frames;
}"""


class Organiser:
    """The console's API as a signed-in admin (cookies kept, CSRF header sent)."""

    def __init__(self, server: Server, email: str) -> None:
        self.email = email
        self.http = httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=20)
        response = self.http.post("/auth/sign-in", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.http.headers["X-CSRF-Token"] = response.json()["csrf_token"]

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=body or {})
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def sign_in(self, context: BrowserContext, base_url: str) -> None:
        """Sign a browser context in too (the console's cookies land in its jar)."""
        response = context.request.post(
            f"{base_url}/api/v1/auth/sign-in", data={"email": self.email, "password": PASSWORD}
        )
        assert response.ok, response.text()


@pytest.fixture(scope="module")
def organiser(server: Server) -> Iterator[Organiser]:
    email = f"kiosk-{uuid.uuid4().hex[:8]}@tradebooth.test"
    created = subprocess.run(
        [sys.executable, "-m", "app.auth", "create-admin", "--email", email, "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "TRADEBOOTH_DATABASE_URL": server.database_url},
        timeout=120,
    )
    assert created.returncode == 0, created.stderr
    organiser = Organiser(server, email)
    yield organiser
    organiser.http.close()


@dataclass
class Day:
    mission_id: int
    booth_id: int
    centre_id: int
    meetings: list[dict[str, Any]]
    companies: list[str]


def booth_day(organiser: Organiser, *, starts: list[datetime], slot: timedelta | None) -> Day:
    """A mission with one district-office booth and one business-centre room, and a meeting
    at each of `starts` (a different company and buyer each time) between the two."""
    n = uuid.uuid4().hex[:6]
    organisation = organiser.post(
        "/organisations",
        {"name": f"Namdong-gu Office {n}", "kind": "district_office", "country": "KR"},
    )
    today = datetime.now(UTC).date()
    mission = organiser.post(
        "/missions",
        {
            "organisation_id": organisation["id"],
            "name": f"Jakarta video consultations {n}",
            "target_countries": ["ID"],
            "start_date": (today - timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=1)).isoformat(),
            "timezone": "Asia/Seoul",
            "status": "scheduled",
        },
    )
    mid = mission["id"]
    booth = organiser.post(
        f"/missions/{mid}/venues",
        {
            "name": "Booth 1",
            "kind": "booth",
            "city": "Incheon",
            "country": "KR",
            "timezone": "Asia/Seoul",
        },
    )
    centre = organiser.post(
        f"/missions/{mid}/venues",
        {
            "name": "KBC Jakarta",
            "kind": "business_centre",
            "city": "Jakarta",
            "country": "ID",
            "timezone": "Asia/Jakarta",
        },
    )
    names = ["Hanbit Cosmetics", "Daeyang Motors", "Seorim Foods", "Mirae Audio"]
    buyers = ["PT Cantik Abadi", "PT Maju Teknik", "PT Rasa Nusantara", "PT Suara Jaya"]
    meetings = []
    for i, begins in enumerate(starts):
        assert slot is not None
        company = organiser.post(
            f"/missions/{mid}/companies",
            {"name": names[i], "industry": "cosmetics", "products": ["masks"], "languages": ["ko"]},
        )
        buyer = organiser.post(
            f"/missions/{mid}/buyers",
            {
                "name": f"Buyer {i + 1}",
                "company_name": buyers[i],
                "country": "ID",
                "city": "Jakarta",
                "languages": ["id", "ko"],  # the meetings need no interpreter
            },
        )
        meetings.append(
            organiser.post(
                f"/missions/{mid}/meetings",
                {
                    "company_id": company["id"],
                    "buyer_id": buyer["id"],
                    "company_venue_id": booth["id"],
                    "buyer_venue_id": centre["id"],
                    "starts_at": begins.isoformat(),
                    "ends_at": (begins + slot).isoformat(),
                },
            )
        )
    return Day(mid, booth["id"], centre["id"], meetings, names[: len(starts)])


def launch_kiosk(
    playwright: Playwright, profile: Path, *, camera: bool = True, locale: str = "en-GB"
) -> tuple[BrowserContext, Console]:
    """Chromium as tests/web/browser.py launches it; `camera=False` leaves out the fake
    devices, so the machine's own (none, on a test server) are all it has."""
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    preferences = {"webrtc": {"ip_handling_policy": "default_public_interface_only"}}
    (profile / "Default" / "Preferences").write_text(json.dumps(preferences))
    args = [a for a in ARGS if camera or a != "--use-fake-device-for-media-stream"]
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=args,
        locale=locale,
        viewport={"width": 1366, "height": 900},
        permissions=["camera", "microphone"],
        env=without_libfaketime(),
    )
    console = Console()
    for page in context.pages:
        console.watch(page)
    context.on("page", console.watch)
    return context, console


def kiosk_state(page: Page) -> tuple[str, str]:
    """(state, meeting) of a kiosk page: loading, agenda, joining, call or problem."""
    result: list[str] = page.evaluate(
        "() => [document.getElementById('kiosk').dataset.state || '',"
        " document.getElementById('kiosk').dataset.meeting || '']"
    )
    return result[0], result[1]


def kiosk_log(page: Page) -> list[dict[str, Any]]:
    """The kiosk's state changes: [{state, meeting, home, reminder, at}] (static/js/kiosk.js)."""
    log: list[dict[str, Any]] = page.evaluate("() => window.tbKiosk.log")
    return log


def after_call(page: Page, meeting_id: int) -> dict[str, Any] | None:
    """The first state the kiosk noted after its call in `meeting_id`, once there is one."""
    log = kiosk_log(page)
    calls = [
        i for i, e in enumerate(log) if e["state"] == "call" and e["meeting"] == str(meeting_id)
    ]
    if not calls or calls[0] + 1 >= len(log):
        return None
    return log[calls[0] + 1]


def frames(page: Page) -> int:
    return int(page.evaluate(FRAMES_JS))
