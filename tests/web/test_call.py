"""Three seats join one consultation from their links in real Chromium, through the relay.

Company (Korean, Incheon), buyer (English, Jakarta) and interpreter (Korean) each see the
other two videos decoding and hear them; mute, camera-off, screen share, chat, the slot timer,
a dropped network with its reconnect banner, the organiser's live board, and afterwards the
company's outcome form whose figures reach the mission's records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.waiting import wait_until
from tests.web.browser import Console, launch
from tests.web.conftest import Seeded, Server, seed_mission

pytestmark = pytest.mark.browser

# Four Chromiums and the relay share two cores: give cross-browser events room.
expect.set_options(timeout=10_000)

SEATS = ("company", "buyer", "interpreter")
OTHERS = {seat: [s for s in SEATS if s != seat] for seat in SEATS}

# Received media per remote seat and kind, from the page's own RTCPeerConnection.
STATS_JS = """async () => {
  const s = window.tbCall;
  if (!s || !s.pc) return {};
  const out = {};
  (await s.pc.getStats()).forEach((r) => {
    if (r.type !== "inbound-rtp") return;
    const info = s.remote.get(r.mid);
    if (!info) return;
    out[`${info.seat}:${r.kind}`] = {
      frames: r.framesDecoded || 0, samples: r.totalSamplesReceived || 0,
      energy: r.totalAudioEnergy || 0, width: r.frameWidth || 0, height: r.frameHeight || 0,
    };
  });
  return out;
}"""


@dataclass
class Seat:
    name: str
    context: BrowserContext
    console: Console
    page: Page

    def stats(self) -> dict[str, dict[str, float]]:
        result: dict[str, dict[str, float]] = self.page.evaluate(STATS_JS)
        return result


def growing(seat: Seat, keys: list[str], field: str, *, timeout: float = 20.0) -> None:
    """`field` of every one of `keys` grows in `seat`'s inbound stats."""
    first = wait_until(
        lambda: (s := seat.stats()) and all(s.get(k, {}).get(field, 0) > 0 for k in keys) and s,
        timeout,
        f"{seat.name}: {field} of {keys}",
    )
    wait_until(
        lambda: (
            (s := seat.stats()) and all(s.get(k, {}).get(field, 0) > first[k][field] for k in keys)
        ),
        timeout,
        f"{seat.name}: {field} of {keys} growing",
    )


@pytest.fixture
def meeting(server: Server) -> Iterator[tuple[Seeded, dict[str, str]]]:
    seeded = seed_mission(server, live_meeting=True)
    meeting_id = seeded.meetings[0]["id"]
    day = seeded.meetings[0]["starts_at"][:10]
    server.api.put(
        f"/missions/{seeded.mission['id']}/exchange-rates",
        json={
            "entered_by": "Organiser",
            "rates": [
                {"currency": "KRW", "rate_date": "2026-01-01", "units_per_usd": "1380.50"},
            ],
        },
    ).raise_for_status()
    assert day >= "2026-01-01"
    links = server.post(f"/meetings/{meeting_id}/links", {})
    yield seeded, {link["seat"]: link["url"] for link in links}


def _join(seat: Seat, url: str, lang: str) -> None:
    base, token = url.split("#", 1)
    seat.page.goto(f"{base}?lang={lang}#{token}")
    expect(seat.page.locator("#step-devices")).to_be_visible()
    seat.page.wait_for_function("document.querySelector('#devices-preview').videoWidth > 0")
    seat.page.click("#devices-continue")
    expect(seat.page.locator("#lobby-join")).to_be_enabled()
    seat.page.click("#lobby-join")
    expect(seat.page.locator("#step-call")).to_be_visible()


