"""Server-sent event feeds: the organiser's live board and the booth kiosk's events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import StreamingResponse

# A comment after this long without an event keeps proxies from closing an idle feed.
KEEPALIVE_SECONDS = 15.0
# A feed ends after this long and the browser's EventSource reconnects (to a fresh first
# event): uvicorn waits for open responses before it shuts down, and a feed never ends by
# itself.
STREAM_SECONDS = 60.0
RETRY_MS = 1000


def frame(event: dict[str, Any]) -> str:
    """One event as its text on the wire, named by its `type`."""
    return f"event: {event['type']}\ndata: {json.dumps(event, default=str)}\n\n"


def feed(
    first: dict[str, Any],
    queue: asyncio.Queue[dict[str, Any]],
    *,
    on_end: Callable[[], None],
) -> StreamingResponse:
    """Stream `first`, then each event from `queue` until one of type "end" or the feed's
    time is up; `on_end` runs however the stream stops (unsubscribe the queue there)."""
    seconds = STREAM_SECONDS

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + seconds
        try:
            yield f"retry: {RETRY_MS}\n\n"
            yield frame(first)
            while (left := ends - loop.time()) > 0:
                try:
                    event = await asyncio.wait_for(queue.get(), min(left, KEEPALIVE_SECONDS))
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event["type"] == "end":
                    return
                yield frame(event)
        finally:
            on_end()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
