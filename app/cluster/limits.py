"""The API rate limit shared by every node: one token bucket per client key, kept in Redis.

The bucket is a Lua script (app/cluster/scripts.py), so requests from one client through
different nodes count against one limit. When Redis does not answer, requests pass (logged):
a rate limit is not worth refusing every API call of a mission for.
"""

from __future__ import annotations

import logging

import redis.asyncio as redis

from app.cluster.scripts import TOKEN_BUCKET

logger = logging.getLogger(__name__)


class RedisRateLimiter:
    """`rate` requests a second per key on average, `burst` at once, cluster-wide."""

    def __init__(self, client: redis.Redis, *, prefix: str, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._prefix = f"{prefix}:rate:"
        self._script = client.register_script(TOKEN_BUCKET)

    async def check(self, key: str) -> float | None:
        try:
            wait = float(
                await self._script(keys=[self._prefix + key], args=[self.rate, self.burst])
            )
        except (redis.RedisError, OSError) as exc:
            logger.warning("rate limit not checked (Redis: %s); letting %s pass", exc, key)
            return None
        return wait if wait > 0 else None
