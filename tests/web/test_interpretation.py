"""A listener's interpretation in real Chromium, measured with WebAudio.

The buyer (Chromium, fake devices) listens to the Indonesian channel of a live consultation
in simultaneous mode. The company and the interpreter are aiortc peers joined through the
real signalling, each publishing a sine tone (440 Hz and 880 Hz) so the levels are steady
and the interpreter can fall silent on demand. The page plays every received track through
a GainNode set from the relay's `routing` levels; the test reads the GainNode's value back
and measures the RMS before and after it with AnalyserNodes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.settings import Settings
from tests.principals import admin_headers
from tests.waiting import wait_until
from tests.web.browser import Console, launch
from tests.web.conftest import Server, seed_mission
from tests.web.peers import ToneSeat, peer_loop

pytestmark = pytest.mark.browser

expect.set_options(timeout=15_000)

# The received audio of one seat as the page plays it: the GainNode's value and its level.
GAINS_JS = """(seat) => Object.values(window.tradebooth?.audio?.gains() || {})
  .filter((g) => g.seat === seat && g.source === "mic")"""

# RMS of one seat's track before and after its gain, and of the floor layer after the gains,
# sampled `count` times 50 ms apart; medians of each, and of the after/before ratio.
MEASURE_JS = """async ({ seat, count }) => {
  const mix = window.tradebooth.audio;
  const median = (xs) =>
    xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : null;
  const before = [], after = [], ratio = [], floor = [];
  for (let i = 0; i < count; i++) {
    await new Promise((done) => setTimeout(done, 50));
    const rms = mix.rms();
    for (const [id, g] of Object.entries(mix.gains())) {
      if (g.seat !== seat || g.source !== "mic") continue;
      const r = rms.tracks[id];
      before.push(r.before);
      after.push(r.after);
      if (r.before > 0.02) ratio.push(r.after / r.before);
    }
    floor.push(rms.layers.floor);
  }
  return { before: median(before), after: median(after), ratio: median(ratio),
           floor: median(floor), samples: ratio.length };
}"""

SET_FLOOR_LEVEL_JS = """(percent) => {
  const slider = document.querySelector("#floor-level");
  slider.value = String(percent);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  slider.dispatchEvent(new Event("change", { bubbles: true }));
}"""


@dataclass
class Room:
    buyer: Page
    context: BrowserContext
    console: Console
    company: ToneSeat
    interpreter: ToneSeat

    def gain(self, seat: str) -> dict[str, Any] | None:
        gains: list[dict[str, Any]] = self.buyer.evaluate(GAINS_JS, seat)
        assert len(gains) <= 1, gains
        return gains[0] if gains else None

    def wait_gain(self, seat: str, level: float, layer: str, what: str) -> dict[str, Any]:
        """Wait until `seat`'s track plays at `level` in `layer`: the routing said so and the
        GainNode's value, read back, has reached it."""

        def reached() -> dict[str, Any] | None:
            g = self.gain(seat)
            ok = (
                g is not None
                and g["layer"] == layer
                and g["level"] == pytest.approx(level, abs=1e-6)
                and g["gain"] == pytest.approx(level, abs=1e-6)
            )
            return g if ok else None

        try:
            return wait_until(reached, 20, what)
        except AssertionError:
            raise AssertionError(f"{what}: buyer plays {self.gain(seat)}") from None

    def measure(self, seat: str) -> dict[str, float]:
        result: dict[str, float] = self.buyer.evaluate(MEASURE_JS, {"seat": seat, "count": 20})
        assert result["samples"] >= 10, result
        return result


