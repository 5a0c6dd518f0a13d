"""Live events across nodes: Redis pub/sub under the in-process fan-out of rooms/board.py.

A node publishes to its own subscribers at once and to Redis through one ordered outbox, so a
room's events reach another node's board in the order the room made them. A node listens to
a key's channel only while one of its clients watches that key (a board, a kiosk). Pub/sub
keeps nothing: a board that connects starts from a snapshot (app/cluster/redis_cluster.py
gathers it from every node), then follows the events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis

from rooms.board import BoardBus

logger = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
OUTBOX_SIZE = 10_000
BATCH = 200  # messages sent in one pipeline
RECONNECT_SECONDS = 0.5


class Channels:
    """One pub/sub connection for every channel this node listens on."""

    def __init__(self, client: redis.Redis) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._handlers: dict[str, Handler] = {}
        self._commands: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, channel: str, handler: Handler) -> None:
        """Subscribe to a first channel (pub/sub reads need one), then keep reading."""
        self._handlers[channel] = handler
        await self._pubsub.subscribe(channel)
        self._tasks = [
            asyncio.create_task(self._read(), name="cluster-pubsub-read"),
            asyncio.create_task(self._apply(), name="cluster-pubsub-subscribe"),
        ]

    def listen(self, channel: str, handler: Handler) -> None:
        self._handlers[channel] = handler
        self._commands.put_nowait(("subscribe", channel))

    def unlisten(self, channel: str) -> None:
        self._handlers.pop(channel, None)
        self._commands.put_nowait(("unsubscribe", channel))

    async def _apply(self) -> None:
        while True:
            action, channel = await self._commands.get()
            # The latest wish wins: a channel listened to again before this ran stays.
            wanted = channel in self._handlers
            try:
                if action == "subscribe" and wanted:
                    await self._pubsub.subscribe(channel)
                elif action == "unsubscribe" and not wanted:
                    await self._pubsub.unsubscribe(channel)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                logger.warning("pub/sub %s %s failed: %s", action, channel, exc)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                # redis-py subscribes again to every channel once it reconnects.
                logger.warning("pub/sub connection lost: %s", exc)
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            if message is None or message.get("type") != "message":
                continue
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            handler = self._handlers.get(name)
            if handler is None:
                continue
            try:
                handler(name, message["data"])
            except Exception:  # one bad message must not stop the node's listening
                logger.exception("pub/sub message on %s failed", name)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()


class RedisEventBus:
    """An `EventBus` (rooms/board.py) whose keys span every node."""

    def __init__(
        self,
        name: str,
        *,
        client: redis.Redis,
        channels: Channels,
        node_id: str,
        prefix: str,
        remote_subscribers: Callable[[str, int], int],
        queue_size: int = 500,
    ) -> None:
        self.name = name
        self._client = client
        self._channels = channels
        self._node_id = node_id
        self._prefix = f"{prefix}:bus:{name}:"
        self._remote_subscribers = remote_subscribers
        self._local = BoardBus(queue_size)
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(OUTBOX_SIZE)
        self._publisher: asyncio.Task[None] | None = None

    def _channel(self, key: int) -> str:
        return f"{self._prefix}{key}"

    def start(self) -> None:
        if self._publisher is None:
            self._publisher = asyncio.create_task(self._publish(), name=f"bus-{self.name}")

    async def stop(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
            self._publisher = None

    # -- EventBus ------------------------------------------------------------------------------

    def subscribe(self, key: int) -> asyncio.Queue[dict[str, Any]]:
        first = not self._local.subscriber_count(key)
        queue = self._local.subscribe(key)
        if first:
            self._channels.listen(self._channel(key), self._received)
        return queue

    def unsubscribe(self, key: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._local.unsubscribe(key, queue)
        if not self._local.subscriber_count(key):
            self._channels.unlisten(self._channel(key))

    def publish(self, key: int, event: dict[str, Any]) -> None:
        self._local.publish(key, event)
        payload = json.dumps({"node": self._node_id, "event": event}, default=str)
        if self._outbox.full():
            self._outbox.get_nowait()
            logger.warning(
                "bus %s: Redis is behind; dropped an event for the other nodes", self.name
            )
        self._outbox.put_nowait((self._channel(key), payload))

    def subscriber_count(self, key: int) -> int:
        return self._local.subscriber_count(key) + self._remote_subscribers(self.name, key)

    def local_counts(self) -> dict[int, int]:
        """Subscribers per key on this node (reported in its heartbeat)."""
        return self._local.counts()

    def close(self) -> None:
        self._local.close()

    @property
    def closed(self) -> bool:
        return self._local.closed

    # -- Redis ---------------------------------------------------------------------------------

    def _received(self, channel: str, data: bytes) -> None:
        message = json.loads(data)
        if message.get("node") == self._node_id:
            return  # delivered here when it was published
        self._local.publish(int(channel.removeprefix(self._prefix)), message["event"])

    async def _publish(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while len(batch) < BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, payload in batch:
                        pipe.publish(channel, payload)
                    await pipe.execute()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                logger.warning(
                    "bus %s: %d events not sent to Redis: %s", self.name, len(batch), exc
                )
                await asyncio.sleep(RECONNECT_SECONDS)
