"""The service's one clock: every "now" in app/ comes from it, and a test or the demo sets it.

`create_app(settings, clock=...)` puts the clock on `app.state.clock`; routes take it as
`ClockDep` and pass `clock.now()` down. Code without a request at hand (column defaults,
the audit log) reads `now()`, which answers from the clock of the app it runs in: a pure
ASGI middleware sets it for each request and websocket, and the lifespan sets it for the
background jobs it starts (tasks inherit it). Outside any app it is the system clock.
"""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from rooms.clock import Clock, SystemClock

SYSTEM_CLOCK: Clock = SystemClock()
_current: ContextVar[Clock] = ContextVar("tradebooth_clock", default=SYSTEM_CLOCK)


def now() -> datetime:
    """The current UTC instant by the clock in force here."""
    return _current.get().now()


def current() -> Clock:
    return _current.get()


@contextmanager
def using(clock: Clock) -> Iterator[None]:
    """Make `clock` the clock of this context (and of the tasks it starts)."""
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)


class ClockMiddleware:
    """Every request and websocket of the app runs with the app's clock in force."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with using(self.clock):
            await self.app(scope, receive, send)


def get_clock(connection: HTTPConnection) -> Clock:
    clock: Clock = connection.app.state.clock
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]


def tolerate_libfaketime() -> None:
    """Let the process run under libfaketime, to rehearse a mission day at another hour
    (`FAKETIME_DONT_FAKE_MONOTONIC=1 faketime '2026-12-08 23:40:00' make run`, or the whole
    suite): Debian's libfaketime 0.9.10 makes `time.sleep` fail with EINVAL (it mangles the
    absolute monotonic deadline of clock_nanosleep), and `subprocess.Popen.wait(timeout=...)`
    sleeps with it. Only then is it replaced, by a relative wait libfaketime leaves alone."""
    try:
        time.sleep(0)
    except OSError:
        time.sleep = _relative_sleep  # type: ignore[assignment]


def _relative_sleep(seconds: float) -> None:
    select.select([], [], [], max(0.0, seconds))