@pytest.fixture(scope="module")
def admin(server: Server) -> Iterator[Server]:
    """The server's API as a signed-in admin (the records API needs a console session)."""

    async def sign_in() -> dict[str, str]:
        engine = create_async_engine(server.database_url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                settings = Settings(environment="test", database_url=server.database_url)
                return await admin_headers(session, settings)
        finally:
            await engine.dispose()

    # In a thread of its own: sync Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        headers = pool.submit(asyncio.run, sign_in()).result(60)
    with httpx.Client(base_url=str(server.api.base_url), timeout=10, headers=headers) as api:
        yield dataclasses.replace(server, api=api)


def _join(page: Page, url: str, lang: str) -> None:
    base, token = url.split("#", 1)
    page.goto(f"{base}?lang={lang}#{token}")
    expect(page.locator("#step-devices")).to_be_visible()
    page.click("#devices-continue")
    expect(page.locator("#lobby-join")).to_be_enabled()
    page.click("#lobby-join")
    expect(page.locator("#step-call")).to_be_visible()


@pytest.fixture(scope="module")
def room(
    admin: Server, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Room]:
    server = admin
    seeded = seed_mission(server, live_meeting=True)  # interpreter ko-id on meeting 0
    meeting_id = seeded.meetings[0]["id"]
    links = {link["seat"]: link["url"] for link in server.post(f"/meetings/{meeting_id}/links", {})}
    ws_url = "ws" + server.base_url.removeprefix("http")

    def token(seat: str) -> str:
        return links[seat].split("#", 1)[1]

    with peer_loop() as peers:
        interpreter = ToneSeat(
            peers, ws_url, meeting_id, token("interpreter"), name="interpreter", tone_hz=880
        )
        company = ToneSeat(peers, ws_url, meeting_id, token("company"), name="company", tone_hz=440)
        context, console = launch(playwright, Path(tmp_path_factory.mktemp("buyer")))
        try:
            interpreter.join()
            company.join()
            # Simultaneous: the interpreter (live on both channels of ko-id) speaks into id.
            interpreter.request("interpretation", mode="simultaneous")
            interpreter.request("direction", channel="id")
            page = context.new_page()
            _join(page, links["buyer"], "en")
            expect(page.locator("#listener-panel")).to_be_visible()
            expect(page.locator('#channel-select option[value="id"]')).to_have_count(1)
            yield Room(page, context, console, company, interpreter)
            assert console.errors == [], console.errors
        finally:
            context.close()
            company.close()
            interpreter.close()


def _choose(room: Room, channel: str, percent: int | None = None) -> None:
    room.buyer.select_option("#channel-select", channel)
    if percent is not None:
        room.buyer.evaluate(SET_FLOOR_LEVEL_JS, percent)
        expect(room.buyer.locator("#floor-level-value")).to_have_text(f"{percent}%")


def test_listener_hears_the_floor_at_the_chosen_level(room: Room) -> None:
    room.interpreter.set_amplitude(0.3)
    for percent in (20, 50):
        level = percent / 100
        _choose(room, "id", percent)
        room.wait_gain("company", level, "floor", f"company's voice at {percent}%")
        room.wait_gain("interpreter", 1.0, "channel", "the interpretation at full level")
        floor = room.measure("company")
        assert floor["before"] > 0.05, floor  # the company's tone arrives
        assert floor["ratio"] == pytest.approx(level, abs=0.02), floor
        # The floor layer (the company alone: the buyer does not hear itself) is attenuated
        # as a whole, and the interpretation plays unattenuated.
        assert floor["floor"] == pytest.approx(level * floor["before"], rel=0.25), floor
        channel = room.measure("interpreter")
        assert channel["before"] > 0.05, channel
        assert channel["ratio"] == pytest.approx(1.0, abs=0.02), channel

    # Original voices only: the floor at full level, and the interpretation not received.
    _choose(room, "floor")
    room.wait_gain("company", 1.0, "floor", "company's voice in full")
    wait_until(
        lambda: room.gain("interpreter") is None, 20, "the interpretation no longer received"
    )
    floor = room.measure("company")
    assert floor["ratio"] == pytest.approx(1.0, abs=0.02), floor


def test_silent_channel_brings_the_floor_up(room: Room) -> None:
    room.interpreter.set_amplitude(0.3)
    _choose(room, "id", 20)
    fallback = room.buyer.locator("#listen-fallback")
    expect(fallback).to_be_checked()
    room.wait_gain("company", 0.2, "floor", "the floor underneath the interpreter")

    # The interpreter stops speaking (microphone open, nothing said): the relay hears the
    # silence and the listener gets the floor in full, and says why.
    room.interpreter.set_amplitude(0.0)
    room.wait_gain("company", 1.0, "floor", "the floor in full while the channel is silent")
    expect(room.buyer.locator("#listen-status")).to_contain_text("silent")
    assert room.measure("company")["ratio"] == pytest.approx(1.0, abs=0.02)

    # The fallback is the listener's choice: off, the floor stays underneath even now.
    fallback.uncheck()
    room.wait_gain("company", 0.2, "floor", "the floor underneath, fallback off")
    fallback.check()
    room.wait_gain("company", 1.0, "floor", "the floor in full again, fallback on")

    # The interpreter speaks again: the floor goes back down to the chosen level.
    room.interpreter.set_amplitude(0.3)
    room.wait_gain("company", 0.2, "floor", "the floor back underneath the interpreter")
    assert room.measure("company")["ratio"] == pytest.approx(0.2, abs=0.02)
    expect(room.buyer.locator("#listen-status")).to_contain_text("interpreting")


# -- the interpreters' console --------------------------------------------------------------

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
    admin: Server, playwright: Playwright, tmp_path: Path, screenshots: Path
) -> None:
    """Interpreter and booth partner (Chromium) work one ko-id meeting as a team: who is
    live, the both-microphones alarm, hand over now, request / decline / accept, the mode,
    the direction toggle, the floor marker, a refused relay loop, the partner line
    (push-to-talk audio and team notes) that the company (an aiortc seat) never gets."""
    server = admin
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
            for seat, lang in (("interpreter", "ko"), ("partner", "en")):
                context, console = launch(playwright, tmp_path / seat)
                contexts.append(context)
                consoles.append(console)
                page = context.new_page()
                _join(page, links[seat], lang)
                expect(page.locator("#interpreter-panel")).to_be_visible()
                pages[seat] = page
                # The first in holds both channels of the pair.
                for channel in ("ko", "id"):
                    expect(_channel(page, channel)).to_have_attribute("data-live", "interpreter")
            interpreter, partner = pages["interpreter"], pages["partner"]
            expect(_channel(partner, "ko").locator(".who-live")).to_have_text("live: Choi Seoyeon")

            # Both fake microphones are open on both channels: the alarm, for both. The
            # partner closes theirs and it goes.
            for page in pages.values():
                expect(page.locator("#interp-alarm")).to_be_visible()
                expect(page.locator("#interp-alarm")).to_contain_text("ID")
            partner.click("#btn-mic")
            for page in pages.values():
                expect(page.locator("#interp-alarm")).to_be_hidden()

            # The floor marker, seen by the partner.
            interpreter.click('#interpreter-panel [data-floor="buyer"]')
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
