"""A node of a cluster, its shared state in Redis (LiveKit's RedisRouter over its LocalRouter).

Every node runs the whole service and some of the rooms. Each heartbeat, a node writes its
record and load, renews the leases of the meetings it holds and learns the others' records
(app/cluster/scripts.py says what is kept where). A meeting's room is placed on one node by
an atomic claim; its seats' signalling goes to that node (the join response and a redirect
say where). A node that stops heart-beating is dead after `node_dead_after_seconds`: the
next seat of each of its meetings places it again on a live node. What the board and the
organiser's controls need of rooms on other nodes goes through a small request/reply over
pub/sub (one channel per node).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as redis

from app.cluster.base import DRAINING, SERVING, NodeRecord, Placement, Refusal
from app.cluster.events import Channels, RedisEventBus
from app.cluster.limits import RedisRateLimiter
from app.cluster.local import REFUSAL_MEMORY_SECONDS, LocalCluster
from app.cluster.scripts import CLAIM, HEARTBEAT, LOCATE, RELEASE
from app.cluster.selector import rank
from app.settings import Settings
from rooms.clock import Clock
from rooms.errors import NoCapacity, RoomElsewhere, ServerShuttingDown
from rooms.seats import Seat

logger = logging.getLogger(__name__)

RPC_TIMEOUT_SECONDS = 3.0
CONNECT_ATTEMPTS = 20


class RpcFailed(Exception):
    """Another node answered a request with an error."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _record(node_id: str, fields: dict[Any, Any], rooms: int) -> NodeRecord:
    data = {_text(key): _text(value) for key, value in fields.items()}
    subscribers = {
        bus: {int(key): int(count) for key, count in counts.items()}
        for bus, counts in json.loads(data.get("subscribers", "{}")).items()
    }
    return NodeRecord(
        id=node_id,
        url=data.get("url", ""),
        boot=data.get("boot", ""),
        state=data.get("state", SERVING),
        max_rooms=int(data.get("max_rooms", 0)),
        max_cpu=float(data.get("max_cpu", 0)),
        rooms=rooms,
        open_rooms=int(data.get("open_rooms", 0)),
        seats=int(data.get("seats", 0)),
        cpu=float(data.get("cpu", 0)),
        packets_in_per_s=float(data.get("packets_in_per_s", 0)),
        packets_out_per_s=float(data.get("packets_out_per_s", 0)),
        loop_lag_s=float(data.get("loop_lag_s", 0)),
        updated_at=int(data.get("updated", 0)) / 1000,
        pid=int(data.get("pid", 0)),
        subscribers=subscribers,
    )


async def connect(url: str) -> redis.Redis:
    """A client on `url`, once Redis answers (a node must not serve without its cluster)."""
    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            await client.ping()
            return client
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if attempt == CONNECT_ATTEMPTS - 1:
                await client.aclose()
                raise RuntimeError(f"Redis at {url} does not answer: {exc}") from exc
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


