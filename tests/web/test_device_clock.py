"""A device whose clock is wrong still sees the day as it is: the join lobby counts by the
service's clock (`now` in the join details), and so does the organiser's board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Playwright, expect

from tests.web.browser import launch
from tests.web.conftest import Server, seed_mission

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("skew_hours", [-9, 5])
def test_a_laptop_set_to_the_wrong_hour_joins_its_open_meeting_on_time(
    server: Server, playwright: Playwright, tmp_path: Path, skew_hours: int
) -> None:
    seeded = seed_mission(server, live_meeting=True)
    meeting = seeded.meetings[0]
    links = server.post(f"/meetings/{meeting['id']}/links", {})
    buyer = next(link["url"] for link in links if link["seat"] == "buyer")
    wrong = datetime.now(UTC) + timedelta(hours=skew_hours)  # the seat's own device clock
    context, console = launch(playwright, tmp_path / "buyer", locale="en-GB")
    try:
        context.clock.install(time=wrong)
        page = context.new_page()
        assert page.evaluate("Date.now()") / 1000 == pytest.approx(wrong.timestamp(), abs=120)
        base, token = buyer.split("#", 1)
        page.goto(f"{base}?lang=en#{token}")
        expect(page.locator("#step-devices")).to_be_visible()
        page.click("#devices-continue")
        expect(page.locator("#step-lobby")).to_be_visible()
        expect(page.locator("#lobby-join")).to_be_enabled()
        expect(page.locator("#lobby-countdown")).not_to_contain_text("ended")
        assert console.errors == []
    finally:
        context.close()


@pytest.mark.parametrize("skew_hours", [-9, 9])
def test_the_board_flags_a_late_meeting_by_the_services_clock(
    server: Server, playwright: Playwright, tmp_path: Path, skew_hours: int
) -> None:
    seeded = seed_mission(server, live_meeting=True)
    just_started, late = seeded.meetings[0], seeded.meetings[1]
    now = datetime.now(UTC).replace(microsecond=0)
    server.api.patch(
        f"/meetings/{late['id']}",
        json={"starts_at": (now - timedelta(minutes=10)).isoformat(),
              "ends_at": (now + timedelta(minutes=20)).isoformat()},
    ).raise_for_status()
    context, console = launch(playwright, tmp_path / "console", locale="en-GB")
    try:
        context.clock.install(time=datetime.now(UTC) + timedelta(hours=skew_hours))
        server.sign_in(context)
        page = context.new_page()
        page.goto(f"{server.base_url}/missions/{seeded.mission['id']}/board?view=table")
        expect(page.locator("#board-feed")).to_have_attribute("data-state", "live")
        def state(meeting: dict[str, object]) -> Locator:
            return page.locator(f".board-row[data-meeting='{meeting['id']}'] .room-state .badge")

        # Nobody has joined either: ten minutes into its slot one is late, a minute into it
        # the other is not, whatever hour the console PC thinks it is.
        expect(state(late)).to_have_text("Not arrived")
        expect(state(just_started)).not_to_have_text("Not arrived")
        expect(state(just_started)).to_be_visible()
        assert console.errors == []
    finally:
        context.close()
