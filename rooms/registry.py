"""The room registry: every open room of the process, keyed by meeting id."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from rooms.board import BoardBus, EventBus
from rooms.clock import Clock, isoformat
from rooms.errors import MeetingNotOpen, MeetingOver, NoCapacity, ServerShuttingDown
from rooms.media import MediaEvents, MediaFactory, RoomMedia
from rooms.room import CloseOutcome, MeetingInfo, Room, RoomPolicy, RoomStore

logger = logging.getLogger(__name__)


class RoomLocator(Protocol):
    """Rooms beyond this process: the other nodes of a cluster (app/cluster implements it)."""

    async def rooms_elsewhere(self) -> frozenset[int]:
        """Meetings whose room is open, or being opened, on another live node."""
        ...


class RoomRegistry:
    """Opens a meeting's room on its first join (inside the open window) and forgets it on close.

    `max_rooms` is this process's hard limit (0: none): a room past it is refused with
    NoCapacity, so the rooms already running keep their share of the core."""

    def __init__(
        self,
        *,
        policy: RoomPolicy,
        clock: Clock,
        store: RoomStore,
        media: MediaFactory,
        bus: EventBus | None = None,
        stats_interval: float = 2.0,
        settle_interval: float = 60.0,
        max_rooms: int = 0,
        retry_after: int = 10,
        locator: RoomLocator | None = None,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.store = store
        self.media = media
        self.bus: EventBus = bus or BoardBus()
        self.max_rooms = max_rooms
        self.retry_after = retry_after
        self.locator = locator
        self._rooms: dict[int, Room] = {}
        self._closing = False
        self._stats_interval = stats_interval
        self._settle_interval = settle_interval
        self._tasks: list[asyncio.Task[None]] = []
        self._settling: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        if not self._tasks:
            self._settling = asyncio.create_task(self._settle_periodically(), name="rooms-settle")
            self._tasks = [asyncio.create_task(self._publish_stats(), name="rooms-stats")]

    async def settle(self) -> dict[int, CloseOutcome]:
        """Give a final status to ended meetings no room is open for (see RoomStore)."""
        open_ids = self.open_meeting_ids()
        if self.locator is not None:
            # A room on another node is open too: its meeting is not this node's to settle.
            open_ids |= await self.locator.rooms_elsewhere()
        settled = await self.store.settle_ended_meetings(
            now=self.clock.now(), open_meeting_ids=open_ids
        )
        for meeting_id, outcome in settled.items():
            logger.info("meeting %s settled without a room: %s", meeting_id, outcome)
        return settled

    async def _settle_periodically(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.settle()
            except Exception as exc:  # the database may be away for a while; try again later
                logger.warning("settling ended meetings failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._settle_interval)

    def get(self, meeting_id: int) -> Room | None:
        return self._rooms.get(meeting_id)

    def rooms(self, mission_id: int | None = None) -> list[Room]:
        return [
            room
            for room in self._rooms.values()
            if mission_id is None or room.info.mission_id == mission_id
        ]

    def open_meeting_ids(self) -> frozenset[int]:
        return frozenset(room.meeting_id for room in self._rooms.values() if not room.closed)

    def check_window(self, info: MeetingInfo) -> None:
        """MeetingNotOpen or MeetingOver unless the meeting's room may be open now."""
        if self._closing:
            raise ServerShuttingDown()
        now = self.clock.now()
        opens_at = info.starts_at - self.policy.open_lead
        if now < opens_at:
            raise MeetingNotOpen(opens_at=isoformat(opens_at))
        if now >= info.ends_at:
            raise MeetingOver(ended_at=isoformat(info.ends_at))

    def has_capacity(self) -> bool:
        return not self.max_rooms or len(self.open_meeting_ids()) < self.max_rooms

    def open(self, info: MeetingInfo) -> Room:
        """The meeting's room, opened now if its window allows (MeetingNotOpen, MeetingOver)
        and this process has room for it (NoCapacity)."""
        if self._closing:
            raise ServerShuttingDown()
        room = self._rooms.get(info.meeting_id)
        if room is not None and not room.closed:
            return room
        self.check_window(info)
        if not self.has_capacity():
            raise NoCapacity(
                f"this node already runs its {self.max_rooms} rooms", retry_after=self.retry_after
            )
        now = self.clock.now()

        def room_media(events: MediaEvents) -> RoomMedia:
            return self.media.open_room(f"meeting-{info.meeting_id}", events)

        room = Room(
            info,
            policy=self.policy,
            clock=self.clock,
            store=self.store,
            media=room_media,
            bus=self.bus,
            on_closed=self._forget,
        )
        self._rooms[info.meeting_id] = room
        logger.info("meeting %s: room opened (mission %s)", info.meeting_id, info.mission_id)
        self.bus.publish(
            info.mission_id,
            {
                "type": "room",
                "mission_id": info.mission_id,
                "meeting_id": info.meeting_id,
                "at": isoformat(now),
                "phase": room.phase,
            },
        )
        return room

    def _forget(self, room: Room) -> None:
        if self._rooms.get(room.meeting_id) is room:
            del self._rooms[room.meeting_id]

    async def close(self) -> None:
        """Close every room (service shutdown): seats are told to come back later."""
        self._closing = True
        for task in self._tasks:
            task.cancel()
        if self._settling is not None:
            # Let a settle in flight finish: cancelled in the middle of its query, it could
            # leave the database connection it was opening unclosed.
            self._stopping.set()
            await self._settling
            self._settling = None
        rooms = list(self._rooms.values())
        results = await asyncio.gather(
            *(room.close(ServerShuttingDown(), final=False) for room in rooms),
            return_exceptions=True,
        )
        for room, result in zip(rooms, results, strict=True):
            if isinstance(result, BaseException):
                logger.error("meeting %s: close failed", room.meeting_id, exc_info=result)
        self.bus.close()
        await self.media.close()

    def snapshot(self, mission_id: int) -> list[dict[str, Any]]:
        return [room.snapshot() for room in self.rooms(mission_id)]

    async def _publish_stats(self) -> None:
        # Media figures change continuously: sample them for the board, only when watched.
        while True:
            await asyncio.sleep(self._stats_interval)
            for room in list(self._rooms.values()):
                if room.closed or not self.bus.subscriber_count(room.info.mission_id):
                    continue
                try:
                    snapshot = room.snapshot()
                except Exception:  # one room's broken stats must not stop the others' board
                    logger.exception("meeting %s: stats failed", room.meeting_id)
                    continue
                self.bus.publish(
                    room.info.mission_id,
                    {
                        "type": "stats",
                        "mission_id": room.info.mission_id,
                        "meeting_id": room.meeting_id,
                        "at": isoformat(self.clock.now()),
                        "seconds_left": snapshot["seconds_left"],
                        "seats": {
                            seat: {"state": value["state"], "media": value["media"]}
                            for seat, value in snapshot["seats"].items()
                        },
                    },
                )
