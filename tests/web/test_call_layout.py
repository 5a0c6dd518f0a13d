"""The call page fits a booth's screen: every control of the company's, the buyer's, the
interpreter's and the organiser's view is on screen and not covered, at 1366x768 and at
1920x1080, in real Chromium during a live interpreted consultation.

"On screen and not covered": the page itself never scrolls; each control (every visible
button, input, select and link of the call) is brought into view inside its own panel if
that panel scrolls, then its box lies inside the viewport and `document.elementFromPoint` at
its centre is the control or inside it. The controls bar and the chat need no scrolling at
all. Screenshots of each view and size go to var/screenshots/. Also: the organiser's
"Listen in" skips the device check, and before the slot the timer says "starts in".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.web.browser import Console, launch
from tests.web.conftest import Server, seed_mission
from tests.web.peers import ToneSeat, peer_loop
from tests.web.seats import join_call

pytestmark = pytest.mark.browser

expect.set_options(timeout=20_000)

SIZES = ((1366, 768), (1920, 1080))

# Controls that must be usable with no scrolling at all: the controls bar and the chat.
FIXED = "#btn-mic, #btn-camera, #btn-share, #btn-leave, #chat-input, #chat-form button"

CHECK_JS = """(fixedSelector) => {
  const root = document.getElementById("step-call");
  const page = document.scrollingElement;
  const vw = window.innerWidth, vh = window.innerHeight;
  const problems = [];
  const name = (el) => !el ? "nothing" : el.id ? `#${el.id}`
    : `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).split(" ")[0] : ""}`
      + (el.dataset.mode || el.dataset.floor || el.dataset.action || "")
      + (el.dataset.channel ? `[${el.dataset.channel}]` : "")
      + (el.textContent.trim() ? ` "${el.textContent.trim().slice(0, 24)}"` : "");
  const check = (el, scroll) => {
    if (scroll) el.scrollIntoView({ block: "nearest", inline: "nearest" });
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return `${name(el)} has no size`;
    if (r.left < 0 || r.top < 0 || r.right > vw + 0.5 || r.bottom > vh + 0.5) {
      const box = [r.left, r.top, r.right, r.bottom].map(Math.round).join(",");
      return `${name(el)} is outside the ${vw}x${vh} viewport: ${box}`;
    }
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(hit === el || el.contains(hit))) return `${name(el)} is covered by ${name(hit)}`;
    return null;
  };
  const shown = (el) =>
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  if (page.scrollHeight > vh + 1 || page.scrollWidth > vw + 1) {
    problems.push(`the page scrolls: ${page.scrollWidth}x${page.scrollHeight} in ${vw}x${vh}`);
  }
  const fixed = [...root.querySelectorAll(fixedSelector)].filter(shown);
  for (const el of fixed) {
    const problem = check(el, false);
    if (problem) problems.push(`without scrolling: ${problem}`);
  }
  const all = root.querySelectorAll("button, input, select, textarea, a[href]");
  const controls = [...all].filter(shown);
  for (const el of controls) {
    const problem = check(el, true);
    if (problem) problems.push(problem);
  }
  if (window.scrollX || window.scrollY) problems.push("scrollIntoView scrolled the page");
  return { problems, fixed: fixed.map(name), controls: controls.map(name) };
}"""


def check_controls(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(CHECK_JS, FIXED)
    return result


def videos_playing(page: Page, count: int) -> None:
    page.wait_for_function(
        """(count) => [...document.querySelectorAll('#tiles video')]
             .filter((v) => v.videoWidth > 0 && !v.paused).length >= count""",
        arg=count,
    )


@pytest.fixture
def meeting(server: Server) -> Iterator[tuple[int, dict[str, str], int, str]]:
    seeded = seed_mission(server, live_meeting=True)
    mission_id = seeded.mission["id"]
    meeting_id = seeded.meetings[0]["id"]  # company 0, buyer 0, interpreter, running now
    partner = server.post(
        f"/missions/{mission_id}/interpreters", {"name": "Kang Minseo", "language_pairs": ["ko-id"]}
    )
    response = server.api.patch(
        f"/meetings/{meeting_id}", json={"partner_interpreter_id": partner["id"]}
    )
    assert response.status_code == 200, response.text
    links = {link["seat"]: link["url"] for link in server.post(f"/meetings/{meeting_id}/links", {})}
    yield mission_id, links, meeting_id, _meeting_soon(server, mission_id)


def test_every_control_of_every_view_is_on_screen_and_uncovered(
    server: Server,
    meeting: tuple[int, dict[str, str], int, str],
    playwright: Playwright,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    mission_id, links, meeting_id, early = meeting
    contexts: list[BrowserContext] = []
    consoles: list[Console] = []
    pages: dict[str, Page] = {}
    ws_url = "ws" + server.base_url.removeprefix("http")

    def browser(name: str, locale: str) -> BrowserContext:
        context, console = launch(playwright, tmp_path / name, locale=locale)
        contexts.append(context)
        consoles.append(console)
        return context

    with peer_loop() as peers:
        # The booth partner is an aiortc seat: the interpreter's console shows its team.
        partner = ToneSeat(
            peers,
            ws_url,
            meeting_id,
            links["partner"].split("#", 1)[1],
            name="partner",
            tone_hz=990,
        )
        try:
            for seat, lang, locale in (
                ("interpreter", "ko", "ko-KR"),  # first in: live on both channels
                ("company", "ko", "ko-KR"),
                ("buyer", "en", "en-GB"),
            ):
                page = browser(seat, locale).new_page()
                join_call(page, links[seat], lang)
                pages[seat] = page
            partner.join()

            # "Listen in" from the board: straight into the call, no device check.
            organiser_context = browser("organiser", "en-GB")
            server.sign_in(organiser_context)
            board = organiser_context.new_page()
            board.goto(f"{server.base_url}/missions/{mission_id}/board?lang=en")
            expect(board.locator("#board-feed")).to_have_attribute("data-state", "live")
            with organiser_context.expect_page() as opened:
                board.click(f'#board button.listen[data-meeting="{meeting_id}"]')
            organiser = opened.value
            expect(organiser.locator("#step-call")).to_be_visible()
            assert organiser.evaluate("document.getElementById('join').dataset.step") == "call"
            expect(organiser.locator("#step-devices")).to_be_hidden()
            expect(organiser.locator("#btn-mic")).to_have_attribute("aria-pressed", "true")
            expect(organiser.locator("#btn-mic")).to_be_enabled()
            pages["organiser"] = organiser

            # Every view populated: remote videos playing, the panels the seat has.
            for page in pages.values():
                videos_playing(page, 2)
                expect(page.locator("#slot-timer")).to_have_attribute("data-phase", "during")
            for name in ("company", "buyer", "organiser"):
                expect(pages[name].locator("#listener-panel")).to_be_visible()
            interpreter = pages["interpreter"]
            expect(interpreter.locator("#interpreter-panel")).to_be_visible()
            expect(interpreter.locator("#partner-line")).to_be_visible()
            expect(interpreter.locator("#interp-channels button[data-action]")).to_have_count(4)
            pages["buyer"].fill("#chat-input", "Could you send the price list?")
            pages["buyer"].press("#chat-input", "Enter")
            expect(pages["company"].locator("#chat-log li")).to_have_count(1)

            failures = []
            for width, height in SIZES:
                for name, page in pages.items():
                    page.bring_to_front()
                    page.set_viewport_size({"width": width, "height": height})
                    page.evaluate("window.scrollTo(0, 0)")
                    result = check_controls(page)
                    # Every view has the controls bar and the chat; the interpreter's console
                    # has far more, all of them checked.
                    assert {"#btn-mic", "#btn-leave", "#chat-input"} <= set(result["fixed"])
                    if name == "interpreter":
                        assert len(result["controls"]) >= 20, result["controls"]
                    failures += [f"{name} {width}x{height}: {p}" for p in result["problems"]]
                    page.evaluate("document.querySelector('.side-scroll')?.scrollTo(0, 0)")
                    page.screenshot(path=str(screenshots / f"call-{name}-{width}x{height}.png"))
            assert failures == [], "\n".join(failures)

            # Before the slot: the room is open, and the timer counts down to the start.
            page = contexts[0].new_page()
            page.set_viewport_size({"width": 1366, "height": 768})
            join_call(page, early, "en")
            timer = page.locator("#slot-timer")
            expect(timer).to_have_attribute("data-phase", "before")
            expect(timer.locator(".label")).to_have_text("Starts in")
            expect(page.locator("#slot-timer-value")).to_have_text(re.compile(r"^0[0-7]:\d\d$"))
            assert page.evaluate("document.getElementById('slot-warning').hidden")
            page.screenshot(path=str(screenshots / "call-before-the-slot-1366x768.png"))
            page.close()

            for console in consoles:
                assert console.errors == [], console.errors
        finally:
            for context in contexts:
                context.close()
            partner.close()


def _meeting_soon(server: Server, mission_id: int) -> str:
    """The company link of a new meeting starting in eight minutes (its room is open)."""
    company = server.post(
        f"/missions/{mission_id}/companies",
        {
            "name": "Kumho Audio",
            "industry": "electronics",
            "products": ["speakers"],
            "contact_name": "Han Yuna",
            "languages": ["ko", "en"],  # shares English with the buyer: no interpreter
        },
    )
    buyer = server.post(
        f"/missions/{mission_id}/buyers",
        {
            "name": "Dewi Lestari",
            "company_name": "PT Suara",
            "country": "ID",
            "city": "Jakarta",
            "languages": ["id", "en"],
            "products_sought": ["audio"],
        },
    )
    starts = (datetime.now(UTC) + timedelta(minutes=8)).replace(microsecond=0)
    meeting = server.post(
        f"/missions/{mission_id}/meetings",
        {
            "company_id": company["id"],
            "buyer_id": buyer["id"],
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(minutes=30)).isoformat(),
        },
    )
    links = server.post(f"/meetings/{meeting['id']}/links", {"seats": ["company"]})
    return str(links[0]["url"])
