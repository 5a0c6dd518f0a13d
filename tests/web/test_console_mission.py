"""A new install, a new organiser: a whole small mission run through the console alone.

From an empty database (the first admin made with `python -m app.auth create-admin`, as a
new install does), every step is a click or typing in Chromium, no API call from the test:
an organisation, a mission, venues in two time zones, companies and buyers with their
languages, interpreters, meeting requests, approval, a proposed schedule (with the request
no interpreter covers left unplaced, and why), booking it, the seat links, sign-out.
The clerk works in Korean; every page is then looked at in English too. Screenshots of
both go to var/screenshots/console-*-{ko,en}.png.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Playwright, expect

from app.i18n import Translator
from tests.web.browser import launch
from tests.web.conftest import ROOT, running_app

pytestmark = pytest.mark.browser

EMAIL = "admin@namdong.example"
PASSWORD = "a new install's first passphrase"
KO, EN = Translator("ko"), Translator("en")
# Text that looks like a catalogue key means a message is missing.
RAW_KEY = re.compile(
    r"\b(?:app|nav|form|party|plan|requests|links|rates|users|organisations|invite|board|"
    r"schedule|meeting|seat|mission|venue|field|import|time)\.[a-z_]+(?:\.[a-z_]+)*\b"
)


@dataclass
class Install:
    base_url: str


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Install]:
    folder = tmp_path_factory.mktemp("fresh-install")
    url = f"sqlite+aiosqlite:///{folder / 'tradebooth.db'}"
    env = {**os.environ, "TRADEBOOTH_DATABASE_URL": url, "TRADEBOOTH_ENVIRONMENT": "test"}
    made = subprocess.run(
        [sys.executable, "-m", "app.auth", "create-admin", "--email", EMAIL,
         "--name", "박관리", "--password-stdin"],
        input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert made.returncode == 0, made.stderr
    with running_app(url, folder) as base_url:
        yield Install(base_url)


def _shoot(page: Page, folder: Path, name: str, lang: str) -> None:
    text = page.locator("body").inner_text()
    assert not RAW_KEY.findall(text), (name, lang, RAW_KEY.findall(text))
    page.screenshot(path=str(folder / f"console-{name}-{lang}.png"), full_page=True)


def _choose(page: Page, select: str, text: str) -> None:
    """Pick the option of `select` whose text contains `text`."""
    value = page.locator(f"{select} option", has_text=text).first.get_attribute("value")
    assert value is not None, (select, text)
    page.select_option(select, value)


def _submit(page: Page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


def test_a_mission_from_an_empty_database_to_its_seat_links_through_the_console(
    install: Install, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    expect.set_options(timeout=20_000)  # a loaded 2-core machine
    base = install.base_url
    seoul = ZoneInfo("Asia/Seoul")
    first_day = (datetime.now(UTC).astimezone(seoul) + timedelta(days=7)).date()
    context, console = launch(
        playwright, tmp_path / "clerk", locale="ko-KR", timezone_id="Asia/Seoul"
    )
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        # Signing in: the console sends a stranger to the sign-in page, in Korean.
        page.goto(f"{base}/missions?lang=ko")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        page.fill("#signin-email", EMAIL)
        page.fill("#signin-password", PASSWORD)
        page.click("#signin-submit")
        expect(page.locator("#signed-in")).to_contain_text("박관리")
        expect(page.locator("#signed-in")).to_contain_text(KO("users.role.admin"))

        # An organisation, by name and country name.
        page.click("nav[aria-label] >> text=" + KO("nav.organisations"))
        page.fill("#f-name", "남동구청")
        page.fill("#f-country", "대한민국")
        page.fill("#f-city", "인천")
        _submit(page, "#organisation-add")
        expect(page.locator("#organisations")).to_contain_text("남동구청")

        # A mission for it; buyer countries typed as names, as the import takes them.
        page.goto(f"{base}/missions")
        page.click("#mission-new")
        page.fill("#m-organiser", "남동구청")
        page.fill("#m-name", "2027 베트남·인도네시아 화상 수출상담회")
        page.fill("#m-start", first_day.isoformat())
        page.fill("#m-end", (first_day + timedelta(days=1)).isoformat())
        page.fill("#m-countries", "베트남, Indonesia, RU")
        _submit(page, "#mission-create")
        expect(page.locator("h1")).to_have_text("2027 베트남·인도네시아 화상 수출상담회")
        for country in ("VN", "ID", "RU"):
            expect(page.locator("main")).to_contain_text(KO.country(country))
        mission_url = page.url.split("?")[0].split("#")[0]

        # Venues in two time zones: the room in Hanoi takes Hanoi's zone from its country.
        for name, kind, city, country in (
            ("1번 부스", "booth", "인천", "KR"),
            ("2번 부스", "booth", "인천", "대한민국"),
            ("KBC 하노이 상담실", "business_centre", "Hanoi", "베트남"),
        ):
            if not page.locator("#venue-form").is_visible():
                page.locator("#venues summary").click()
            page.fill("#v-name", name)
            page.select_option("#v-kind", kind)
            page.fill("#v-city", city)
            page.fill("#v-country", country)
            _submit(page, "#venue-add")
            expect(page.locator("#venues li", has_text=name)).to_be_visible()
        hanoi = page.locator("#venues li", has_text="KBC 하노이 상담실")
        expect(hanoi).to_contain_text(KO.tz_city("Asia/Ho_Chi_Minh"))
        expect(page.locator("#venues li", has_text="1번 부스")).to_contain_text(
            KO.tz_city("Asia/Seoul")
        )
        _shoot(page, screenshots, "mission", "ko")

        # Companies, each speaking Korean.
        page.click("[data-nav=companies]")
        for name, industry in (("한빛화장품", "화장품"), ("대양모터스", "기계")):
            page.fill("#f-name", name)
            page.fill("#f-industry", industry)
            page.fill("#f-languages", "한국어")
            _submit(page, "#party-add")
            expect(page.locator("#parties")).to_contain_text(name)
        expect(page.locator("#parties")).to_contain_text(KO.language("ko"))

        # Buyers. A wrong country is refused naming the field and what it takes, in Korean.
        page.click("[data-nav=buyers]")
        page.fill("#f-company_name", "Viet Beauty JSC")
        page.fill("#f-name", "Nguyen Van An")
        page.fill("#f-country", "나니아")
        _submit(page, "#party-add")
        problems = page.locator("#form-problems")
        expect(problems).to_contain_text(KO("field.buyer.country"))
        expect(problems).to_contain_text(KO("form.accepts.country"))
        expect(page.locator("#f-country")).to_have_attribute("aria-invalid", "true")
        _shoot(page, screenshots, "form-problem", "ko")
        # Hanoi's buyer: no languages typed (an import without that column): Vietnamese.
        page.fill("#f-country", "베트남")
        page.locator(".plan-details summary").click()
        _choose(page, "#f-venue_id", "KBC 하노이 상담실")
        _submit(page, "#party-add")
        row = page.locator("#parties tr", has_text="Viet Beauty JSC")
        expect(row).to_contain_text(KO.language("vi"))
        expect(row).to_contain_text(KO("party.languages.derived"))
        # Jakarta's buyer in its own office: Indonesia has several zones, so one is typed.
        page.fill("#f-company_name", "PT Maju Teknik")
        page.fill("#f-name", "Budi Santoso")
        page.fill("#f-country", "인도네시아")
        page.fill("#f-languages", "id, en")
        page.locator(".plan-details summary").click()
        page.fill("#f-timezone", "Asia/Jakarta")
        _submit(page, "#party-add")
        # Moscow's buyer: Russian, and no interpreter will cover it. Russia has several
        # zones too: without one, the form says which it takes.
        page.fill("#f-company_name", "OOO Vostok Trade")
        page.fill("#f-name", "Ivan Petrov")
        page.fill("#f-country", "러시아")
        _submit(page, "#party-add")
        expect(page.locator("#err-timezone")).to_contain_text("Europe/Moscow")
        page.fill("#f-timezone", "Europe/Moscow")
        _submit(page, "#party-add")
        expect(page.locator("[data-testid=party-count]")).to_have_text("3")
        jakarta = page.locator("#parties tr", has_text="PT Maju Teknik")
        expect(jakarta).to_contain_text(KO.tz_city("Asia/Jakarta"))
        _shoot(page, screenshots, "buyers", "ko")

        # Interpreters with their pairs, typed as names or codes.
        page.click("[data-nav=interpreters]")
        for name, pairs in (("이지원", "한국어-베트남어"), ("박하나", "ko-id")):
            page.fill("#f-name", name)
            page.fill("#f-language_pairs", pairs)
            _submit(page, "#party-add")
            expect(page.locator("#parties")).to_contain_text(name)

        # Meeting requests: each company with each buyer; the Russian one shows no interpreter.
        page.click("[data-nav=requests]")
        for company in ("한빛화장품", "대양모터스"):
            for buyer in ("Viet Beauty JSC", "PT Maju Teknik"):
                page.select_option("#f-company_id", label=company)
                _choose(page, "#f-buyer_id", buyer)
                _submit(page, "#request-add")
        page.select_option("#f-company_id", label="한빛화장품")
        _choose(page, "#f-buyer_id", "OOO Vostok Trade")
        _submit(page, "#request-add")
        table = page.locator("#requests")
        expect(table.locator("tbody tr")).to_have_count(5)
        russian = table.locator("tr", has_text="OOO Vostok Trade")
        expect(russian.locator("[data-testid=no-interpreter]")).to_contain_text("ko-ru")
        # Approval: one at a higher priority, then every open one.
        first = table.locator("tr", has_text="PT Maju Teknik").first
        first.locator("input[name=priority]").fill("3")
        _submit(page, f"#{first.get_attribute('id')} button.approve")
        _submit(page, "#approve-open")
        expect(page.locator("#requests tr[data-status=approved]")).to_have_count(5)
        _shoot(page, screenshots, "requests", "ko")

        # The schedule, proposed first: four placed, the Russian one not, and why.
        page.click("[data-nav=plan]")
        page.fill("#f-time_limit", "3")
        _submit(page, "#plan-propose")
        expect(page.locator("#proposed tbody tr")).to_have_count(4)
        unplaced = page.locator("#unplaced li")
        expect(unplaced).to_have_count(1)
        expect(unplaced).to_have_attribute("data-reason", "no_interpreter_for_pair")
        expect(unplaced).to_contain_text("OOO Vostok Trade")
        expect(unplaced).to_contain_text(KO("plan.reason.no_interpreter_for_pair", pair="ko-ru"))
        # The Jakarta buyer's own clock beside Seoul's.
        expect(page.locator("#proposed")).to_contain_text(KO.tz_city("Asia/Jakarta"))
        _shoot(page, screenshots, "proposal", "ko")
        _submit(page, "#plan-apply")

        # Booked: the seat links, issued for every seat at once.
        expect(page.locator("#booked-notice")).to_be_visible()
        _submit(page, "#links-issue-all")
        urls = page.locator("input.seat-url")
        expect(urls).to_have_count(12)  # four meetings: company, buyer, interpreter
        for value in urls.evaluate_all("inputs => inputs.map(i => i.value)"):
            assert value.startswith(f"{base}/join#"), value
        expect(page.locator("#seat-links")).to_contain_text(KO.tz_city("Asia/Jakarta"))
        _shoot(page, screenshots, "links", "ko")
        buyer_link = page.locator(
            "#seat-links tr[data-seat=buyer] input.seat-url"
        ).first.input_value()
        join = context.new_page()
        join.goto(buyer_link)
        # The link opens the buyer's seat: it asks for a language or goes to the devices.
        expect(join.locator("#step-language:visible, #step-devices:visible")).to_have_count(1)
        join.close()

        # The finished schedule: the first day, morning first; it fits a 1366-wide screen.
        page.click("a[href$='/schedule']")
        expect(page.locator("#schedule-grid td.slot")).to_have_count(4)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        _shoot(page, screenshots, "schedule", "ko")
        page.click("#schedule-grid td.slot a >> nth=0")
        expect(page.locator("#links-list li").first).to_be_visible()
        expect(page.locator("#links-list")).to_contain_text(KO.tz_city("Asia/Seoul"))
        _shoot(page, screenshots, "meeting", "ko")

        # Every page again, in English.
        mission_path = mission_url.removeprefix(base)
        english = {
            "mission": f"{mission_path}?lang=en",
            "companies": f"{mission_path}/companies",
            "buyers": f"{mission_path}/buyers",
            "interpreters": f"{mission_path}/interpreters",
            "requests": f"{mission_path}/requests",
            "plan": f"{mission_path}/plan",
            "schedule": f"{mission_path}/schedule",
            "links": f"{mission_path}/links",
            "board": f"{mission_path}/board?view=table",
            "board-compact": f"{mission_path}/board?view=compact",
            "rates": f"{mission_path}/rates",
            "organisations": "/organisations",
            "users": "/users",
        }
        for name, path in english.items():
            page.goto(base + path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            _shoot(page, screenshots, name, "en")
        expect(page.locator("#signed-in")).to_contain_text(EN("users.role.admin"))

        # Signing out: back to the sign-in page, and the console is closed again.
        _submit(page, "#sign-out")
        expect(page.locator("#signed-out")).to_have_text(EN("signin.signed_out"))
        page.goto(f"{base}/missions")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
        assert console.errors == []
    finally:
        context.close()
