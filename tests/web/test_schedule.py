"""The schedule grid shows a mission's meetings: rows are booths, columns times in local time."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

from tests.web.browser import launch
from tests.web.conftest import Server, seed_mission

pytestmark = pytest.mark.browser


def test_schedule_grid(
    server: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    seeded = seed_mission(server)  # 10:00, 10:30, 11:00 in Seoul, booths 1 and 2
    mid = seeded.mission["id"]
    context, console = launch(playwright, tmp_path / "profile", locale="en-GB")
    server.sign_in(context)
    try:
        page = context.new_page()
        day = seeded.meetings[0]["starts_at"][:10]
        page.goto(f"{server.base_url}/missions/{mid}/schedule?day={day}&lang=en")
        grid = page.locator("#schedule-grid")
        headers = grid.locator("thead th.time-col")
        expect(headers).to_have_text(["10:00", "10:30", "11:00"])
        rows = grid.locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0).locator("th")).to_contain_text("Booth 1")
        expect(rows.nth(1).locator("th")).to_contain_text("Booth 2")
        expect(grid.locator("td.slot")).to_have_count(4)

        def cell(row: int) -> list[str]:
            return [
                (td.get_attribute("data-meeting") or "") for td in rows.nth(row).locator("td").all()
            ]

        m = [str(meeting["id"]) for meeting in seeded.meetings]
        # Booth 1: Hanbit 10:00, Seorim 10:30, free at 11:00.
        # Booth 2: Daeyang 10:00, free at 10:30, Hanbit 11:00.
        assert cell(0) == [m[0], m[2], ""]
        assert cell(1) == [m[1], "", m[3]]
        first = grid.locator(f'td[data-meeting="{m[0]}"]')
        expect(first).to_contain_text("Hanbit Cosmetics")
        expect(first).to_contain_text("PT Cantik Abadi")
        expect(first).to_contain_text("Indonesia")
        expect(first).to_contain_text("Jakarta: 08:00")  # the buyer's own time
        expect(first).to_contain_text("Lee Jiwon")
        page.screenshot(path=str(screenshots / "schedule-fixed-en.png"), full_page=True)
        first.locator("a").click()
        expect(page.locator("h1")).to_have_text("Hanbit Cosmetics ↔ PT Cantik Abadi")

        page.goto(f"{server.base_url}/missions/{mid}/schedule?day={day}&lang=ko")
        expect(page.locator("#schedule-grid td.slot")).to_have_count(4)
        korean = page.locator(f'#schedule-grid td[data-meeting="{m[0]}"]')
        expect(korean).to_contain_text("인도네시아")
        page.screenshot(path=str(screenshots / "schedule-fixed-ko.png"), full_page=True)
        assert console.errors == []
    finally:
        context.close()
