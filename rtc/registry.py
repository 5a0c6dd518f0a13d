"""The registry: every open room of this process (one worker, one core)."""

from __future__ import annotations

import asyncio
import logging

from .compat import check_aiortc
from .config import RelayConfig
from .errors import RoomExists, UnknownRoom
from .events import CloseReason, RelayListener
from .ice import apply_host_addresses
from .room import Room

logger = logging.getLogger(__name__)


class RelayRegistry:
    """Creates and finds rooms; checks aiortc and applies the ICE host setting on creation.

    The ICE host-address setting is process-wide (aioice reads a module-level function):
    one registry per process.
    """

    def __init__(self, config: RelayConfig | None = None) -> None:
        check_aiortc()
        self.config = config or RelayConfig()
        apply_host_addresses(self.config.ice_host_addresses)
        self.rooms: dict[str, Room] = {}
        self.closed = False

    def create_room(
        self,
        room_id: str,
        *,
        listener: RelayListener | None = None,
        auto_subscribe: bool = True,
    ) -> Room:
        if room_id in self.rooms:
            raise RoomExists(f"room {room_id} is already open")
        room = Room(self, room_id, self.config, listener=listener, auto_subscribe=auto_subscribe)
        self.rooms[room_id] = room
        logger.info("room %s created", room_id)
        return room

    def get_room(self, room_id: str) -> Room:
        try:
            return self.rooms[room_id]
        except KeyError:
            raise UnknownRoom(f"no open room {room_id}") from None

    async def close(self) -> None:
        """Close every room (peers hear RELAY_CLOSED). Idempotent."""
        if self.closed:
            return
        self.closed = True
        await asyncio.gather(
            *(room.close(CloseReason.RELAY_CLOSED) for room in list(self.rooms.values()))
        )

    def _remove_room(self, room: Room) -> None:
        if self.rooms.get(room.id) is room:
            del self.rooms[room.id]


Relay = RelayRegistry
