"""A listener's interpretation in real Chromium, measured with WebAudio.

The buyer (Chromium, fake devices) listens to the Indonesian channel of a live consultation
in simultaneous mode. The company and the interpreter are aiortc peers joined through the
real signalling, each publishing a sine tone (440 Hz and 880 Hz) so the levels are steady
and the interpreter can fall silent on demand. The page plays every received track through
a GainNode set from the relay's `routing` levels; the test reads the GainNode's value back
and measures the RMS before and after it with AnalyserNodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from tests.waiting import wait_until
from tests.web.browser import Console, launch
from tests.web.conftest import Server, seed_mission
from tests.web.peers import ToneSeat, peer_loop
from tests.web.seats import join_call

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
def room(
    server: Server, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Room]:
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
            join_call(page, links["buyer"], "en")
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
