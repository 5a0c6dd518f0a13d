"""Pre-encoded media profiles for `bench.load`: VP8 video and Opus audio encoded once (cached in
the temp folder) and replayed by the load seats, so the load generator spends no CPU on
encoding. `full` is a booth camera as aiortc sends it (640x480, 30 fps, ~500 kbps; Opus in
20 ms packets, as bench/relay_media.py); `light` (320x240, 15 fps, ~150 kbps; Opus in 60 ms
packets) sends about a third of the packets, for machines whose cores the load generator
would otherwise starve."""

from __future__ import annotations

import fractions
import math
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from .relay_media import Paced

VIDEO_CLOCK = 90000
AUDIO_RATE = 48000


@dataclass(frozen=True)
class Profile:
    name: str
    width: int
    height: int
    fps: int
    kbps: int
    audio_ms: int


PROFILES = {
    "full": Profile("full", 640, 480, 30, 500, 20),
    "light": Profile("light", 320, 240, 15, 150, 60),
}


@dataclass
class Encoded:
    profile: Profile
    video: list[bytes]  # delta chain; video[0] is a keyframe
    keyframes: list[bytes]  # keyframes[i]: frame i encoded as a keyframe
    audio: list[bytes]


def _vp8(profile: Profile) -> Any:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = profile.width, profile.height
    codec.bit_rate = profile.kbps * 1000
    codec.pix_fmt = "yuv420p"
    codec.framerate = fractions.Fraction(profile.fps, 1)
    codec.time_base = fractions.Fraction(1, profile.fps)
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    codec.options = {"cpu-used": "-6", "deadline": "realtime", "lag-in-frames": "0"}
    return codec


def _picture(profile: Profile, index: int) -> av.VideoFrame:
    yy, xx = np.mgrid[0 : profile.height, 0 : profile.width].astype(np.float32)
    phase = 2 * math.pi * index / 60
    luma = 128 + 60 * np.sin(2 * math.pi * xx / 120 + phase) * np.cos(2 * math.pi * yy / 90)
    luma[((yy // 40 + xx // 40).astype(np.int32) + index // 10) % 7 == 0] += 30
    planes = np.vstack(
        [
            np.clip(luma, 0, 255).astype(np.uint8),
            np.full((profile.height // 2, profile.width), 128, np.uint8),
        ]
    )
    frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
    frame.pts = index
    frame.time_base = fractions.Fraction(1, profile.fps)
    return frame


def encode(profile: Profile, seconds: float = 4.0, tone_hz: float = 440.0) -> Encoded:
    delta, key = _vp8(profile), _vp8(profile)
    video: list[bytes] = []
    keyframes: list[bytes] = []
    for index in range(int(seconds * profile.fps)):
        video.append(b"".join(bytes(p) for p in delta.encode(_picture(profile, index))))
        frame = _picture(profile, index)
        frame.pict_type = av.video.frame.PictureType.I
        keyframes.append(b"".join(bytes(p) for p in key.encode(frame)))
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate = AUDIO_RATE
    opus.layout = "stereo"
    opus.format = "s16"
    opus.bit_rate = 64000
    opus.options = {"frame_duration": str(profile.audio_ms)}
    samples = AUDIO_RATE * profile.audio_ms // 1000
    audio: list[bytes] = []
    for start in range(0, int(seconds * AUDIO_RATE), samples):
        t = (np.arange(samples) + start) / AUDIO_RATE
        wave = (0.3 * 32767 * np.sin(2 * math.pi * tone_hz * t)).astype(np.int16)
        sound = av.AudioFrame.from_ndarray(
            np.repeat(wave, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        sound.sample_rate = AUDIO_RATE
        sound.pts = start
        audio += [bytes(p) for p in opus.encode(sound)]
    return Encoded(profile, video, keyframes, audio)


def cached(profile: Profile) -> Path:
    """The profile's media in a file, encoded on first use."""
    path = Path(tempfile.gettempdir()) / f"tradebooth-load-media-v1-{profile.name}.pkl"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(pickle.dumps(encode(profile)))
        partial.replace(path)
    return path


def load(path: Path) -> Encoded:
    media = pickle.loads(path.read_bytes())
    assert isinstance(media, Encoded)
    return media


class ReplayVideo(Paced):
    """The VP8 delta chain in a loop; `request_keyframe()` makes the next frame a keyframe."""

    kind = "video"

    def __init__(self, media: Encoded) -> None:
        super().__init__(1 / media.profile.fps)
        self._media = media
        self._keyframe_wanted = False

    def request_keyframe(self) -> None:
        self._keyframe_wanted = True

    async def recv(self) -> av.Packet[Any]:
        index = await self._tick()
        position = index % len(self._media.video)
        data = self._media.video[position]
        if self._keyframe_wanted:
            self._keyframe_wanted = False
            data = self._media.keyframes[position]
        packet = av.Packet(data)
        packet.pts = index * (VIDEO_CLOCK // self._media.profile.fps)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return packet


class ReplayAudio(Paced):
    kind = "audio"

    def __init__(self, media: Encoded) -> None:
        super().__init__(media.profile.audio_ms / 1000)
        self._media = media
        self._samples = AUDIO_RATE * media.profile.audio_ms // 1000

    async def recv(self) -> av.Packet[Any]:
        index = await self._tick()
        packet = av.Packet(self._media.audio[index % len(self._media.audio)])
        packet.pts = index * self._samples
        packet.time_base = fractions.Fraction(1, AUDIO_RATE)
        return packet
