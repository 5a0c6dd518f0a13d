"""The kiosk's morning self-test in Chromium started without a fake camera: the booth screen
says it is not ready and why, and the organiser's board shows it as it happens."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

from tests.web.conftest import Server
from tests.web.kiosks import (
    Organiser,
    booth_day,
    launch_kiosk,
    organiser,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.browser


def test_self_test_reports_a_missing_camera_to_the_booth_and_the_board(
    server: Server,
    organiser: Organiser,  # noqa: F811
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    day = booth_day(organiser, starts=[], slot=None)  # a booth with no meetings today
    link = organiser.post(f"/missions/{day.mission_id}/venues/{day.booth_id}/booth-link")

    board_ctx, board_console = launch_kiosk(playwright, tmp_path / "board")
    kiosk_ctx, kiosk_console = launch_kiosk(playwright, tmp_path / "kiosk", camera=False)
    try:
        organiser.sign_in(board_ctx, server.base_url)
        board = board_ctx.new_page()
        board.goto(f"{server.base_url}/missions/{day.mission_id}/board")
        row = board.locator(f'#booths-rows tr[data-venue="{day.booth_id}"]')
        expect(row.locator(".booth-check")).to_contain_text("Not run yet")
        expect(board.locator("#board-booths")).to_have_attribute("data-feed", "live")

        kiosk = kiosk_ctx.new_page()
        kiosk.goto(link["url"])  # nobody touches it: the morning self-test runs by itself
        camera = kiosk.locator('#selftest-list li[data-check="camera"]')
        expect(camera).to_have_attribute("data-state", "bad", timeout=30_000)
        expect(camera).to_have_attribute("data-reason", "no_device")
        expect(camera).to_contain_text("no camera found")
        verdict = kiosk.locator("#selftest-verdict")
        expect(verdict).to_have_attribute("data-ready", "no", timeout=30_000)
        expect(verdict).to_contain_text("Not ready")
        expect(verdict).to_contain_text("no camera found: plug one in")
        # The rest was checked as well: the speaker played its tone, the service is fast.
        expect(kiosk.locator('#selftest-list li[data-check="speaker"]')).to_have_attribute(
            "data-state", "ok"
        )
        expect(kiosk.locator('#selftest-list li[data-check="bandwidth"]')).to_have_attribute(
            "data-state", "ok"
        )
        expect(kiosk.locator('#selftest-list li[data-check="turn"]')).to_contain_text("not needed")
        kiosk.screenshot(path=str(screenshots / "kiosk-selftest-no-camera.png"))

        # The board learnt it from its live feed, without a reload.
        expect(row.locator(".booth-check")).to_have_attribute("data-ready", "no")
        expect(row.locator(".booth-check")).to_contain_text("no camera found")
        expect(row.locator(".kiosk-online")).to_have_attribute("data-online", "1")
        board.screenshot(path=str(screenshots / "board-booths-not-ready.png"))
        status = organiser.get(f"/missions/{day.mission_id}/booths")
        (booth,) = [b for b in status["booths"] if b["venue_id"] == day.booth_id]
        assert booth["last_check"]["ready"] is False
        assert "camera.no_device" in booth["last_check"]["problems"]
        assert booth["last_check"]["checks"]["speaker"]["value"] > 0.3  # seconds of tone
        assert kiosk_console.errors == []
        assert board_console.errors == []
    finally:
        kiosk_ctx.close()
        board_ctx.close()
