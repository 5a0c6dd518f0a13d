"""The board's attendance flags in the browser: a consultation running with nobody in is
flagged with a ring button per missing side; each kiosk that joins late clears its part."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def test_board_flags_missing_seats_and_late_kiosks_clear_them(
    server: Server,
    organiser: Organiser,  # noqa: F811
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    # Six minutes into its slot (the service flags a seat still out after five).
    started = (datetime.now(UTC) - timedelta(minutes=6)).replace(microsecond=0)
    day = booth_day(organiser, starts=[started], slot=timedelta(minutes=30))
    (meeting,) = day.meetings
    links = {
        venue: organiser.post(f"/missions/{day.mission_id}/venues/{venue}/booth-link")["url"]
        for venue in (day.booth_id, day.centre_id)
    }
    board_ctx, board_console = launch_kiosk(playwright, tmp_path / "board")
    booth_ctx, _ = launch_kiosk(playwright, tmp_path / "booth")
    centre_ctx, _ = launch_kiosk(playwright, tmp_path / "centre")
    try:
        organiser.sign_in(board_ctx, server.base_url)
        board = board_ctx.new_page()
        board.goto(f"{server.base_url}/missions/{day.mission_id}/board")
        flag = board.locator(f'#board tr[data-meeting="{meeting["id"]}"] .attendance-flag')
        expect(flag).to_contain_text("Not in yet: Company, Buyer", timeout=15_000)
        expect(flag.locator("button")).to_have_text(["Ring Booth 1", "Ring KBC Jakarta"])
        flag.get_by_role("button", name="Ring Booth 1").click()
        expect(board.locator("#booths-status")).to_have_text("Rung (0)")  # no screen open
        board.screenshot(path=str(screenshots / "board-attendance-flag.png"))

        booth_ctx.new_page().goto(links[day.booth_id])  # the booth's screen comes in late
        expect(flag).to_contain_text("Not in yet: Buyer", timeout=30_000)
        expect(flag.locator("button")).to_have_text(["Ring KBC Jakarta"])

        centre_ctx.new_page().goto(links[day.centre_id])
        expect(flag).to_have_count(0, timeout=30_000)
        row = board.locator(f'#board tr[data-meeting="{meeting["id"]}"]')
        expect(row).to_have_attribute("data-flagged", "0")
        expect(row.locator(".room-state")).to_contain_text("In progress")
        assert board_console.errors == []
    finally:
        for context in (board_ctx, booth_ctx, centre_ctx):
            context.close()
