"""Audio level of a published track and "is speaking" with hysteresis, without decoding."""

from __future__ import annotations

from .config import RelayConfig

SILENCE_DBOV = -127.0
_SMOOTHING = 0.2  # weight of the newest packet in the moving level


def level_from_opus_size(payload_size: int) -> float:
    """A rough level in dBov from an Opus packet's size, for publishers without RFC 6464.

    Opus at a constant target bitrate spends few bytes on silence (DTX/comfort noise is a
    handful of bytes) and more on speech; this maps 10 bytes or fewer to silence and 80
    bytes or more to -20 dBov. An estimate for speaking detection, not a meter.
    """
    if payload_size <= 10:
        return SILENCE_DBOV
    if payload_size >= 80:
        return -20.0
    return -90.0 + (payload_size - 10) * 1.0


class SpeakingDetector:
    """Smooths packet levels; speaking turns on above one threshold and off below a lower
    one held for a while, so short pauses between words do not flicker."""

    def __init__(self, config: RelayConfig) -> None:
        self._on = config.speaking_on_dbov
        self._off = config.speaking_off_dbov
        self._hold = config.speaking_hold_s
        self.level_dbov = SILENCE_DBOV
        self.speaking = False
        self._quiet_since: float | None = None

    def feed(self, level_dbov: float, now: float) -> bool:
        """Take one packet's level; True if `speaking` changed."""
        self.level_dbov += _SMOOTHING * (level_dbov - self.level_dbov)
        if not self.speaking:
            if self.level_dbov >= self._on:
                self.speaking = True
                self._quiet_since = None
                return True
            return False
        if self.level_dbov >= self._off:
            self._quiet_since = None
            return False
        if self._quiet_since is None:
            self._quiet_since = now
        elif now - self._quiet_since >= self._hold:
            self.speaking = False
            self._quiet_since = None
            return True
        return False
