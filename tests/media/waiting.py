"""Waiting on a condition with a deadline, instead of sleeping and hoping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def wait_for(
    predicate: Callable[[], object],
    timeout: float,  # noqa: ASYNC109 - a deadline for polling, not for a single await
    *,
    what: str = "",
    interval: float = 0.01,
) -> float:
    """Poll `predicate` until truthy; return the seconds it took; AssertionError on timeout."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(interval)
