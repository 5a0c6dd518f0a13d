"""Injectable time for rooms: the system clock, an accelerated clock and a manual one for tests."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What rooms ask of time: the current UTC instant and a way to wait until one."""

    def now(self) -> datetime: ...

    async def sleep_until(self, when: datetime) -> None: ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class AcceleratedClock:
    """Time that runs `rate` times faster than the wall clock from `origin` on.

    Lets a test give a meeting a realistic 30-minute slot and watch it end in seconds,
    without sleeping and without touching the slot arithmetic.
    """

    def __init__(self, rate: float, origin: datetime | None = None) -> None:
        if rate <= 0:
            raise ValueError("clock rate must be positive")
        self.rate = rate
        self._origin = origin or datetime.now(UTC)
        self._start = time.monotonic()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._start) * self.rate)

    async def sleep_until(self, when: datetime) -> None:
        delay = (when - self.now()).total_seconds() / self.rate
        if delay > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """Wall-clock time plus jumps: `advance()` moves it forward and wakes the waiters it passes.

    Media and network timings stay real while a test skips a slot's minutes in one call.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = (start - datetime.now(UTC)) if start else timedelta(0)
        self._jumped = asyncio.Event()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    async def sleep_until(self, when: datetime) -> None:
        while (delay := (when - self.now()).total_seconds()) > 0:
            jumped = self._jumped
            try:
                await asyncio.wait_for(jumped.wait(), delay)
            except TimeoutError:
                pass

    async def advance(self, delta: timedelta) -> None:
        self._offset += delta
        jumped, self._jumped = self._jumped, asyncio.Event()
        jumped.set()
        # Let the woken waiters run before the caller looks at their effects.
        for _ in range(5):
            await asyncio.sleep(0)


def isoformat(when: datetime) -> str:
    """UTC time as the signalling messages write it (`...Z`), for board events too."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
