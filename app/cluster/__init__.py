"""The nodes that run rooms: one process on its own, or a node of a cluster through Redis.

`create_cluster` picks the implementation from the settings: without TRADEBOOTH_REDIS_URL the
embedded default (app/cluster/local.py), with it a node of a cluster
(app/cluster/redis_cluster.py); both answer app/cluster/base.py's `Cluster`. docs/deploy.md
describes running a cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.cluster.base import RateLimiter
    from app.cluster.local import LocalCluster
    from app.settings import Settings
    from rooms.clock import Clock


async def create_cluster(
    settings: Settings, clock: Clock, *, rate_limiter: RateLimiter | None = None
) -> LocalCluster:
    """The cluster this process belongs to (not started: `attach` it, then `start` it).

    `rate_limiter`: the embedded default's API limiter (a cluster's is in Redis)."""
    from app.cluster.local import LocalCluster

    if not settings.redis_url:
        return LocalCluster(settings, clock, rate_limiter=rate_limiter)
    from app.cluster.redis_cluster import RedisCluster, connect

    return RedisCluster(settings, clock, await connect(settings.redis_url))
