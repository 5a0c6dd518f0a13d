"""Every page renders in Korean and English without console errors; screenshots for review."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.principals import PASSWORD
from tests.web.browser import launch
from tests.web.conftest import Seeded, Server, seed_mission

pytestmark = pytest.mark.browser

# Text that looks like a catalogue key means a message is missing.
RAW_KEY = re.compile(
    r"\b(?:app|nav|error|missions?|venue|field|import|schedule|meeting|seat|links|board|results|"
    r"outcome|join|devices|lobby|call|chat|interp|after)\.[a-z_]+(?:\.[a-z_]+)*\b"
)


def _shoot(page: Page, folder: Path, lang: str, name: str) -> None:
    text = page.locator("body").inner_text()
    assert not RAW_KEY.findall(text), (name, lang, RAW_KEY.findall(text))
    page.screenshot(path=str(folder / f"{name}-{lang}.png"), full_page=True)


@pytest.fixture(scope="module")
def seeded(server: Server) -> Seeded:
    return seed_mission(server, live_meeting=True)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_pages_render_without_errors(
    lang: str,
    server: Server,
    seeded: Seeded,
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    # A Korean clerk in Incheon; an English-reading buyer in Jakarta.
    context, console = launch(
        playwright,
        tmp_path / "profile",
        locale="ko-KR" if lang == "ko" else "en-GB",
        timezone_id="Asia/Seoul" if lang == "ko" else "Asia/Jakarta",
    )
    try:
        page = context.new_page()
        mid = seeded.mission["id"]
        meeting = seeded.meetings[0]
        base = server.base_url
        pages = {
            "missions": f"/missions?lang={lang}",
            "mission": f"/missions/{mid}",
            "import": f"/missions/{mid}/import?kind=companies",
            "schedule": f"/missions/{mid}/schedule",
            "board": f"/missions/{mid}/board",
            "results": f"/missions/{mid}/results",
            "meeting": f"/meetings/{meeting['id']}",
            "outcome": f"/meetings/{meeting['id']}/outcome",
            "mission-new": "/missions/new",
            "sign-in": "/sign-in",
        }
        # Signed out, the console sends the clerk to sign in, then back to the page asked for.
        page.goto(f"{base}/missions?lang={lang}")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        page.fill("#signin-email", server.admin_email)
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-submit")
        expect(page).to_have_url(f"{base}/missions?lang={lang}")
        for name, path in pages.items():
            page.goto(base + path)
            expect(page.locator("html")).to_have_attribute("lang", lang)
            if name == "meeting":
                page.locator("#links-issue, #links-list li").first.wait_for()
                if page.locator("#links-issue").is_visible():
                    page.click("#links-issue")
                expect(page.locator("#links-list li")).to_have_count(4)
            if name == "board":
                expect(page.locator("#board-feed")).to_have_attribute("data-state", "live")
            if name == "outcome":
                expect(page.locator("#of-consultation_value")).to_be_visible()
            _shoot(page, screenshots, lang, name)

        # The join flow from the buyer's link: language, devices, lobby (a fresh profile
        # has no language cookie for the join page, so it asks first).
        links = server.get(f"/meetings/{meeting['id']}/links")
        buyer = next(link for link in links if link["seat"] == "buyer")
        join = context.new_page()
        context.clear_cookies()
        join.goto(buyer["url"])
        expect(join.locator("#step-language")).to_be_visible()
        _shoot(join, screenshots, lang, "join-language")
        join.click(f"#step-language a[data-lang='{lang}']")
        expect(join.locator("#step-devices")).to_be_visible()
        expect(join.locator("html")).to_have_attribute("lang", lang)
        join.wait_for_function(
            "document.querySelector('#devices-preview').videoWidth > 0", timeout=10_000
        )
        join.wait_for_function(
            "document.querySelector('#camera-select').options.length > 0", timeout=10_000
        )
        _shoot(join, screenshots, lang, "join-devices")
        join.click("#devices-continue")
        expect(join.locator("#step-lobby")).to_be_visible()
        expect(join.locator("#lobby-buyer")).to_contain_text("PT Cantik Abadi")
        expect(join.locator("#lobby-join")).to_be_enabled()
        _shoot(join, screenshots, lang, "join-lobby")

        bad = context.new_page()
        bad.goto(f"{base}/join?lang={lang}#not-a-token")
        expect(bad.locator("#step-problem")).to_be_visible()
        _shoot(bad, screenshots, lang, "join-bad-link")
        # The failed /join request is expected; it is the point of this page.
        console.errors = [e for e in console.errors if "403" not in e and "Forbidden" not in e]
        assert console.errors == []
    finally:
        context.close()


def test_new_mission_form(
    server: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    context, console = launch(playwright, tmp_path / "profile", locale="ko-KR")
    server.sign_in(context)
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/missions?lang=ko")
        page.click("#mission-new")
        page.fill("#m-organiser", "남동구청")
        page.fill("#m-name", "2026 CIS 무역사절단")
        page.fill("#m-start", "2026-06-10")
        page.fill("#m-end", "2026-06-01")  # before the start: refused
        page.fill("#m-countries", "KZ, RU")
        page.select_option("#m-timezone", "Asia/Almaty")
        page.click("#mission-create")
        expect(page.locator("#m-end")).to_have_attribute("aria-invalid", "true")
        _shoot(page, screenshots, "ko", "mission-new")
        page.fill("#m-end", "2026-06-14")
        page.click("#mission-create")
        expect(page.locator("h1")).to_have_text("2026 CIS 무역사절단")
        expect(page.locator("main")).to_contain_text("카자흐스탄")
        # Then a booth in Incheon and a room at the Almaty business centre.
        for name, kind, city, country, zone in (
            ("1번 부스", "booth", "인천", "KR", "Asia/Seoul"),
            ("알마티 상담실", "business_centre", "Almaty", "KZ", "Asia/Almaty"),
        ):
            if not page.locator("#venue-form").is_visible():  # open while there are none
                page.locator("#venues summary").click()
            page.fill("#v-name", name)
            page.select_option("#v-kind", kind)
            page.fill("#v-city", city)
            page.fill("#v-country", country)
            page.select_option("#v-timezone", zone)
            page.click("#venue-add")
            expect(page.locator("#venues li", has_text=name)).to_be_visible()
        if not page.locator("#venue-form").is_visible():
            page.locator("#venues summary").click()
        page.fill("#v-name", "1번 부스")
        page.click("#venue-add")
        expect(page.locator("#venue-problem")).to_be_visible()
        # (Other tests of this server may have CIS missions of their own.)
        missions = server.get("/missions", q="CIS")["items"]
        assert [
            (m["timezone"], m["target_countries"])
            for m in missions
            if m["name"] == "2026 CIS 무역사절단"
        ] == [("Asia/Almaty", ["KZ", "RU"])]
        assert console.errors == []
    finally:
        context.close()
