"""Reading received media back: the frame counter, PSNR, the dominant audio frequency."""

from __future__ import annotations

import math
from collections.abc import Iterable

import av
import numpy as np

from .sources import BLOCK, COUNTER_BITS, COUNTER_X, HEIGHT, WIDTH, make_luma


def luma_of(frame: av.VideoFrame) -> np.ndarray:
    array = frame.to_ndarray(format="yuv420p")
    return array[: frame.height, : frame.width]


def read_counter(luma: np.ndarray) -> int | None:
    """The counter drawn by `make_luma`, or None if the two copies disagree (corrupt)."""
    if luma.shape != (HEIGHT, WIDTH):
        return None
    value = 0
    for bit in range(COUNTER_BITS):
        x = COUNTER_X + bit * BLOCK
        top = luma[4 : BLOCK - 4, x + 4 : x + BLOCK - 4].mean()
        bottom = luma[BLOCK + 4 : 2 * BLOCK - 4, x + 4 : x + BLOCK - 4].mean()
        if (top > 128) == (bottom > 128):
            return None
        if top > 128:
            value |= 1 << bit
    return value


def psnr(reference: np.ndarray, received: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of 8-bit planes (inf when identical)."""
    error = np.mean((reference.astype(np.float64) - received.astype(np.float64)) ** 2)
    return math.inf if error == 0 else 10.0 * math.log10(255.0**2 / error)


def frame_psnr(luma: np.ndarray, counter: int) -> float:
    """PSNR of a received luma plane against the source frame with the same counter."""
    return psnr(make_luma(counter), luma)


def tones_present(
    samples: np.ndarray,
    sample_rate: int,
    candidates: Iterable[float],
    *,
    threshold: float = 0.1,
    min_amplitude: float = 1000.0,
) -> set[float]:
    """The candidate tones present in a block of mono samples: those whose spectral peak
    (within 15 Hz) reaches `threshold` of the block's strongest peak. Nothing from a block
    quieter than `min_amplitude` (int16 scale), so silence shows no tone at all."""
    data = samples.astype(np.float64)
    if len(data) == 0 or np.abs(data).max() < min_amplitude:
        return set()
    data -= data.mean()
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    bin_hz = sample_rate / len(data)
    strongest = spectrum.max()
    present = set()
    for tone in candidates:
        low = max(0, int((tone - 15) / bin_hz))
        high = int((tone + 15) / bin_hz) + 1
        if spectrum[low:high].max(initial=0.0) >= threshold * strongest:
            present.add(tone)
    return present


def dominant_frequency(samples: np.ndarray, sample_rate: int) -> float:
    """The strongest frequency (Hz) in a block of mono samples (Hann window, rFFT)."""
    data = samples.astype(np.float64)
    data -= data.mean()
    spectrum = np.abs(np.fft.rfft(data * np.hanning(len(data))))
    return float(np.argmax(spectrum) * sample_rate / len(data))
