"""A loopback aiortc client peer: answers the server's offers, publishes synthetic media,
decodes what it receives and keeps what tests need (counters, PSNR, audio samples)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket

from .analysis import frame_psnr, luma_of, read_counter
from .sources import AUDIO_RATE, CounterVideoTrack, ToneAudioTrack

logger = logging.getLogger(__name__)

AnswerHandler = Callable[[str], Awaitable[None]]


@dataclass
class ReceivedVideo:
    track_id: str
    counters: list[int] = field(default_factory=list)
    psnrs: list[float] = field(default_factory=list)
    corrupt: int = 0
    first_frame_at: float | None = None
    times: list[float] = field(default_factory=list)  # time.monotonic() of each decoded frame

    @property
    def frames(self) -> int:
        return len(self.counters)


@dataclass
class ReceivedAudio:
    track_id: str
    frames: int = 0
    first_frame_at: float | None = None
    last_frame_at: float | None = None  # time.monotonic() of the newest frame
    _chunks: list[np.ndarray] = field(default_factory=list)

    def add(self, samples: np.ndarray) -> None:
        self._chunks.append(samples)
        if len(self._chunks) > 100:  # keep about the last 2 s
            del self._chunks[:-100]

    def last_samples(self, count: int) -> np.ndarray:
        data = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        return data[-count:]

    @property
    def sample_rate(self) -> int:
        return AUDIO_RATE


class LoopbackClient:
    """One seat's browser stand-in. It is a signal sink (`send`) for the server's offers;
    `connect(handle_answer)` wires the answers back (e.g. to `rtc.Peer.handle_answer`).

    `publish` tracks are attached, in order by kind, to the m-lines the server offers to
    receive; by default a counter video and a tone. `by_source` tracks go instead to the
    m-lines the offer names with that source (`answer(sdp, sources)`). `ignore_remb` keeps
    the publisher's bitrate (and so its keyframes) fixed, as keyframe tests need.
    `decode=False` only counts the packets of each received track (`packets`), for cheap
    extra seats. `bundle_policy`: max-bundle unless a test says otherwise (docs/rtc.md).
    """

    def __init__(
        self,
        name: str,
        *,
        publish: Iterable[MediaStreamTrack] | None = None,
        tone_hz: float = 440.0,
        ignore_remb: bool = True,
        measure_psnr: bool = True,
        decode: bool = True,
        by_source: dict[str, MediaStreamTrack] | None = None,
        bundle_policy: RTCBundlePolicy = RTCBundlePolicy.MAX_BUNDLE,
    ) -> None:
        self.name = name
        if publish is None:
            publish = [] if by_source else [ToneAudioTrack(tone_hz), CounterVideoTrack()]
        self.unpublished: list[MediaStreamTrack] = list(publish)
        self.by_source: dict[str, MediaStreamTrack] = dict(by_source or {})
        self.ignore_remb = ignore_remb
        self.measure_psnr = measure_psnr
        self.decode = decode
        self.packets: dict[str, int] = {}  # per received track id, when not decoding
        # max-bundle by default: with aiortc's "balanced" policy a second video m-line created
        # by the same offer as the first keeps a transport that BUNDLE then stops, and its
        # track never flows (the seat signalling's offers never do that: docs/rtc.md).
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=bundle_policy))
        self.video: dict[str, ReceivedVideo] = {}
        self.audio: dict[str, ReceivedAudio] = {}
        self.mid_of: dict[str, str | None] = {}  # received track id -> the mid it came on
        self.offers = 0
        self.created_at = time.monotonic()
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._published: list[MediaStreamTrack] = []
        self.pc.on("track", self._on_track)

    # --- signalling ----------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """The server's signal sink."""
        self._inbox.put_nowait(message)

    def connect(self, handle_answer: AnswerHandler) -> None:
        """Answer each offer from the inbox and hand the answer to `handle_answer`."""
        self._tasks.append(asyncio.ensure_future(self._answer_loop(handle_answer)))

    async def _answer_loop(self, handle_answer: AnswerHandler) -> None:
        while True:
            message = await self._inbox.get()
            if message.get("type") == "offer":
                answer = await self.answer(message["sdp"], message.get("sources"))
                await handle_answer(answer)

    async def answer(self, offer_sdp: str, sources: dict[str, str] | None = None) -> str:
        """Answer an offer; `sources` (mid -> source of the lines to send on) picks the
        `by_source` track for each such line."""
        self.offers += 1
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        for transceiver in self.pc.getTransceivers():
            if transceiver._offerDirection in ("sendonly", "sendrecv") and (
                transceiver.sender.track is None
            ):
                self._attach(transceiver, (sources or {}).get(str(transceiver.mid)))
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        return str(self.pc.localDescription.sdp)

    def _attach(self, transceiver: RTCRtpTransceiver, source: str | None = None) -> None:
        if source is not None and source in self.by_source:
            track = self.by_source.pop(source)
            self._published.append(track)
            transceiver.sender.replaceTrack(track)
            transceiver.direction = "sendonly"
            if self.ignore_remb:
                _ignore_remb(transceiver)
            return
        for track in self.unpublished:
            if track.kind == transceiver.kind:
                self.unpublished.remove(track)
                self._published.append(track)
                transceiver.sender.replaceTrack(track)
                transceiver.direction = "sendonly"
                if self.ignore_remb:
                    _ignore_remb(transceiver)
                return

    # --- receiving -----------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.mid_of[track.id] = next(
            (t.mid for t in self.pc.getTransceivers() if t.receiver.track is track), None
        )
        if not self.decode:
            self._count_packets(track)
            return
        if track.kind == "video":
            video = self.video.setdefault(track.id, ReceivedVideo(track.id))
            self._tasks.append(asyncio.ensure_future(self._consume_video(track, video)))
        else:
            audio = self.audio.setdefault(track.id, ReceivedAudio(track.id))
            self._tasks.append(asyncio.ensure_future(self._consume_audio(track, audio)))

    async def _consume_video(self, track: MediaStreamTrack, video: ReceivedVideo) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                luma = luma_of(frame)
                counter = read_counter(luma)
                if counter is None:
                    video.corrupt += 1
                    continue
                now = time.monotonic()
                if video.first_frame_at is None:
                    video.first_frame_at = now
                video.times.append(now)
                video.counters.append(counter)
                if self.measure_psnr:
                    video.psnrs.append(frame_psnr(luma, counter))

    async def _consume_audio(self, track: MediaStreamTrack, audio: ReceivedAudio) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                audio.last_frame_at = time.monotonic()
                if audio.first_frame_at is None:
                    audio.first_frame_at = audio.last_frame_at
                audio.frames += 1
                samples = frame.to_ndarray().reshape(-1)
                channels = len(frame.layout.channels)
                audio.add(samples[::channels].copy())

    def _count_packets(self, track: MediaStreamTrack) -> None:
        """Count the track's packets instead of decoding them (cheap load peers)."""
        receiver: Any = next(
            t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track
        )
        self.packets[track.id] = 0
        packets = self.packets

        async def count(packet: Any, arrival_time_ms: int) -> None:
            packets[track.id] += 1

        receiver._handle_rtp_packet = count

    def any_video(self) -> ReceivedVideo | None:
        return next(iter(self.video.values()), None)

    def any_audio(self) -> ReceivedAudio | None:
        return next(iter(self.audio.values()), None)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.pc.close()
        for track in self._published + self.unpublished + list(self.by_source.values()):
            track.stop()


def _ignore_remb(transceiver: RTCRtpTransceiver) -> None:
    """Drop REMB at the publishing sender: aiortc's VP8 encoder would make a keyframe at
    each bitrate change, which would hide whether the relay's keyframe request worked."""
    sender: Any = transceiver.sender
    handle = sender._handle_rtcp_packet

    async def handle_rtcp_packet(packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            return
        await handle(packet)

    sender._handle_rtcp_packet = handle_rtcp_packet
