"""Nodes of a cluster in one process, on the Redis at 127.0.0.1:6379 (a database of the tests'
own, keys under a prefix of the test's own): placement races, capacity, a dead node's meeting
taken over, the rate limit and live events shared by the nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
import redis.asyncio as redis

from app.cluster.redis_cluster import RedisCluster, connect
from app.settings import Settings
from rooms.clock import SystemClock
from rooms.errors import NoCapacity
from tests.live import REDIS_TEST_URL
from tests.waiting import wait_for

DEAD_AFTER_S = 1.0


class SkewedClock(SystemClock):
    """The wall clock of a machine set `offset` away from the others."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + self.offset


@pytest.fixture
async def nodes() -> AsyncIterator[list[RedisCluster]]:
    prefix = f"tbtest-{uuid.uuid4().hex[:10]}"
    made = []
    for name in ("a", "b"):
        settings = Settings(
            environment="test",
            secret_key="cluster-unit-test-secret-key-0123456789",
            redis_url=REDIS_TEST_URL,
            redis_prefix=prefix,
            node_id=name,
            node_url=f"http://{name}.test",
            node_max_rooms=2,
            node_heartbeat_seconds=0.2,
            node_dead_after_seconds=DEAD_AFTER_S,
            api_rate_per_second=0.5,
            api_rate_burst=3,
        )
        node = RedisCluster(settings, SystemClock(), await connect(REDIS_TEST_URL))
        await node.start()
        made.append(node)
    await wait_for(lambda: all(len(node.known_nodes()) == 2 for node in made), 10, "both nodes")
    yield made
    for node in made:
        await node.stop()
    client = redis.Redis.from_url(REDIS_TEST_URL)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_one_meeting_placed_from_both_nodes_at_once_gets_one_node(
    nodes: list[RedisCluster],
) -> None:
    a, b = nodes
    placements = await asyncio.gather(
        *(node.place(7, mission_id=1) for _ in range(10) for node in (a, b))
    )
    assert len({placement.node.id for placement in placements}) == 1
    assert sum(placement.new for placement in placements) == 1


async def test_past_capacity_the_surplus_is_refused_even_when_joins_race(
    nodes: list[RedisCluster],
) -> None:
    a, b = nodes
    results = await asyncio.gather(
        *((a, b)[meeting % 2].place(meeting, mission_id=1) for meeting in range(1, 11)),
        return_exceptions=True,
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, NoCapacity)]
    assert len(placed) == 4 and len(refused) == 6, results
    assert sorted(p.node.id for p in placed) == ["a", "a", "b", "b"]
    assert all(error.retry_after > 0 for error in refused)


async def test_a_dead_nodes_meeting_is_taken_over_knowing_since_when(
    nodes: list[RedisCluster],
) -> None:
    a, b = nodes
    # Node b's machine keeps another time than Redis and node a (a day and nine hours on):
    # the gap is measured by Redis and told on b's own clock, which wrote b's stays.
    b.clock = SkewedClock(timedelta(hours=33))
    first = await a.place(5, mission_id=1)
    assert first.node.id == "a" and first.local
    # Node a stops heart-beating (killed: nothing released).
    assert a._heartbeat is not None
    a._heartbeat.cancel()
    a._heartbeat = None
    stopped = b.clock.now()
    assert (await b.place(5, mission_id=1)).node.id == "a"  # still alive for a while
    async def taken() -> bool:
        return await b.locate(5) is None

    await wait_for(taken, 5 * DEAD_AFTER_S, "a's record to expire", interval=0.05)
    moved = await b.place(5, mission_id=1)
    assert moved.node.id == "b" and moved.new and moved.taken_over_from == "a"
    # a was last heard within a heartbeat (0.2 s) before it stopped, or by a beat already on
    # its way then; told give or take Redis's round trip.
    assert moved.lost_at is not None
    assert stopped - timedelta(seconds=0.5) <= moved.lost_at <= stopped + timedelta(seconds=0.25)


async def test_a_rate_limit_counts_on_every_node(nodes: list[RedisCluster]) -> None:
    a, b = nodes
    key = f"ip:{uuid.uuid4().hex}"
    assert [await a.rate_limiter.check(key) for _ in range(3)] == [None, None, None]
    wait = await b.rate_limiter.check(key)
    assert wait is not None and 0 < wait <= 2.0
    assert await b.rate_limiter.check(f"ip:{uuid.uuid4().hex}") is None


async def test_live_events_and_their_watchers_span_the_nodes(nodes: list[RedisCluster]) -> None:
    a, b = nodes
    queue = b.board_bus.subscribe(42)
    await wait_for(lambda: a.board_bus.subscriber_count(42) == 1, 10, "b's watcher, seen on a")
    event = {"type": "presence", "mission_id": 42, "meeting_id": 1, "seat": "buyer"}

    async def delivered() -> bool:
        a.board_bus.publish(42, event)  # until b's subscription is in place
        try:
            return await asyncio.wait_for(queue.get(), 0.2) == event
        except TimeoutError:
            return False

    await wait_for(delivered, 10, "the event on the other node")
    b.board_bus.unsubscribe(42, queue)
    await wait_for(lambda: a.board_bus.subscriber_count(42) == 0, 10, "the watcher gone")


class OpenRooms:
    """The rooms a node has open, as its room registry would say (set by the test)."""

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def open_meeting_ids(self) -> frozenset[int]:
        return frozenset(self.ids)


async def test_a_room_that_closed_frees_its_place_at_the_next_beat(
    nodes: list[RedisCluster],
) -> None:
    """A meeting placed but not yet open keeps its node's place for the reservation time; once
    its room has opened and closed (ended early, say), the place is free at once."""
    a, b = nodes
    rooms = {"a": OpenRooms(), "b": OpenRooms()}
    for node in nodes:
        node.attach(rooms[node.node_id], node.sampler)  # type: ignore[arg-type]
    placed = [await (a, b)[m % 2].place(m, mission_id=1) for m in range(1, 5)]
    assert sorted(p.node.id for p in placed) == ["a", "a", "b", "b"]
    for node in nodes:  # no room open yet: the reservations hold
        await node.beat()
    with pytest.raises(NoCapacity):
        await b.place(5, mission_id=1)
    for meeting, placement in zip(range(1, 5), placed, strict=True):
        rooms[placement.node.id].ids.add(meeting)
    for node in nodes:
        await node.beat()
    with pytest.raises(NoCapacity):
        await b.place(5, mission_id=1)

    ended = next(m for m, p in zip(range(1, 5), placed, strict=True) if p.node.id == "a")
    rooms["a"].ids.discard(ended)
    await a.beat()
    assert await a.locate(ended) is None
    fifth = await b.place(5, mission_id=1)
    assert fifth.node.id == "a" and fifth.new
