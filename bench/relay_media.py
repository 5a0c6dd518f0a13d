"""Pre-encoded media for the relay benchmark: encode once, replay the packets cheaply.

Video: 640x480 VP8 at ~500 kbps (aiortc's encoder settings), a delta chain starting with a
keyframe plus a keyframe version of every frame, so a replaying publisher can answer a
keyframe request (PLI) at once. Audio: a tone in 20 ms Opus packets.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamTrack

WIDTH, HEIGHT, FPS = 640, 480, 30
BITRATE = 500_000
VIDEO_CLOCK = 90000
AUDIO_RATE = 48000
OPUS_SAMPLES = 960


@dataclass
class EncodedMedia:
    video: list[bytes]  # delta chain; video[0] is a keyframe
    keyframes: list[bytes]  # keyframes[i]: frame i encoded as a keyframe
    audio: list[bytes]  # Opus packets of 20 ms


def _vp8_context(bitrate: int) -> Any:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = WIDTH, HEIGHT
    codec.bit_rate = bitrate
    codec.pix_fmt = "yuv420p"
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    codec.options = {
        "bufsize": str(bitrate),
        "cpu-used": "-6",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "noise-sensitivity": "4",
        "overshoot-pct": "15",
        "partitions": "0",
        "static-thresh": "1",
        "undershoot-pct": "100",
    }
    return codec


_YY, _XX = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
_COS_Y = np.cos(2 * math.pi * _YY / 90)
_BLOCKS = (_YY // 40 + _XX // 40).astype(np.int32)


def _picture(index: int) -> av.VideoFrame:
    phase = 2 * math.pi * index / 60
    luma = 128 + 60 * np.sin(2 * math.pi * _XX / 120 + phase) * _COS_Y
    luma[(_BLOCKS + index // 10) % 7 == 0] += 30  # some moving edges
    planes = np.vstack(
        [np.clip(luma, 0, 255).astype(np.uint8), np.full((HEIGHT // 2, WIDTH), 128, np.uint8)]
    )
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    frame.pts = index
    frame.time_base = fractions.Fraction(1, FPS)
    return frame


def encode(seconds: float = 5.0, tone_hz: float = 440.0, bitrate: int = BITRATE) -> EncodedMedia:
    delta, key = _vp8_context(bitrate), _vp8_context(bitrate)
    video: list[bytes] = []
    keyframes: list[bytes] = []
    for index in range(int(seconds * FPS)):
        frame = _picture(index)
        video.append(b"".join(bytes(p) for p in delta.encode(frame)))
        frame = _picture(index)
        frame.pict_type = av.video.frame.PictureType.I
        keyframes.append(b"".join(bytes(p) for p in key.encode(frame)))

    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate = AUDIO_RATE
    opus.layout = "stereo"
    opus.format = "s16"
    opus.bit_rate = 96000
    audio: list[bytes] = []
    total = int(seconds * AUDIO_RATE)
    for start in range(0, total, OPUS_SAMPLES):
        t = (np.arange(OPUS_SAMPLES) + start) / AUDIO_RATE
        wave = (0.3 * 32767 * np.sin(2 * math.pi * tone_hz * t)).astype(np.int16)
        sound = av.AudioFrame.from_ndarray(
            np.repeat(wave, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        sound.sample_rate = AUDIO_RATE
        sound.pts = start
        audio += [bytes(p) for p in opus.encode(sound)]
    return EncodedMedia(video=video, keyframes=keyframes, audio=audio)


def cached(seconds: float = 4.0, bitrate: int = BITRATE) -> Path:
    """The encoded media in a file, encoded on the first run only (it takes a while)."""
    name = f"tradebooth-relay-media-v1-{WIDTH}x{HEIGHT}-{seconds}"
    if bitrate != BITRATE:
        name += f"-{bitrate // 1000}k"
    path = Path(tempfile.gettempdir()) / f"{name}.pkl"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(encode(seconds, bitrate=bitrate)))
        partial.replace(path)
    return path


def packets_per_second(media: EncodedMedia) -> float:
    """RTP packets one publisher sends per second (video as aiortc packetizes it + audio)."""
    video = sum(len(Vp8Encoder._packetize(frame, 0)) for frame in media.video)
    return video / len(media.video) * FPS + AUDIO_RATE / OPUS_SAMPLES


def load(path: Path) -> EncodedMedia:
    media = pickle.loads(path.read_bytes())
    assert isinstance(media, EncodedMedia)
    return media


class Paced(MediaStreamTrack):
    """A track whose frames come at a fixed interval from its first one (no drift)."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self._interval = interval
        self._index = 0
        self._start: float | None = None

    async def _tick(self) -> int:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._index * self._interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        index = self._index
        self._index += 1
        return index


class ReplayVideoTrack(Paced):
    """Replays the VP8 delta chain in a loop; `request_keyframe()` makes the next frame a
    keyframe (wired to the sender's PLI handling)."""

    kind = "video"

    def __init__(self, media: EncodedMedia) -> None:
        super().__init__(1 / FPS)
        self._media = media
        self._keyframe_wanted = False

    def request_keyframe(self) -> None:
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet[Any]:
        index = await self._tick()
        position = index % len(self._media.video)
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            data = self._media.keyframes[position]
        else:
            data = self._media.video[position]
        packet = av.Packet(data)
        packet.pts = index * (VIDEO_CLOCK // FPS)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return packet


class ReplayAudioTrack(Paced):
    kind = "audio"

    def __init__(self, media: EncodedMedia) -> None:
        super().__init__(OPUS_SAMPLES / AUDIO_RATE)
        self._media = media

    async def recv(self) -> av.Packet[Any]:
        index = await self._tick()
        packet = av.Packet(self._media.audio[index % len(self._media.audio)])
        packet.pts = index * OPUS_SAMPLES
        packet.time_base = fractions.Fraction(1, AUDIO_RATE)
        return packet
