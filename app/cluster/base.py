"""What the app asks of the nodes that run rooms: one interface, a local and a Redis implementation.

After LiveKit's pkg/routing (`Router`, with `LocalRouter` and `RedisRouter` behind it): the
embedded default is one process and needs no other service (app/cluster/local.py); a cluster
keeps its node records, room placement, live events and limits in Redis
(app/cluster/redis_cluster.py). rooms/ and rtc/ see neither: they get an `EventBus` and a
`RoomLocator` (rooms/board.py, rooms/registry.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from rooms.board import EventBus
from rooms.seats import Seat

SERVING = "serving"
DRAINING = "draining"  # keeps its rooms, takes no new one (a node shutting down)


def websocket_base(base_url: str) -> str:
    scheme, rest = base_url.rstrip("/").split("://", 1)
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}"


def seat_websocket_url(base_url: str, meeting_id: int) -> str:
    return f"{websocket_base(base_url)}/ws/rooms/{meeting_id}"


@dataclass(frozen=True, slots=True)
class NodeRecord:
    """A node as the cluster knows it: where seats reach it, its limits and its load."""

    id: str
    url: str  # base URL the node's seats connect to (its signalling; media is in its SDP)
    boot: str = ""  # changes at every start: a meeting placed on a former life is unplaced
    state: str = SERVING
    max_rooms: int = 0
    max_cpu: float = 0.0
    rooms: int = 0  # meetings placed on it: open rooms and rooms about to open
    open_rooms: int = 0
    seats: int = 0
    cpu: float = 0.0  # share of one core used by its process over the last interval
    packets_in_per_s: float = 0.0
    packets_out_per_s: float = 0.0
    loop_lag_s: float = 0.0
    updated_at: float = 0.0  # unix time of its last heartbeat
    pid: int = 0
    # Subscribers of its live feeds: bus name -> key -> count (see EventBus.subscriber_count).
    subscribers: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    def websocket_url(self, meeting_id: int) -> str:
        return seat_websocket_url(self.url, meeting_id)

    def public(self) -> dict[str, Any]:
        """What /api/v1/cluster/nodes shows of it."""
        return {
            "id": self.id,
            "url": self.url,
            "state": self.state,
            "max_rooms": self.max_rooms,
            "max_cpu": self.max_cpu,
            "rooms": self.rooms,
            "open_rooms": self.open_rooms,
            "seats": self.seats,
            "cpu": round(self.cpu, 3),
            "packets_in_per_s": round(self.packets_in_per_s, 1),
            "packets_out_per_s": round(self.packets_out_per_s, 1),
            "loop_lag_s": round(self.loop_lag_s, 4),
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a meeting's room lives, as a join learns it."""

    node: NodeRecord
    local: bool  # on the node answering: open the room here
    new: bool = False  # placed by this request
    # The meeting was on a node that died: its open stays end when that node was last heard.
    taken_over_from: str | None = None
    lost_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    meeting_id: int
    at: datetime
    retry_after: int


class RateLimiter(Protocol):
    """A token bucket per client key, shared by every node of a cluster."""

    async def check(self, key: str) -> float | None:
        """None when the request may pass; else the seconds until a token is back."""
        ...


class Cluster(Protocol):
    """The nodes that run rooms, as the API edge and the jobs see them."""

    node_id: str
    board_bus: EventBus  # the organisers' boards, by mission
    kiosk_bus: EventBus  # the booth kiosks, by venue
    rate_limiter: RateLimiter

    @property
    def node(self) -> NodeRecord:
        """This node, as last measured."""
        ...

    @property
    def is_leader(self) -> bool:
        """True on the one node that runs the cluster-wide jobs (attendance flags)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def place(self, meeting_id: int, *, mission_id: int) -> Placement:
        """The meeting's node: where its room is, or a node below capacity chosen now
        (atomically: no two nodes can claim one meeting). NoCapacity when none has room."""
        ...

    async def locate(self, meeting_id: int) -> NodeRecord | None:
        """The live node the meeting is placed on, if any."""
        ...

    async def rooms_elsewhere(self) -> frozenset[int]: ...

    async def room_snapshots(self, mission_id: int) -> list[dict[str, Any]]:
        """The mission's open rooms on every node, as the board shows them."""
        ...

    async def present(self) -> dict[int, frozenset[Seat]]:
        """Meeting -> the seats in its room (joined or reconnecting), over every node."""
        ...

    async def extend_room(self, meeting_id: int, ends_at: datetime) -> bool:
        """Move an open room's end, on whichever node it lives; False when none is open."""
        ...

    async def close_room(self, meeting_id: int) -> bool:
        """End an open room (the organiser's "end now"); False when none is open."""
        ...

    async def nodes(self) -> list[NodeRecord]: ...

    async def refuse(self, *, mission_id: int, meeting_id: int, retry_after: int) -> None:
        """Note a join refused for want of capacity (the board shows it)."""
        ...

    async def refusals(self, mission_id: int) -> dict[int, Refusal]:
        """The mission's meetings refused lately and not placed since."""
        ...
