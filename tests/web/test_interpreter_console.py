"""The interpreters' console in real Chromium: interpreter and booth partner work one ko-id
meeting as a team, with the company an aiortc seat (which must never get their private line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.waiting import wait_until
from tests.web.browser import Console, launch, tone_microphone
from tests.web.conftest import Server, seed_mission
from tests.web.peers import ToneSeat, peer_loop
from tests.web.seats import join_call

pytestmark = pytest.mark.browser

expect.set_options(timeout=15_000)


# The back-channel tracks the page plays, and the RMS of one source's track before its gain.
BACK_CHANNEL_JS = """() => Object.values(window.tradebooth.audio.gains())
  .filter((g) => g.source === "back_channel")"""
TRACK_RMS_JS = """(source) => { const mix = window.tradebooth.audio, rms = mix.rms().tracks;
  const ids = Object.entries(mix.gains()).filter(([, g]) => g.source === source).map(([id]) => id);
  return ids.length ? rms[ids[0]].before : null; }"""

CONSOLE_STATE_JS = """() => ({ error: document.querySelector("#interp-error").textContent,
  state: window.tradebooth.interpretation(), drops: window.tbCall.drops })"""


def _channel(page: Page, channel: str) -> Any:
    return page.locator(f'#interp-channels > li[data-channel="{channel}"]')


def test_interpreter_console(
    server: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    """Interpreter and booth partner (Chromium) work one ko-id meeting as a team: who is
    live, the both-microphones alarm, hand over now, request / decline / accept, the mode,
    the direction toggle, the floor marker, a refused relay loop, the partner line
    (push-to-talk audio and team notes) that the company (an aiortc seat) never gets."""
    seeded = seed_mission(server, live_meeting=True)
    mission_id = seeded.mission["id"]
    first, second = (
        server.post(
            f"/missions/{mission_id}/interpreters", {"name": name, "language_pairs": ["ko-id"]}
        )
        for name in ("Choi Seoyeon", "Park Jisoo")
    )
    meeting_id = seeded.meetings[1]["id"]  # company 2, buyer 2, now, no interpreter yet
    response = server.api.patch(
        f"/meetings/{meeting_id}",
        json={"interpreter_id": first["id"], "partner_interpreter_id": second["id"]},
    )
    assert response.status_code == 200, response.text
    links = {link["seat"]: link["url"] for link in server.post(f"/meetings/{meeting_id}/links", {})}
    assert {"interpreter", "partner"} <= set(links)
    ws_url = "ws" + server.base_url.removeprefix("http")

    pages: dict[str, Page] = {}
    contexts: list[BrowserContext] = []
    consoles: list[Console] = []
    with peer_loop() as peers:
        company = ToneSeat(
            peers,
            ws_url,
            meeting_id,
            links["company"].split("#", 1)[1],
            name="company",
            tone_hz=440,
        )
        try:
            company.join()
            for seat, lang, hz in (("interpreter", "ko", 880.0), ("partner", "en", 990.0)):
                # A steady voice on each microphone: the alarm counts open microphones that
                # carry voice, and Chromium's default fake microphone only beeps.
                voice = tone_microphone(tmp_path / "audio", hz)
                context, console = launch(playwright, tmp_path / seat, extra_args=voice)
                contexts.append(context)
                consoles.append(console)
                page = context.new_page()
                join_call(page, links[seat], lang)
                expect(page.locator("#interpreter-panel")).to_be_visible()
                pages[seat] = page
                # The first in holds both channels of the pair.
                for channel in ("ko", "id"):
                    expect(_channel(page, channel)).to_have_attribute("data-live", "interpreter")
            interpreter, partner = pages["interpreter"], pages["partner"]
            expect(_channel(partner, "ko").locator(".who-live")).to_have_text("live: Choi Seoyeon")

            # The organiser's board shows the booth partner's presence beside the interpreter's.
            server.sign_in(contexts[0])
            board = contexts[0].new_page()
            board.goto(f"{server.base_url}/missions/{mission_id}/board")
            row = board.locator(f'#board tr[data-meeting="{meeting_id}"]')
            for seat in ("interpreter", "partner"):
                badge = row.locator(f'.seat[data-seat="{seat}"] > .seat-state')
                expect(badge).to_have_attribute("data-state", "joined")
            board.close()

            # Both microphones are open and carry voice, on both channels: the alarm, for
            # both. The partner closes theirs and it goes.
            for page in pages.values():
                expect(page.locator("#interp-alarm")).to_be_visible()
                expect(page.locator("#interp-alarm")).to_contain_text("ID")
            partner.click("#btn-mic")
            for page in pages.values():
                expect(page.locator("#interp-alarm")).to_be_hidden()

            # The floor marker, seen by the partner.
            interpreter.click('#interpreter-panel [data-floor="buyer"]')
            expect(interpreter.locator('[data-floor="buyer"]')).to_have_attribute(
                "aria-pressed", "true"
            )
            expect(partner.locator("#floor-state")).to_have_text("The buyer is speaking")
            expect(partner.locator('[data-floor="buyer"]')).to_have_attribute(
                "aria-pressed", "true"
            )

            # Hand over now: the Korean microphone moves to the partner in one step.
            _channel(interpreter, "ko").locator('button[data-action="hand_over"]').click()
            for page in pages.values():
                expect(_channel(page, "ko")).to_have_attribute("data-live", "partner")
            # The partner asks for the Indonesian one too: declined, then asked and accepted.
            _channel(partner, "id").locator('button[data-action="request"]').click()
            expect(_channel(partner, "id").locator(".request")).to_be_visible()
            _channel(interpreter, "id").locator('button[data-action="decline"]').click()
            expect(_channel(partner, "id").locator(".request")).to_be_hidden()
            expect(_channel(partner, "id")).to_have_attribute("data-live", "interpreter")
            _channel(partner, "id").locator('button[data-action="request"]').click()
            _channel(interpreter, "id").locator('button[data-action="accept"]').click()
            for page in pages.values():
                expect(_channel(page, "id")).to_have_attribute("data-live", "partner")

            # Simultaneous mode, and the partner (now live on both) swaps direction with one
            # control.
            partner.click('#interpreter-panel [data-mode="simultaneous"]')
            expect(interpreter.locator('[data-mode="simultaneous"]')).to_have_attribute(
                "aria-pressed", "true"
            )
            toggle = partner.locator("#direction-toggle")
            expect(toggle).to_be_enabled()
            before = toggle.get_attribute("data-direction")
            toggle.click()
            expect(toggle).not_to_have_attribute("data-direction", before or "")
            expect(toggle).to_have_attribute("data-direction", "ko" if before == "id" else "id")

            # A relay source that would feed a channel from itself is refused, plainly.
            partner.select_option("#relay-select", "ko")
            expect(partner.locator("#interp-error")).to_contain_text("loop")
            expect(partner.locator("#relay-select")).to_have_value("floor")

            # The partner line: each receives the other's back-channel track; push-to-talk
            # opens it only while held.
            for page in pages.values():
                expect(page.locator("#partner-line")).to_be_visible()
            wait_until(
                lambda: partner.evaluate(BACK_CHANNEL_JS), 20, "the partner gets the back-channel"
            )
            [line] = partner.evaluate(BACK_CHANNEL_JS)
            assert (line["seat"], line["layer"], line["gain"]) == ("interpreter", "back_channel", 1)
            talk = interpreter.locator("#btn-talkback")
            box = talk.bounding_box()
            assert box is not None
            interpreter.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            interpreter.mouse.down()
            expect(talk).to_have_attribute("aria-pressed", "true")
            wait_until(
                lambda: (partner.evaluate(TRACK_RMS_JS, "back_channel") or 0) > 0.01,
                20,
                "the interpreter's voice on the partner line",
            )
            interpreter.mouse.up()
            expect(talk).to_have_attribute("aria-pressed", "false")
            wait_until(
                lambda: (partner.evaluate(TRACK_RMS_JS, "back_channel") or 0) < 0.001,
                20,
                "the partner line quiet once released",
            )

            # A team note reaches the partner's console, not the room's chat.
            interpreter.fill("#team-input", "숫자 확인: 3,200 units")
            interpreter.press("#team-input", "Enter")
            expect(partner.locator("#team-log")).to_contain_text("3,200 units")
            expect(partner.locator("#chat-log")).not_to_contain_text("3,200 units")
            interpreter.fill("#chat-input", "Welcome")
            interpreter.press("#chat-input", "Enter")
            peers.run(
                company.seat.signal.wait_for(
                    lambda m: m["type"] == "chat" and m["text"] == "Welcome", what="room chat"
                )
            )
            company_messages = company.seat.signal.messages
            assert not [m for m in company_messages if m["type"] == "chat" and "units" in m["text"]]
            offered = [t for m in company_messages if m["type"] == "offer" for t in m["tracks"]]
            assert offered and all(t["source"] != "back_channel" for t in offered), offered
            partner.screenshot(
                path=str(screenshots / "call-partner-console-en.png"), full_page=True
            )
            interpreter.screenshot(
                path=str(screenshots / "call-interpreter-console-ko.png"), full_page=True
            )
            for console in consoles:
                assert console.errors == [], console.errors
        except Exception:
            # What each console showed and knew when it failed.
            for name, page in pages.items():
                print(name, page.evaluate(CONSOLE_STATE_JS), flush=True)
            raise
        finally:
            for context in contexts:
                context.close()
            company.close()