def test_three_seats_consult(
    server: Server,
    meeting: tuple[Seeded, dict[str, str]],
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    seeded, urls = meeting
    meeting_id = seeded.meetings[0]["id"]
    mission_id = seeded.mission["id"]
    setup = {
        "company": ("ko", "ko-KR", "Asia/Seoul"),
        "buyer": ("en", "en-GB", "Asia/Jakarta"),
        "interpreter": ("ko", "ko-KR", "Asia/Seoul"),
    }
    seats: dict[str, Seat] = {}
    organiser_context, organiser_console = launch(
        playwright, tmp_path / "organiser", locale="ko-KR", timezone_id="Asia/Seoul"
    )
    server.sign_in(organiser_context)
    try:
        board = organiser_context.new_page()
        board.goto(f"{server.base_url}/missions/{mission_id}/board?lang=ko")
        expect(board.locator("#board-feed")).to_have_attribute("data-state", "live")
        for name, (_lang, locale, zone) in setup.items():
            context, console = launch(playwright, tmp_path / name, locale=locale, timezone_id=zone)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            seats[name] = Seat(name, context, console, page)
        for name, seat in seats.items():
            _join(seat, urls[name], setup[name][0])

        # The organiser's board shows the three seats in.
        row = board.locator(f'#board tr[data-meeting="{meeting_id}"]')
        for name in SEATS:
            expect(row.locator(f'td[data-seat="{name}"] .seat-state')).to_have_attribute(
                "data-state", "joined", timeout=15_000
            )
        expect(row).to_have_attribute("data-phase", "live")

        # Each seat sees the other two videos decoding and hears them.
        for name, seat in seats.items():
            growing(seat, [f"{other}:video" for other in OTHERS[name]], "frames")
            growing(seat, [f"{other}:audio" for other in OTHERS[name]], "samples")
            for other in OTHERS[name]:
                tile = seat.page.locator(f'#tiles .tile[data-seat="{other}"]')
                expect(tile).to_have_attribute("data-presence", "joined")
        # The interpreter's voice reaches the listeners with energy (not silence), measured
        # where the page plays it (WebAudio, before the listener's gain).
        loudest_js = """(seat) => { const mix = window.tradebooth.audio, rms = mix.rms().tracks;
          return Math.max(0, ...Object.entries(mix.gains())
            .filter(([, g]) => g.seat === seat).map(([id]) => rms[id].before)); }"""
        for name in ("company", "buyer"):
            page = seats[name].page
            wait_until(
                lambda page=page: page.evaluate(loudest_js, "interpreter") > 0.01,
                20,
                f"{name} hears the interpreter",
            )

        company, buyer = seats["company"], seats["buyer"]
        # The speaking indicator lights on a tile when that seat's voice comes in (the fake
        # microphone beeps): a MutationObserver latches it so a short beep is not missed.
        buyer.page.evaluate(
            """() => { window.spoke = new Set();
              new MutationObserver((records) => records.forEach((r) => {
                const on = r.target.classList;
                if (on.contains("speaking") || on.contains("speaking-local"))
                  window.spoke.add(r.target.dataset.seat);
              })).observe(document.getElementById("tiles"),
                          { subtree: true, attributes: true, attributeFilter: ["class"] }); }"""
        )
        buyer.page.wait_for_function("window.spoke.size >= 1", timeout=15_000)
        expect(buyer.page.locator('#tiles .tile[data-seat="company"] .name')).to_have_text(
            "Hanbit Cosmetics"
        )
        expect(buyer.page.locator('#tiles .tile[data-seat="company"] .place')).to_contain_text(
            "South Korea"
        )
        expect(company.page.locator('#tiles .tile[data-seat="buyer"] .place')).to_contain_text(
            "인도네시아"
        )
        # The slot timer counts down.
        for seat in seats.values():
            expect(seat.page.locator("#slot-timer-value")).to_have_text(re.compile(r"^\d\d:\d\d$"))
        # The quality indicator is computed from getStats (round trip and loss); on a loaded
        # two-core test machine its level may honestly be anything, so only its source is checked.
        for seat in seats.values():
            quality = seat.page.locator("#quality")
            expect(quality).to_have_attribute("data-level", re.compile("good|fair|bad"))
            expect(quality).to_have_attribute("data-rtt", re.compile(r"^\d+$"))
        for lang_seat in ("company", "buyer"):
            seats[lang_seat].page.screenshot(
                path=str(screenshots / f"call-{setup[lang_seat][0]}.png"), full_page=True
            )
        board.screenshot(path=str(screenshots / "board-live-ko.png"), full_page=True)

        # Consecutive interpretation (the default): the page plays every voice it receives
        # through WebAudio at full level (the GainNode's value, read back).
        gains_js = (
            "() => Object.fromEntries(Object.values(window.tradebooth.audio.gains())"
            ".map((g) => [g.seat, g.gain]))"
        )
        assert buyer.page.evaluate(gains_js) == {"company": 1, "interpreter": 1}

        # Mute and camera-off show for the others.
        company.page.click("#btn-mic")
        company.page.click("#btn-camera")
        for other in ("buyer", "interpreter"):
            tile = seats[other].page.locator('#tiles .tile[data-seat="company"]')
            expect(tile.locator(".mic-off")).to_be_visible()
            expect(tile.locator(".tile-off")).to_be_visible()
        expect(row.locator('td[data-seat="company"]')).to_contain_text("마이크 꺼짐")
        company.page.click("#btn-mic")
        company.page.click("#btn-camera")
        for other in ("buyer", "interpreter"):
            tile = seats[other].page.locator('#tiles .tile[data-seat="company"]')
            expect(tile.locator(".mic-off")).to_be_hidden()
            expect(tile.locator(".tile-off")).to_be_hidden()

        # Screen share replaces the company's picture for the others: Chromium's fake screen is
        # wide, its fake camera 4:3 (the encoder may scale either under load, not reshape it).
        def company_aspect(other: str) -> float:
            video = seats[other].stats().get("company:video", {})
            return video["width"] / video["height"] if video.get("height") else 0.0

        assert abs(company_aspect("buyer") - 4 / 3) < 0.05
        company.page.click("#btn-share")
        expect(company.page.locator("#btn-share")).to_have_attribute("aria-pressed", "true")
        for other in ("buyer", "interpreter"):

            def sees_screen(other: str = other) -> bool:
                return company_aspect(other) > 1.5

            wait_until(sees_screen, 20, f"{other} sees the screen")
        growing(buyer, ["company:video"], "frames")
        buyer.page.screenshot(path=str(screenshots / "call-screen-share-en.png"))
        company.page.click("#btn-share")
        wait_until(
            lambda: abs(company_aspect("buyer") - 4 / 3) < 0.05, 20, "buyer sees the camera again"
        )

        # Chat with a link arrives.
        buyer.page.fill("#chat-input", "Our catalogue: https://example.com/catalogue.pdf")
        buyer.page.press("#chat-input", "Enter")
        for name in ("company", "interpreter"):
            link = seats[name].page.locator('#chat-log li[data-seat="buyer"] a')
            expect(link).to_have_attribute("href", "https://example.com/catalogue.pdf")

        # The buyer's network goes away: the banner shows, the others see them reconnecting;
        # when it is back, the call resumes by itself.
        buyer.context.set_offline(True)
        expect(buyer.page.locator("#reconnect-banner")).to_be_visible()
        for name in ("company", "interpreter"):
            tile = seats[name].page.locator('#tiles .tile[data-seat="buyer"]')
            expect(tile).to_have_attribute("data-presence", "reconnecting", timeout=10_000)
        expect(row.locator('td[data-seat="buyer"] .seat-state')).to_have_attribute(
            "data-state", "reconnecting"
        )
        buyer.page.screenshot(path=str(screenshots / "call-reconnecting-en.png"))
        buyer.context.set_offline(False)
        expect(buyer.page.locator("#reconnect-banner")).to_be_hidden(timeout=20_000)
        growing(buyer, ["company:video", "interpreter:video"], "frames")
        growing(buyer, ["company:audio", "interpreter:audio"], "samples")
        for name in ("company", "interpreter"):
            tile = seats[name].page.locator('#tiles .tile[data-seat="buyer"]')
            expect(tile).to_have_attribute("data-presence", "joined")
            growing(seats[name], ["buyer:video"], "frames")

        # The company leaves and records the outcome.
        company.page.click("#btn-leave")
        expect(company.page.locator("#step-after")).to_be_visible()
        form = company.page.locator("#outcome-form")
        expect(form).to_be_visible()
        company.page.fill("#of-recorded-by", "김민지")
        company.page.select_option("#of-currency", "USD")
        company.page.fill("#of-consultation_value", "120,000")
        company.page.fill("#of-expected_contract_value", "45000.50")
        company.page.check("#of-has-onsite_contract")
        company.page.fill("#of-onsite_contract_amount", "10000")
        company.page.check('input[name="interest_level"][value="high"]')
        company.page.fill("#of-next_steps", "샘플 20개 발송, 3월 재상담")
        expect(company.page.locator("#of-consultation_value-shown")).to_contain_text("120,000")
        company.page.click("#outcome-save")
        status = company.page.locator("#outcome-status")
        expect(status).to_be_visible()
        expect(form).to_have_attribute("data-saved", "1")
        company.page.screenshot(path=str(screenshots / "after-outcome-ko.png"), full_page=True)
        for other in ("buyer", "interpreter"):
            tile = seats[other].page.locator('#tiles .tile[data-seat="company"]')
            expect(tile).to_have_attribute("data-presence", "left")

        outcome = server.get(f"/meetings/{meeting_id}/outcome")
        assert outcome["currency"] == "USD"
        assert outcome["role"] == "company_seat"
        assert outcome["recorded_by"] == "김민지"
        assert float(outcome["consultation_value"]) == 120000
        assert float(outcome["expected_contract_value"]) == 45000.5
        assert float(outcome["onsite_contract_amount"]) == 10000
        assert outcome["mou_amount"] is None
        assert outcome["interest_level"] == "high"

        results = organiser_context.new_page()
        results.goto(f"{server.base_url}/missions/{mission_id}/results?lang=en")
        result_row = results.locator(f'#results tr[data-meeting="{meeting_id}"]')
        expect(result_row).to_contain_text("$120,000.00")
        expect(result_row).to_contain_text("$45,000.50")
        expect(result_row).to_contain_text("$10,000.00")
        expect(result_row).to_contain_text("High")
        results.screenshot(path=str(screenshots / "results-recorded-en.png"), full_page=True)

        # The organiser amends it: the form loads version 1 and saves version 2 on top of it.
        results.goto(f"{server.base_url}/meetings/{meeting_id}/outcome?lang=en")
        expect(results.locator("#outcome-status")).to_contain_text("version 1")
        expect(results.locator("#of-consultation_value")).to_have_value("120000.00")
        results.fill("#of-recorded-by", "Park Organiser")
        results.check("#of-has-mou")
        results.fill("#of-mou_amount", "250000")
        results.click("#outcome-save")
        expect(results.locator("#outcome-form")).to_have_attribute("data-saved", "2")
        amended = server.get(f"/meetings/{meeting_id}/outcome")
        assert (amended["version"], amended["role"]) == (2, "organiser")
        assert float(amended["mou_amount"]) == 250000
        assert float(amended["onsite_contract_amount"]) == 10000

        # One click on the board to listen in: the organiser's seat, unseen and muted, with
        # no device check on the way, receives the buyer's and the interpreter's media.
        board.bring_to_front()
        with organiser_context.expect_page() as opened:
            board.click(f'#board button.listen[data-meeting="{meeting_id}"]')
        listener = Seat("organiser", organiser_context, organiser_console, opened.value)
        expect(listener.page.locator("#step-call")).to_be_visible()
        expect(listener.page.locator("#step-devices")).to_be_hidden()
        mic = listener.page.locator("#btn-mic")
        expect(mic).to_have_attribute("aria-pressed", "true")
        expect(mic).to_be_enabled()
        expect(listener.page.locator("#btn-camera")).to_be_hidden()
        growing(listener, ["buyer:video", "interpreter:video"], "frames")
        growing(listener, ["buyer:audio", "interpreter:audio"], "samples")
        expect(row.locator('td[data-seat="buyer"] .seat-state')).to_have_attribute(
            "data-state", "joined"
        )
        listener.page.screenshot(path=str(screenshots / "call-organiser.png"))
        # The organiser chooses to speak: a microphone only then, and the buyer hears it.
        mic.click()
        expect(mic).to_have_attribute("aria-pressed", "false")
        growing(buyer, ["organiser:audio"], "samples")
        mic.click()
        expect(mic).to_have_attribute("aria-pressed", "true")

        # Only the buyer's connection dropped, and only when its network went away.
        drops = {name: seat.page.evaluate("window.tbCall.drops") for name, seat in seats.items()}
        assert drops == {"company": [], "buyer": ["offline"], "interpreter": []}
        for seat in seats.values():
            assert seat.console.errors == [], seat.console.errors
        assert organiser_console.errors == []
    except Exception:
        # What each seat's client knew when it failed: state, drops and the last chat lines.
        for name, seat in seats.items():
            state = seat.page.evaluate(
                "() => window.tbCall && ({state: tbCall.state, drops: tbCall.drops,"
                " pc: tbCall.pc && tbCall.pc.connectionState,"
                " chat: [...document.querySelectorAll('#chat-log li')].map(li => li.innerText)})"
            )
            print(name, state, seat.console.errors)
        raise
    finally:
        for seat in seats.values():
            seat.context.close()
        organiser_context.close()
