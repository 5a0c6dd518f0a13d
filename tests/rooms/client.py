"""A seat's client for tests: the signalling websocket, and optionally an aiortc peer."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from aiortc import RTCBundlePolicy
from aiortc.mediastreams import MediaStreamTrack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.media.analysis import dominant_frequency, tones_present
from tests.media.client import LoopbackClient, ReceivedAudio, ReceivedVideo
from tests.media.sources import CounterVideoTrack, ToneAudioTrack

Message = dict[str, Any]


class SeatClient:
    """One seat's websocket: requests with ids, every received message kept in order."""

    def __init__(self, ws_url: str, meeting_id: int, token: str, *, name: str = "") -> None:
        self.url = f"{ws_url}/ws/rooms/{meeting_id}"
        self.token = token
        self.name = name or token[:8]
        self.messages: list[Message] = []
        self.close_code: int | None = None
        self.close_reason: str = ""
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self.on_message: Callable[[Message], Any] | None = None
        # Called with every message received, before it is kept (e.g. a schema check), and
        # with every message sent as a dict.
        self.watchers: list[Callable[[Message], None]] = []
        self.sent_watchers: list[Callable[[Message], None]] = []

    async def connect(self) -> SeatClient:
        self._ws = await connect(self.url, max_size=None, open_timeout=5, close_timeout=2)
        self._reader = asyncio.create_task(self._read())
        return self

    async def join(self, device: str = "", muted: dict[str, bool] | None = None) -> Message:
        fields: dict[str, Any] = {"token": self.token, "device": device}
        if muted is not None:
            fields["muted"] = muted
        response = await self.request("join", **fields)
        assert response["type"] == "response", response
        return response

    async def send(self, message: Message | str | bytes) -> None:
        assert self._ws is not None
        if isinstance(message, dict):
            for watcher in self.sent_watchers:
                watcher(message)
        await self._ws.send(message if isinstance(message, str | bytes) else json.dumps(message))

    async def request(self, type: str, *, within: float = 10.0, **fields: Any) -> Message:
        """Send a request and return its `response` or `error`."""
        request_id = f"{self.name}-{next(self._ids)}"
        await self.send({"type": type, "id": request_id, **fields})
        return await self.wait_for(
            lambda m: m.get("id") == request_id and m["type"] in ("response", "error"),
            within=within,
            what=f"reply to {type}",
        )

    async def wait_for(
        self,
        predicate: Callable[[Message], bool],
        *,
        within: float = 10.0,
        since: int = 0,
        what: str = "message",
    ) -> Message:
        """The first message (from index `since`) matching `predicate`."""

        def found() -> Message | None:
            for message in self.messages[since:]:
                if predicate(message):
                    return message
            return None

        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: found() is not None or self.closed)
        except TimeoutError:
            raise AssertionError(
                f"{self.name}: no {what} within {within}s; got {self._summary()}"
            ) from None
        message = found()
        if message is None:
            raise AssertionError(
                f"{self.name}: closed ({self.close_code} {self.close_reason}) before {what}; "
                f"got {self._summary()}"
            )
        return message

    def of_type(self, type: str) -> list[Message]:
        return [m for m in self.messages if m["type"] == type]

    @property
    def closed(self) -> bool:
        return self.close_code is not None

    async def wait_closed(self, within: float = 10.0) -> tuple[int, str]:
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: self.closed)
        except TimeoutError:
            raise AssertionError(f"{self.name}: still open after {within}s") from None
        assert self.close_code is not None
        return self.close_code, self.close_reason

    async def close(self) -> None:
        """Drop the connection as a network failure would look to the server (no `leave`)."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)

    def _summary(self) -> str:
        return ", ".join(
            m["type"] + (f"({m.get('code')})" if m["type"] == "error" else "")
            for m in self.messages[-15:]
        )

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                message = json.loads(raw)
                for watcher in self.watchers:
                    watcher(message)
                if self.on_message is not None:
                    self.on_message(message)
                async with self._changed:
                    self.messages.append(message)
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            async with self._changed:
                code = self._ws.close_code
                self.close_code = code if code is not None else 1006
                self.close_reason = self._ws.close_reason or ""
                self._changed.notify_all()


class MediaSeat:
    """A seat with media: the signalling client plus a loopback aiortc peer (tests.media)
    that publishes a counter video and a tone and decodes what the relay forwards.

    It reads each offer's m-line list as docs/signalling.md says: it sends each source on
    the line the offer names for it, and maps every received track to a seat by its mid,
    anew on every offer (a reused m-line may carry another seat's track)."""

    def __init__(
        self,
        ws_url: str,
        meeting_id: int,
        token: str,
        *,
        name: str,
        tone_hz: float = 440.0,
        publish: bool = True,
        back_channel_hz: float | None = None,
        video: bool = True,
        screen: bool = False,
        bundle_policy: RTCBundlePolicy = RTCBundlePolicy.MAX_BUNDLE,
        mic: MediaStreamTrack | None = None,
        decode: bool = True,
    ) -> None:
        self.name = name
        self.signal = SeatClient(ws_url, meeting_id, token, name=name)
        sources: dict[str, MediaStreamTrack] = {}
        if publish:
            sources["mic"] = mic or ToneAudioTrack(tone_hz)
            if video:
                sources["camera"] = CounterVideoTrack()
            if screen:  # for the `screen` line a later `publish` offers
                sources["screen"] = CounterVideoTrack(start=50_000)
            if back_channel_hz is not None:  # for the back-channel line `publish` offers
                sources["back_channel"] = ToneAudioTrack(back_channel_hz)
        self.media = LoopbackClient(
            name,
            tone_hz=tone_hz,
            publish=[],
            by_source=sources,
            measure_psnr=False,
            bundle_policy=bundle_policy,
            decode=decode,
        )
        self.track_seats: dict[str, str] = {}  # relay track id -> the seat that publishes it
        self.lines: dict[str, Message] = {}  # mid -> its line in the latest offer
        self._offer_ids: deque[str] = deque()
        self.signal.on_message = self._on_message

    async def join(self, device: str = "", muted: dict[str, bool] | None = None) -> Message:
        await self.signal.connect()
        self.media.connect(self._answer)
        return await self.signal.join(device, muted)

    def _on_message(self, message: Message) -> None:
        if message["type"] != "offer":
            return
        self._offer_ids.append(message["id"])
        sources = {}
        for line in message["tracks"]:
            self.lines[line["mid"]] = line
            if line["direction"] == "receive":
                self.track_seats[line["track_id"]] = line["seat"]
            elif line["direction"] == "send":
                sources[line["mid"]] = line["source"]
        # Answered in order by the loopback client's answer loop.
        offer = {"type": "offer", "sdp": message["sdp"], "sources": sources}
        asyncio.ensure_future(self.media.send(offer))

    def seat_of(self, received_track_id: str) -> str | None:
        """The seat whose track comes on the m-line of this received track, now."""
        line = self.lines.get(str(self.media.mid_of.get(received_track_id)))
        if line is not None:
            return str(line["seat"]) if line["direction"] == "receive" else None
        return self.track_seats.get(received_track_id)

    async def _answer(self, sdp: str) -> None:
        offer_id = self._offer_ids.popleft()
        if not self.signal.closed:
            await self.signal.send({"type": "answer", "id": offer_id, "sdp": sdp})

    def video_from(self, seat: str) -> list[ReceivedVideo]:
        return [v for tid, v in self.media.video.items() if self.seat_of(tid) == seat]

    def audio_from(self, seat: str) -> list[ReceivedAudio]:
        return [a for tid, a in self.media.audio.items() if self.seat_of(tid) == seat]

    def frames_from(self, seat: str) -> int:
        return sum(video.frames for video in self.video_from(seat))

    def heard_from(self, seat: str, seconds: float = 0.5) -> float | None:
        """The dominant frequency (Hz) of the latest audio received from `seat`."""
        for audio in self.audio_from(seat):
            samples = audio.last_samples(int(audio.sample_rate * seconds))
            if len(samples) >= audio.sample_rate * seconds and np.abs(samples).max() > 1000:
                return dominant_frequency(samples, audio.sample_rate)
        return None

    def fresh_audio(self, within: float = 0.5) -> list[ReceivedAudio]:
        """The received audio tracks that got a frame in the last `within` seconds (an
        unsubscribed track keeps its old samples but gets no new frames)."""
        now = time.monotonic()
        return [
            audio
            for audio in self.media.audio.values()
            if audio.last_frame_at is not None and now - audio.last_frame_at <= within
        ]

    def tones_now(
        self,
        candidates: Iterable[float],
        seconds: float = 0.4,
        tracks: Iterable[ReceivedAudio] | None = None,
    ) -> set[float]:
        """The candidate tones in what this seat is receiving now, over its fresh audio
        tracks (or over `tracks`)."""
        heard: set[float] = set()
        for audio in self.fresh_audio() if tracks is None else tracks:
            samples = audio.last_samples(int(audio.sample_rate * seconds))
            if len(samples) >= audio.sample_rate * seconds:
                heard |= tones_present(samples, audio.sample_rate, candidates)
        return heard

    def audio_frames(self) -> int:
        return sum(audio.frames for audio in self.media.audio.values())

    def describe(self) -> str:
        """What this seat receives, for failure messages."""
        video = {
            self.seat_of(t) or t: f"{v.frames} ({v.corrupt} unreadable)"
            for t, v in self.media.video.items()
        }
        audio = {
            self.seat_of(t) or t: self.heard_from(self.seat_of(t) or "") for t in self.media.audio
        }
        return f"{self.name}: video frames {video}, audio Hz {audio}, offers {self.media.offers}"

    async def close(self) -> None:
        await self.signal.close()
        await self.media.close()
