"""The embedded default: one process is the whole cluster (LiveKit's LocalRouter).

Every meeting is placed here, events stay in memory, limits are counted in this process.
It still measures its own load every heartbeat: the same admission rule as a cluster's node
(app/cluster/selector.py) refuses a new room past `node_max_rooms` or `node_max_cpu`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from app.cluster.base import SERVING, NodeRecord, Placement, RateLimiter, Refusal
from app.cluster.load import LoadSampler, NodeLoad
from app.cluster.selector import rank
from app.ratelimit import ApiRateLimiter
from app.settings import Settings
from rooms.board import BoardBus, EventBus
from rooms.clock import Clock, isoformat
from rooms.errors import NoCapacity, RoomClosed, RoomError
from rooms.registry import RoomRegistry
from rooms.room import SeatState
from rooms.seats import Seat

logger = logging.getLogger(__name__)

_IN_ROOM = (SeatState.JOINED, SeatState.RECONNECTING)
REFUSAL_MEMORY_SECONDS = 3600.0


class LocalCluster:
    """A cluster of one: this process."""

    def __init__(
        self, settings: Settings, clock: Clock, *, rate_limiter: RateLimiter | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.node_id = settings.node_name
        self.boot = uuid.uuid4().hex[:12]
        self.board_bus: EventBus = BoardBus()
        self.kiosk_bus: EventBus = BoardBus(queue_size=50)
        self.rate_limiter: RateLimiter = (
            rate_limiter
            if rate_limiter is not None  # not `or`: an empty ApiRateLimiter is falsy (len 0)
            else ApiRateLimiter(settings.api_rate_per_second, settings.api_rate_burst)
        )
        self.registry: RoomRegistry | None = None
        self.sampler: LoadSampler | None = None
        self.load = NodeLoad()
        self.placements: Counter[str] = Counter()  # new rooms placed by this node, per node
        self.refused_joins = 0
        self._refusals: dict[int, dict[int, Refusal]] = {}
        self._reserved: dict[int, float] = {}  # meeting -> time.monotonic() it was placed
        self._heartbeat: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    # -- lifecycle ------------------------------------------------------------------------------

    def attach(self, registry: RoomRegistry, sampler: LoadSampler) -> None:
        """The rooms this node runs and the sampler of its load (before `start`)."""
        self.registry = registry
        self.sampler = sampler

    async def start(self) -> None:
        if self.sampler is not None:
            self.sampler.start()
        await self.beat()
        self._heartbeat = asyncio.create_task(self._beat_periodically(), name="node-heartbeat")

    async def drain(self) -> None:
        """Take no new room (shutting down); a cluster's node also frees its meetings."""

    async def stop(self) -> None:
        self._stopping.set()
        if self._heartbeat is not None:
            await self._heartbeat
            self._heartbeat = None
        if self.sampler is not None:
            await self.sampler.stop()

    async def _beat_periodically(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.node_heartbeat_seconds)
            if self._stopping.is_set():
                return
            try:
                await self.beat()
            except Exception as exc:  # Redis away for a while: keep serving, try again
                logger.warning("node %s: heartbeat failed: %s", self.node_id, exc)

    async def beat(self) -> None:
        """Sample this node's load (a cluster's node also reports it)."""
        if self.sampler is not None:
            self.load = self.sampler.sample()

    # -- this node ------------------------------------------------------------------------------

    @property
    def node(self) -> NodeRecord:
        load = self.load
        return NodeRecord(
            id=self.node_id,
            url=self.settings.node_base_url,
            boot=self.boot,
            state=SERVING,
            max_rooms=self.settings.node_max_rooms,
            max_cpu=self.settings.node_max_cpu,
            rooms=len(self._open_ids()) + len(self._reservations()),
            open_rooms=len(self._open_ids()),
            seats=load.seats,
            cpu=load.cpu,
            packets_in_per_s=load.packets_in_per_s,
            packets_out_per_s=load.packets_out_per_s,
            loop_lag_s=load.loop_lag_s,
            updated_at=time.time(),
            pid=os.getpid(),
        )

    @property
    def is_leader(self) -> bool:
        return True

    def known_nodes(self) -> list[NodeRecord]:
        """The nodes as last heard (no I/O), for the metrics."""
        return [self.node]

    async def nodes(self) -> list[NodeRecord]:
        return [self.node]

    def _open_ids(self) -> frozenset[int]:
        return self.registry.open_meeting_ids() if self.registry is not None else frozenset()

    # -- placement ------------------------------------------------------------------------------

    def _no_capacity(self) -> NoCapacity:
        return NoCapacity(
            "every node is at capacity: no new consultation room can open now",
            retry_after=self.settings.admission_retry_after_seconds,
        )

    def _reservations(self) -> dict[int, float]:
        """Meetings placed here whose room has not opened yet (not for longer than the
        reservation time): they count against the capacity, as a cluster's do."""
        open_ids = self._open_ids()
        expired = time.monotonic() - self.settings.node_reservation_seconds
        for meeting_id, at in list(self._reserved.items()):
            if meeting_id in open_ids or at < expired:
                del self._reserved[meeting_id]
        return self._reserved

    async def place(self, meeting_id: int, *, mission_id: int) -> Placement:
        if meeting_id in self._open_ids():
            return Placement(self.node, local=True)
        reserved = self._reservations()
        if meeting_id in reserved:
            return Placement(self.node, local=True)
        if not rank([self.node], prefer=self.node_id):
            raise self._no_capacity()
        reserved[meeting_id] = time.monotonic()
        self.placements[self.node_id] += 1
        self._forget_refusal(mission_id, meeting_id)
        return Placement(self.node, local=True, new=True)

    async def locate(self, meeting_id: int) -> NodeRecord | None:
        return self.node if meeting_id in self._open_ids() else None

    async def rooms_elsewhere(self) -> frozenset[int]:
        return frozenset()

    # -- rooms on this node ---------------------------------------------------------------------

    def local_snapshots(self, mission_id: int) -> list[dict[str, Any]]:
        if self.registry is None:
            return []
        return [
            room.snapshot() | {"node": self.node_id}
            for room in self.registry.rooms(mission_id)
            if not room.closed
        ]

    def local_present(self) -> dict[int, frozenset[Seat]]:
        if self.registry is None:
            return {}
        return {
            room.meeting_id: frozenset(s for s in Seat if room.seat_state(s) in _IN_ROOM)
            for room in self.registry.rooms()
            if not room.closed
        }

    async def local_extend(self, meeting_id: int, ends_at: datetime) -> bool:
        room = self.registry.get(meeting_id) if self.registry is not None else None
        if room is None or room.closed:
            return False
        await room.extend(ends_at)
        return True

    async def local_close(self, meeting_id: int, error: RoomError | None = None) -> bool:
        room = self.registry.get(meeting_id) if self.registry is not None else None
        if room is None or room.closed:
            return False
        if error is None:
            await room.close(RoomClosed("the organiser ended the meeting"), final=True)
        else:
            await room.close(error, final=False)
        return True

    async def room_snapshots(self, mission_id: int) -> list[dict[str, Any]]:
        return self.local_snapshots(mission_id)

    async def present(self) -> dict[int, frozenset[Seat]]:
        return self.local_present()

    async def extend_room(self, meeting_id: int, ends_at: datetime) -> bool:
        return await self.local_extend(meeting_id, ends_at)

    async def close_room(self, meeting_id: int) -> bool:
        return await self.local_close(meeting_id)

    # -- refused joins --------------------------------------------------------------------------

    def refusal_event(self, refusal: Refusal, mission_id: int) -> dict[str, Any]:
        return {
            "type": "refused",
            "mission_id": mission_id,
            "meeting_id": refusal.meeting_id,
            "at": isoformat(refusal.at),
            "retry_after_seconds": refusal.retry_after,
            "reason": "no_capacity",
        }

    async def refuse(self, *, mission_id: int, meeting_id: int, retry_after: int) -> None:
        self.refused_joins += 1
        refusal = Refusal(meeting_id, self.clock.now(), retry_after)
        self._refusals.setdefault(mission_id, {})[meeting_id] = refusal
        self.board_bus.publish(mission_id, self.refusal_event(refusal, mission_id))

    def _forget_refusal(self, mission_id: int, meeting_id: int) -> None:
        self._refusals.get(mission_id, {}).pop(meeting_id, None)

    async def refusals(self, mission_id: int) -> dict[int, Refusal]:
        now = self.clock.now()
        found = self._refusals.get(mission_id, {})
        for meeting_id, refusal in list(found.items()):
            if (now - refusal.at).total_seconds() > REFUSAL_MEMORY_SECONDS:
                del found[meeting_id]
        return dict(found)
