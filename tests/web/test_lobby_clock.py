"""A seat whose device clock is wrong still finds its room open: the lobby counts by the
service's clock (`now` in the join details), not by the laptop's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect

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
