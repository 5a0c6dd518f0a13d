"""Booth mode end to end: a district-office booth kiosk and a business-centre kiosk run three
consecutive short consultations by themselves in real Chromium, through the relay.

Nobody clicks anything: each kiosk opens its booth link once, runs its morning self-test,
joins each meeting shortly before its slot with its own seat, and goes back to the agenda
when the room closes. The slots are short in the test's data (20 s), the clock is the real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.waiting import wait_until
from tests.web.conftest import Server
from tests.web.kiosks import (
    Organiser,
    after_call,
    booth_day,
    frames,
    kiosk_state,
    launch_kiosk,
    organiser,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.browser

SLOT = timedelta(seconds=20)
GAP = timedelta(seconds=8)
LEAD_SECONDS = 2  # each kiosk joins this long before a slot (set on its booth link)


def _in_call(page: Page, meeting_id: int) -> bool:
    return kiosk_state(page) == ("call", str(meeting_id))


def _media_flows(page: Page) -> None:
    """framesDecoded of the remote video grows (checked twice, a moment apart)."""
    first = wait_until(lambda: frames(page), 15, "first decoded frames")
    wait_until(lambda: frames(page) > first + 10, 15, "frames to keep coming")


def test_two_kiosks_run_three_meetings_by_themselves(
    server: Server,
    organiser: Organiser,  # noqa: F811
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    first = (datetime.now(UTC) + timedelta(seconds=25)).replace(microsecond=0)
    starts = [first + i * (SLOT + GAP) for i in range(3)]
    day = booth_day(organiser, starts=starts, slot=SLOT)
    ids = [m["id"] for m in day.meetings]
    links = {
        side: organiser.post(
            f"/missions/{day.mission_id}/venues/{venue}/booth-link",
            {"join_lead_seconds": LEAD_SECONDS},
        )
        for side, venue in (("booth", day.booth_id), ("centre", day.centre_id))
    }
    assert (links["booth"]["seat"], links["centre"]["seat"]) == ("company", "buyer")

    booth_ctx, booth_console = launch_kiosk(playwright, tmp_path / "booth", locale="ko-KR")
    centre_ctx, centre_console = launch_kiosk(playwright, tmp_path / "centre")
    try:
        booth = booth_ctx.new_page()
        centre = centre_ctx.new_page()
        booth.goto(links["booth"]["url"])
        centre.goto(links["centre"]["url"])
        for page in (booth, centre):
            expect(page.locator("#kiosk-agenda li")).to_have_count(3)
            # The token left the address bar; the kiosk keeps it for the mission's days.
            assert "#" not in page.url
        expect(centre.locator("#kiosk-agenda li").first).to_contain_text("Hanbit Cosmetics")
        expect(booth.locator("#kiosk-agenda li").first).to_contain_text("PT Cantik Abadi")
        # Times in each venue's own zone (Korean says 오후 11:48, English 16:48).
        seoul = starts[0].astimezone(ZoneInfo("Asia/Seoul"))
        jakarta = starts[0].astimezone(ZoneInfo("Asia/Jakarta"))
        expect(booth.locator("#kiosk-agenda li .agenda-time").first).to_contain_text(
            f"{seoul.hour % 12 or 12}:{seoul:%M}"
        )
        expect(centre.locator("#kiosk-agenda li .agenda-time").first).to_contain_text(
            f"{jakarta:%H:%M}"
        )
        board = organiser.get(f"/missions/{day.mission_id}/booths")
        assert {b["venue_id"]: b["kiosks_online"] for b in board["booths"]} == {
            day.booth_id: 1,
            day.centre_id: 1,
        }

        for i, meeting_id in enumerate(ids):
            for page in (booth, centre):
                wait_until(lambda p=page, m=meeting_id: _in_call(p, m), 40, f"meeting {i + 1}")
            for page in (booth, centre):
                _media_flows(page)
            if i == 0:
                # The business centre's big screen: the company fills it, large captions.
                assert centre.evaluate("document.body.classList.contains('kiosk-big')")
                tile = centre.locator('#tiles .tile[data-seat="company"]')
                box = tile.bounding_box()
                assert box is not None and box["width"] > 0.9 * 1366
                expect(centre.locator("#cap-name")).to_contain_text("Hanbit Cosmetics")
                centre.screenshot(path=str(screenshots / "kiosk-big-screen.png"))
                # One key mutes: the booth sees the buyer's microphone off, then on again.
                centre.keyboard.press("m")
                expect(booth.locator('#tiles .tile[data-seat="buyer"]')).to_have_attribute(
                    "data-mic-muted", "1"
                )
                centre.keyboard.press(" ")
                expect(booth.locator('#tiles .tile[data-seat="buyer"]')).to_have_attribute(
                    "data-mic-muted", "0"
                )
            for page in (booth, centre):
                # Back to the agenda when the room closed (read from the kiosk's own log: the
                # next meeting may be joined by the time a loaded machine looks).
                shown = wait_until(lambda p=page, m=meeting_id: after_call(p, m), 40, "agenda")
                assert shown["state"] == "agenda" and shown["home"], shown
                if i < 2:  # with the reminder of the next meeting
                    assert shown["reminder"] == str(ids[i + 1]), shown
                expect(
                    page.locator(f'#kiosk-agenda li[data-meeting="{meeting_id}"]')
                ).to_have_class("past")
            if i == 0:
                rung = organiser.post(
                    f"/missions/{day.mission_id}/venues/{day.centre_id}/ring",
                    {"meeting_id": ids[1]},
                )
                assert rung["delivered"] == 1
                expect(centre.locator("#kiosk-ring")).to_be_visible()
                centre.locator("#kiosk-ring-ok").click()
                expect(centre.locator("#kiosk-ring")).to_be_hidden()
        booth.screenshot(path=str(screenshots / "kiosk-agenda-done.png"))

        expect(booth.locator("#kiosk-status")).to_contain_text("오늘 상담은 모두 끝났습니다")
        rooms = organiser.get(f"/missions/{day.mission_id}/board")["rooms"]
        assert [room["status"] for room in rooms] == ["completed"] * 3
        for meeting_id in ids:
            attendance = organiser.get(f"/meetings/{meeting_id}/attendance")
            assert {row["seat"] for row in attendance} == {"company", "buyer"}
        assert booth_console.errors == []
        assert centre_console.errors == []
    finally:
        booth_ctx.close()
        centre_ctx.close()