class RedisCluster(LocalCluster):
    """This process as one node of a cluster whose shared state is in Redis."""

    def __init__(self, settings: Settings, clock: Clock, client: redis.Redis) -> None:
        super().__init__(settings, clock)
        self.redis = client
        self.prefix = prefix = settings.redis_prefix
        self.channels = Channels(client)
        self.board_bus = self._board_bus = RedisEventBus(
            "board",
            client=client,
            channels=self.channels,
            node_id=self.node_id,
            prefix=prefix,
            remote_subscribers=self._remote_subscribers,
        )
        self.kiosk_bus = self._kiosk_bus = RedisEventBus(
            "kiosk",
            client=client,
            channels=self.channels,
            node_id=self.node_id,
            prefix=prefix,
            remote_subscribers=self._remote_subscribers,
            queue_size=50,
        )
        self.rate_limiter = RedisRateLimiter(
            client, prefix=prefix, rate=settings.api_rate_per_second, burst=settings.api_rate_burst
        )
        self._claim = client.register_script(CLAIM)
        self._locate = client.register_script(LOCATE)
        self._heartbeat_script = client.register_script(HEARTBEAT)
        self._release = client.register_script(RELEASE)
        self._peers: dict[str, NodeRecord] = {}  # the other live nodes, as of the last beat
        self._placed_here = 0
        self._leader: str | None = None
        self._state = SERVING
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._answering: set[asyncio.Task[None]] = set()

    def _key(self, *parts: object) -> str:
        return ":".join([self.prefix, *map(str, parts)])

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.channels.start(self._key("rpc", self.node_id), self._on_rpc)
        self._board_bus.start()
        self._kiosk_bus.start()
        await super().start()
        logger.info(
            "node %s (%s) joined the cluster at %s: %d nodes",
            self.node_id,
            self.node.url,
            self.settings.redis_url,
            1 + len(self._peers),
        )

    async def drain(self) -> None:
        """Take no new room and free this node's meetings (shutting down): their seats, told
        to come back, are placed on the other nodes at once."""
        self._state = DRAINING
        try:
            await self._release(args=[self.prefix, self.node_id, self.boot])
        except (redis.RedisError, OSError) as exc:
            logger.warning("node %s: could not release its meetings: %s", self.node_id, exc)

    async def stop(self) -> None:
        await super().stop()
        await self.drain()
        await self._board_bus.stop()
        await self._kiosk_bus.stop()
        await self.channels.stop()
        for task in list(self._answering):
            task.cancel()
        await self.redis.aclose()

    # -- heartbeat -------------------------------------------------------------------------------

    def _fields(self) -> list[str]:
        node = self.node
        subscribers = {
            "board": self._board_bus.local_counts(),
            "kiosk": self._kiosk_bus.local_counts(),
        }
        values: dict[str, object] = {
            "url": node.url,
            "state": self._state,
            "max_rooms": node.max_rooms,
            "max_cpu": node.max_cpu,
            "open_rooms": node.open_rooms,
            "seats": node.seats,
            "cpu": round(node.cpu, 4),
            "packets_in_per_s": round(node.packets_in_per_s, 1),
            "packets_out_per_s": round(node.packets_out_per_s, 1),
            "loop_lag_s": round(node.loop_lag_s, 4),
            "pid": os.getpid(),
            "subscribers": json.dumps(subscribers),
        }
        return [str(item) for pair in values.items() for item in pair]

    async def beat(self) -> None:
        await super().beat()
        if self._state == DRAINING:
            return
        fields = self._fields()
        settings = self.settings
        result = await self._heartbeat_script(
            args=[
                self.prefix,
                self.node_id,
                self.boot,
                int(settings.node_dead_after_seconds * 1000),
                self._lease_ms,
                int(settings.node_reservation_seconds * 1000),
                len(fields),
                *fields,
                *sorted(self._open_ids()),
            ]
        )
        self._leader = _text(result[0])
        await self._refresh_peers()
        for meeting_id in (int(_text(m)) for m in result[1:]):
            await self._give_up(meeting_id)

    @property
    def _lease_ms(self) -> int:
        # A placement outlives its dead owner (whose death its record's expiry tells) long
        # enough for the next node to take it over knowing from whom and since when.
        settings = self.settings
        return int((settings.node_reservation_seconds + settings.node_dead_after_seconds) * 1000)

    async def _give_up(self, meeting_id: int) -> None:
        """Another node holds this meeting now (this one was taken for dead): its seats go
        there, told where."""
        owner = await self.locate(meeting_id)
        logger.warning(
            "meeting %s: placed on %s while its room ran here; closing it here",
            meeting_id,
            owner.id if owner else "no node",
        )
        error = RoomElsewhere(owner.websocket_url(meeting_id)) if owner else ServerShuttingDown()
        await self.local_close(meeting_id, error)

    async def _refresh_peers(self) -> None:
        ids = sorted(_text(i) for i in await self.redis.smembers(self._key("nodes")))
        async with self.redis.pipeline(transaction=False) as pipe:
            for node_id in ids:
                pipe.hgetall(self._key("node", node_id))
                pipe.scard(self._key("rooms", node_id))
            replies = await pipe.execute()
        peers: dict[str, NodeRecord] = {}
        for index, node_id in enumerate(ids):
            fields, rooms = replies[2 * index], int(replies[2 * index + 1])
            if node_id == self.node_id:
                self._placed_here = rooms
            elif fields:
                peers[node_id] = _record(node_id, fields, rooms)
            elif self.is_leader:
                # Dead: forget it (its meetings are placed again as their seats come back).
                await self.redis.srem(self._key("nodes"), node_id)
                await self.redis.delete(self._key("rooms", node_id))
                logger.warning("node %s is gone", node_id)
        self._peers = peers

    def _remote_subscribers(self, bus: str, key: int) -> int:
        return sum(peer.subscribers.get(bus, {}).get(key, 0) for peer in self._peers.values())

    # -- this node and the others --------------------------------------------------------------

    @property
    def node(self) -> NodeRecord:
        local = super().node
        return dataclasses.replace(
            local, state=self._state, rooms=max(self._placed_here, local.open_rooms)
        )

    @property
    def is_leader(self) -> bool:
        return self._leader == self.node_id

    def known_nodes(self) -> list[NodeRecord]:
        return [self.node, *self._peers.values()]

    async def nodes(self) -> list[NodeRecord]:
        return await self._fresh_nodes()

    async def _fresh_nodes(self) -> list[NodeRecord]:
        """Every live node with its placed rooms counted now (the load for placement): read
        afresh, so a node that joined since the last heartbeat takes rooms at once."""
        await self._refresh_peers()
        return [node for node in self.known_nodes() if node.id == self.node_id or node.boot]

    async def _node_record(self, node_id: str) -> NodeRecord | None:
        if node_id == self.node_id:
            return self.node
        if node_id in self._peers:
            return self._peers[node_id]
        fields = await self.redis.hgetall(self._key("node", node_id))
        return _record(node_id, fields, 0) if fields else None

    # -- placement ------------------------------------------------------------------------------

    async def place(self, meeting_id: int, *, mission_id: int) -> Placement:
        if meeting_id in self._open_ids():
            return Placement(self.node, local=True)
        try:
            return await self._place(meeting_id, mission_id=mission_id)
        except (redis.RedisError, OSError) as exc:
            # Without the shared state no node can be chosen safely: refuse for now (503).
            logger.warning("meeting %s not placed: Redis does not answer: %s", meeting_id, exc)
            raise NoCapacity(
                "the cluster's shared state does not answer: try again shortly",
                retry_after=self.settings.admission_retry_after_seconds,
            ) from exc

    async def _place(self, meeting_id: int, *, mission_id: int) -> Placement:
        for candidate in rank(await self._fresh_nodes(), prefer=self.node_id):
            reply = await self._claim(
                args=[
                    self.prefix,
                    meeting_id,
                    candidate.id,
                    candidate.boot,
                    candidate.max_rooms,
                    self._lease_ms,
                ]
            )
            kind, owner, previous, ago = (_text(part) for part in reply)
            if kind == "placed":
                found = await self._node_record(owner)
                if found is not None:
                    return Placement(found, local=owner == self.node_id)
                continue
            if kind == "new":
                self.placements[candidate.id] += 1
                await self.redis.hdel(self._key("refused", mission_id), str(meeting_id))
                # Last heard `ago` ms before now by Redis's clock, on this node's clock (the
                # stays it ends were written by the nodes' clocks, which may differ from Redis's).
                lost_at = self.clock.now() - timedelta(milliseconds=int(ago)) if ago else None
                logger.info(
                    "meeting %s placed on node %s%s",
                    meeting_id,
                    candidate.id,
                    f" (taken over from {previous})" if previous else "",
                )
                return Placement(
                    candidate,
                    local=candidate.id == self.node_id,
                    new=True,
                    taken_over_from=previous or None,
                    lost_at=lost_at,
                )
        owner_node = await self.locate(meeting_id)
        if owner_node is not None:  # a live room needs no new capacity
            return Placement(owner_node, local=owner_node.id == self.node_id)
        raise self._no_capacity()

    async def locate(self, meeting_id: int) -> NodeRecord | None:
        reply = await self._locate(args=[self.prefix, meeting_id])
        if not reply or _text(reply[1]) != "1":
            return None
        return await self._node_record(_text(reply[0]))

    async def rooms_elsewhere(self) -> frozenset[int]:
        peers = list(self._peers)
        if not peers:
            return frozenset()
        async with self.redis.pipeline(transaction=False) as pipe:
            for node_id in peers:
                pipe.smembers(self._key("rooms", node_id))
            replies = await pipe.execute()
        return frozenset(int(_text(m)) for members in replies for m in members)

    # -- rooms on any node ----------------------------------------------------------------------

    async def room_snapshots(self, mission_id: int) -> list[dict[str, Any]]:
        found = await self._gather("snapshots", {"mission_id": mission_id})
        rooms = [room for snapshots in found for room in snapshots]
        return sorted(rooms, key=lambda room: int(room["meeting_id"]))

    async def present(self) -> dict[int, frozenset[Seat]]:
        merged: dict[int, frozenset[Seat]] = {}
        for answer in await self._gather("present", {}):
            for meeting_id, seats in answer.items():
                merged[int(meeting_id)] = frozenset(Seat(seat) for seat in seats)
        return merged

    async def extend_room(self, meeting_id: int, ends_at: datetime) -> bool:
        owner = await self.locate(meeting_id)
        if owner is None:
            return False
        args = {"meeting_id": meeting_id, "ends_at": ends_at.isoformat()}
        return bool(await self._call(owner.id, "extend", args))

    async def close_room(self, meeting_id: int) -> bool:
        owner = await self.locate(meeting_id)
        if owner is None:
            return False
        return bool(await self._call(owner.id, "close", {"meeting_id": meeting_id}))

    # -- refused joins --------------------------------------------------------------------------

    async def refuse(self, *, mission_id: int, meeting_id: int, retry_after: int) -> None:
        self.refused_joins += 1
        refusal = Refusal(meeting_id, self.clock.now(), retry_after)
        key = self._key("refused", mission_id)
        value = json.dumps({"at": refusal.at.isoformat(), "retry_after": retry_after})
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(key, str(meeting_id), value)
                pipe.expire(key, int(REFUSAL_MEMORY_SECONDS))
                await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            logger.warning("refusal of meeting %s not kept: %s", meeting_id, exc)
        self.board_bus.publish(mission_id, self.refusal_event(refusal, mission_id))

    async def refusals(self, mission_id: int) -> dict[int, Refusal]:
        stored = await self.redis.hgetall(self._key("refused", mission_id))
        found = {}
        for meeting_id, value in stored.items():
            data = json.loads(value)
            found[int(_text(meeting_id))] = Refusal(
                int(_text(meeting_id)), datetime.fromisoformat(data["at"]), int(data["retry_after"])
            )
        return found

    # -- requests to other nodes ----------------------------------------------------------------

    async def _serve(self, op: str, args: dict[str, Any]) -> Any:
        """Answer a request about this node's rooms."""
        if op == "snapshots":
            return self.local_snapshots(int(args["mission_id"]))
        if op == "present":
            return {str(m): sorted(seats) for m, seats in self.local_present().items()}
        if op == "extend":
            ends_at = datetime.fromisoformat(args["ends_at"])
            return await self.local_extend(int(args["meeting_id"]), ends_at)
        if op == "close":
            return await self.local_close(int(args["meeting_id"]))
        raise RpcFailed(f"unknown request {op!r}")

    async def _call(self, node_id: str, op: str, args: dict[str, Any]) -> Any:
        if node_id == self.node_id:
            return await self._serve(op, args)
        request_id = uuid.uuid4().hex
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        request = {
            "kind": "request",
            "id": request_id,
            "from": self.node_id,
            "op": op,
            "args": args,
        }
        try:
            await self.redis.publish(self._key("rpc", node_id), json.dumps(request))
            return await asyncio.wait_for(future, RPC_TIMEOUT_SECONDS)
        finally:
            self._pending.pop(request_id, None)

    async def _gather(self, op: str, args: dict[str, Any]) -> list[Any]:
        """Every live node's answer; a node that does not answer in time is left out."""
        ids = [self.node_id, *self._peers]
        answers = await asyncio.gather(
            *(self._call(node_id, op, args) for node_id in ids), return_exceptions=True
        )
        found = []
        for node_id, answer in zip(ids, answers, strict=True):
            if isinstance(answer, BaseException):
                logger.warning("node %s did not answer %s: %r", node_id, op, answer)
                continue
            found.append(answer)
        return found

    def _on_rpc(self, _channel: str, data: bytes) -> None:
        message = json.loads(data)
        if message.get("kind") == "reply":
            future = self._pending.get(message.get("id", ""))
            if future is not None and not future.done():
                if message.get("error"):
                    future.set_exception(RpcFailed(message["error"]))
                else:
                    future.set_result(message.get("result"))
        elif message.get("kind") == "request":
            task = asyncio.create_task(self._answer(message))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

    async def _answer(self, request: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"kind": "reply", "id": request.get("id")}
        started = time.monotonic()
        try:
            reply["result"] = await self._serve(str(request.get("op")), request.get("args") or {})
        except Exception as exc:  # the asking node gets the error, this one goes on
            logger.exception("node %s: request %s failed", self.node_id, request.get("op"))
            reply["error"] = f"{type(exc).__name__}: {exc}"
        logger.debug("answered %s in %.3f s", request.get("op"), time.monotonic() - started)
        try:
            await self.redis.publish(
                self._key("rpc", request.get("from")), json.dumps(reply, default=str)
            )
        except (redis.RedisError, OSError) as exc:
            logger.warning("node %s: reply not sent: %s", self.node_id, exc)
