"""aiortc seats for the browser tests: tone publishers joined through the real signalling,
run on their own event loop in a thread so sync Playwright can drive Chromium meanwhile."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from rtc.ice import apply_host_addresses
from tests.media.sources import ToneAudioTrack
from tests.rooms.client import MediaSeat

T = TypeVar("T")


class PeerLoop:
    """An asyncio loop in a daemon thread; `run` executes a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="peers", daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class ToneSeat:
    """A seat that publishes one sine tone (no video) and decodes nothing it receives.

    `amplitude` can be changed while it runs: 0 is a silent microphone that stays open."""

    def __init__(
        self,
        peers: PeerLoop,
        ws_url: str,
        meeting_id: int,
        token: str,
        *,
        name: str,
        tone_hz: float,
        amplitude: float = 0.3,
    ) -> None:
        self.peers = peers
        self.tone = ToneAudioTrack(tone_hz, amplitude)

        async def make() -> MediaSeat:
            return MediaSeat(
                ws_url, meeting_id, token, name=name, video=False, mic=self.tone, decode=False
            )

        self.seat = peers.run(make())

    @property
    def name(self) -> str:
        return self.seat.name

    def join(self) -> dict[str, Any]:
        return self.peers.run(self.seat.join(device=f"test {self.seat.name}"))

    def request(self, type: str, **fields: Any) -> dict[str, Any]:
        reply = self.peers.run(self.seat.signal.request(type, **fields))
        assert reply["type"] == "response", (type, fields, reply)
        return reply

    def latest(self, type: str) -> dict[str, Any] | None:
        messages = self.seat.signal.of_type(type)
        return messages[-1] if messages else None

    def set_amplitude(self, amplitude: float) -> None:
        self.tone.amplitude = amplitude

    def close(self) -> None:
        self.peers.run(self.seat.close())


@contextmanager
def peer_loop() -> Iterator[PeerLoop]:
    """A peer loop whose aiortc peers gather ICE candidates on loopback only."""
    apply_host_addresses(["127.0.0.1"])
    peers = PeerLoop()
    try:
        yield peers
    finally:
        peers.close()
        apply_host_addresses(None)
