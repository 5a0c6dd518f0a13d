"""Synthetic media sources: VP8-friendly video with a frame counter drawn in, and a tone."""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

WIDTH = 320
HEIGHT = 240
FPS = 30
VIDEO_CLOCK_RATE = 90000
AUDIO_RATE = 48000
AUDIO_PTIME = 0.020
COUNTER_BITS = 16
BLOCK = 16  # counter bits are 16x16 blocks, aligned to VP8 macroblocks
COUNTER_X = 32
LOW, HIGH = 40, 215

_yy, _xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)


def make_luma(counter: int) -> np.ndarray:
    """The luma plane of frame `counter`: a slowly moving smooth pattern, and the counter
    drawn twice (bits, then inverted bits) as 16x16 blocks in the top two block rows."""
    phase = 2.0 * math.pi * counter / 90.0
    pattern = 128.0 + 50.0 * np.sin(2 * math.pi * _xx / 96.0 + phase) * np.cos(
        2 * math.pi * _yy / 72.0
    )
    luma: np.ndarray = pattern.astype(np.uint8)
    for bit in range(COUNTER_BITS):
        on = (counter >> bit) & 1
        x = COUNTER_X + bit * BLOCK
        luma[0:BLOCK, x : x + BLOCK] = HIGH if on else LOW
        luma[BLOCK : 2 * BLOCK, x : x + BLOCK] = LOW if on else HIGH
    return luma


def make_frame(counter: int) -> av.VideoFrame:
    luma = make_luma(counter)
    chroma = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")
    return frame


class CounterVideoTrack(MediaStreamTrack):
    """30 fps video whose frame n shows the number n (see `make_luma`)."""

    kind = "video"

    def __init__(self, *, start: int = 0) -> None:
        super().__init__()
        self.counter = start
        self._first = start
        self._start: float | None = None

    async def recv(self) -> av.VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        index = self.counter
        wait = self._start + (index - self._first) / FPS - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        frame = make_frame(index)
        frame.pts = int(index * VIDEO_CLOCK_RATE / FPS)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        self.counter += 1
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A sine tone, 48 kHz mono s16 in 20 ms frames."""

    kind = "audio"

    def __init__(self, frequency_hz: float = 440.0, amplitude: float = 0.3) -> None:
        super().__init__()
        self.frequency_hz = frequency_hz
        self.amplitude = amplitude
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        samples = int(AUDIO_RATE * AUDIO_PTIME)
        wait = self._start + self._samples / AUDIO_RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(samples) + self._samples) / AUDIO_RATE
        wave = (self.amplitude * 32767 * np.sin(2 * math.pi * self.frequency_hz * t)).astype(
            np.int16
        )
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._samples
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._samples += samples
        return frame
