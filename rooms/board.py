"""The organiser's live board feed: room events fanned out to subscribers per mission."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any, Protocol

logger = logging.getLogger(__name__)

END_OF_FEED: dict[str, Any] = {"type": "end"}


class EventBus(Protocol):
    """Live events fanned out by key (a mission's board, a venue's kiosk) to subscribers.

    `BoardBus` is the in-process one; a cluster's reaches the subscribers of every node
    (app/cluster). Publishing never blocks: it is called from the rooms' event paths."""

    def subscribe(self, key: int) -> asyncio.Queue[dict[str, Any]]: ...

    def unsubscribe(self, key: int, queue: asyncio.Queue[dict[str, Any]]) -> None: ...

    def publish(self, key: int, event: dict[str, Any]) -> None: ...

    def subscriber_count(self, key: int) -> int:
        """Subscribers of `key` (on every node of a cluster, as last heard)."""
        ...

    def close(self) -> None:
        """Tell every subscriber the feed ends (service shutdown)."""
        ...

    @property
    def closed(self) -> bool: ...


class BoardBus:
    """Fan-out of board events; a slow subscriber loses its oldest events, never blocks a room."""

    def __init__(self, queue_size: int = 500) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._closed = False

    def subscribe(self, mission_id: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._subscribers[mission_id].add(queue)
        return queue

    def unsubscribe(self, mission_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._subscribers.get(mission_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[mission_id]

    def publish(self, mission_id: int, event: dict[str, Any]) -> None:
        for queue in self._subscribers.get(mission_id, ()):
            if queue.full():
                queue.get_nowait()
                logger.warning("board subscriber of mission %s lags; dropped an event", mission_id)
            queue.put_nowait(event)

    def close(self) -> None:
        """Tell every subscriber the feed ends (service shutdown)."""
        self._closed = True
        for queues in self._subscribers.values():
            for queue in queues:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(dict(END_OF_FEED))

    @property
    def closed(self) -> bool:
        return self._closed

    def subscriber_count(self, mission_id: int) -> int:
        return len(self._subscribers.get(mission_id, ()))

    def counts(self) -> dict[int, int]:
        """Subscribers per key."""
        return {key: len(queues) for key, queues in self._subscribers.items() if queues}
