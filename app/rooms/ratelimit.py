"""A token bucket: one seat's signalling messages, one client's API requests."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`rate` messages a second on average, `burst` at once."""

    def __init__(
        self, rate: float, burst: int, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._monotonic = monotonic
        self._last = monotonic()

    def take(self) -> bool:
        now = self._monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def wait_seconds(self) -> float:
        """Seconds until the next `take` can succeed (0 when it can now)."""
        return max(0.0, (1 - self._tokens) / self._rate)
