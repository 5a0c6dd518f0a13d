"""HTTP limits at the edge: a token bucket per client address and a request body size cap.

Both run as one pure ASGI middleware in front of every HTTP route (ASVS 17.3.1: rate limits
on the API; size limits on every request). `/healthz`, `/readyz` and `/metrics` are not rate
limited, so monitoring keeps seeing the truth while a client floods. In a cluster the buckets
are in Redis (app/cluster/limits.py): a client counts the same whichever node it reaches.
Websockets have their own limits (`app/rooms/ws.py`: message size, messages per second).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cluster.base import RateLimiter
from app.rooms.ratelimit import TokenBucket

logger = logging.getLogger(__name__)

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
MAX_CLIENTS = 10_000  # buckets kept at once; the least recently seen client is forgotten first


class ApiRateLimiter:
    """One token bucket per client key; `monotonic` can be swapped for a test clock."""

    def __init__(
        self,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.monotonic = monotonic
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, key: str) -> float | None:
        """None when the request may pass; else the seconds until one token is back."""
        bucket = self._buckets.get(key)
        if bucket is None:
            # The bucket reads the limiter's clock each time, so a swapped clock applies to all.
            bucket = TokenBucket(self.rate, self.burst, lambda: self.monotonic())
            self._buckets[key] = bucket
            if len(self._buckets) > self.max_clients:
                # A forgotten client starts again with a full bucket: bounded memory is worth it.
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        if bucket.take():
            return None
        return bucket.wait_seconds()

    async def check(self, key: str) -> float | None:
        """`take`, as the cluster's RateLimiter protocol asks it (app/cluster/base.py)."""
        return self.take(key)

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(scope: Scope) -> str:
    """The client's address as uvicorn sees it (the proxy's unless --forwarded-allow-ips)."""
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


class LimitsMiddleware:
    """429 with Retry-After above the client's rate; 413 for a body above the size limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] not in UNLIMITED_PATHS:
            limiter: RateLimiter | None = getattr(scope["app"].state, "api_rate_limiter", None)
            if limiter is not None:
                wait = await limiter.check(client_key(scope))
                if wait is not None:
                    seconds = max(1, math.ceil(wait))
                    logger.debug("rate limited %s %s", client_key(scope), scope["path"])
                    await _reply(
                        send,
                        429,
                        {
                            "detail": f"too many requests: slow down and retry after {seconds} s",
                            "retry_after_seconds": seconds,
                        },
                        ((b"retry-after", str(seconds).encode()),),
                    )
                    return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await _reply(send, 413, self._too_large())
            return
        if declared is None and _has_body(scope):
            # A chunked body has no length up front: read it (up to the limit) before the app.
            buffered = await _read_body(receive, self.max_body_bytes)
            if buffered is None:
                await _reply(send, 413, self._too_large())
                return
            receive = _replay(buffered, receive)
        await self.app(scope, receive, send)

    def _too_large(self) -> dict[str, Any]:
        return {
            "detail": f"request body too large: at most {self.max_body_bytes} bytes",
            "limit_bytes": self.max_body_bytes,
        }


def _has_body(scope: Scope) -> bool:
    return scope["method"] not in ("GET", "HEAD", "OPTIONS", "DELETE") or any(
        name == b"transfer-encoding" for name, _ in scope.get("headers", [])
    )


async def _read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, or None once they pass `limit` bytes."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reply(
    send: Send, status: int, content: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
