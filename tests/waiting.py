"""Waiting on a condition with a deadline, instead of sleeping and hoping."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_for(
    predicate: Callable[[], object | Awaitable[object]],
    timeout: float,  # noqa: ASYNC109 - a deadline for polling, not for a single await
    what: str = "",
    *,
    interval: float = 0.01,
) -> float:
    """Poll `predicate` (plain or async) until truthy; return the seconds it took.

    AssertionError naming `what` once `timeout` seconds pass without it."""
    start = time.monotonic()
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(interval)


def wait_until(
    predicate: Callable[[], T], timeout: float, what: str = "", *, interval: float = 0.05
) -> T:
    """The blocking twin of `wait_for`, for sync tests: the truthy value `predicate` gave."""
    deadline = time.monotonic() + timeout
    last: T = predicate()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what or predicate} (last: {last!r})"
            )
        time.sleep(interval)
        last = predicate()
    return last
