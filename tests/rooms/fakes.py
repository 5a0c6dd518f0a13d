"""In-process stand-ins for a room's edges: its store, its seats' connections and a media
layer that carries no packets. For rules of the room itself (interpretation, permissions);
media is tested with real aiortc peers elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rooms.board import BoardBus
from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.media import AudioRoutes, MediaEvents, MediaRequest, SeatMedia, SignalSend
from rooms.messages import Join, MutedState, Publish, Unpublish, parse_client_message
from rooms.room import CloseOutcome, MeetingInfo, Room, RoomPolicy
from rooms.seats import Seat


@dataclass(frozen=True)
class DutyRow:
    seat: Seat
    channel: str
    started_at: datetime
    ended_at: datetime


@dataclass
class RecordingStore:
    """A RoomStore that keeps what the room reported, in memory."""

    joined: list[Seat] = field(default_factory=list)
    left: list[tuple[Seat, str]] = field(default_factory=list)
    duties: list[DutyRow] = field(default_factory=list)
    closed: list[CloseOutcome] = field(default_factory=list)

    async def seat_joined(self, *, meeting_id: int, seat: Seat, at: datetime, device: str) -> None:
        self.joined.append(seat)

    async def seat_reconnected(self, *, meeting_id: int, seat: Seat, device: str) -> None:
        return None

    async def seat_left(self, *, meeting_id: int, seat: Seat, at: datetime, reason: str) -> None:
        self.left.append((seat, reason))

    async def meeting_live(self, *, meeting_id: int, at: datetime) -> None:
        return None

    async def meeting_closed(self, *, meeting_id: int, outcome: CloseOutcome) -> None:
        self.closed.append(outcome)

    async def settle_ended_meetings(
        self, *, now: datetime, open_meeting_ids: frozenset[int]
    ) -> dict[int, CloseOutcome]:
        return {}

    async def interpreter_duty(
        self,
        *,
        meeting_id: int,
        seat: Seat,
        channel: str,
        started_at: datetime,
        ended_at: datetime,
    ) -> None:
        self.duties.append(DutyRow(seat, channel, started_at, ended_at))


class FakeConnection:
    """A seat's signalling connection that keeps every message the room sends it."""

    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.messages: list[dict[str, Any]] = []
        self.closed_with: RoomError | None = None
        self.closed = False

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)

    async def close(self, error: RoomError | None) -> None:
        self.closed = True
        self.closed_with = error

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == type_]

    def last(self, type_: str) -> dict[str, Any]:
        found = self.of_type(type_)
        assert found, f"{self.seat} got no {type_}; got {[m['type'] for m in self.messages]}"
        return found[-1]


class _FakeSeatMedia:
    def __init__(self, room: FakeRoomMedia, seat: Seat) -> None:
        self.room = room
        self.seat = seat

    async def start(self) -> None:
        return None

    async def handle(self, request: MediaRequest) -> dict[str, Any]:
        if isinstance(request, Publish) and request.kind == "audio":
            self.room.published.add((self.seat, request.source or "mic"))
            self.room.events.media_tracks_changed()  # as the relay does once it flows
        if isinstance(request, Unpublish) and request.kind == "audio":
            self.room.published.discard((self.seat, "mic"))
            self.room.events.media_tracks_changed()
        return {}

    def stats(self) -> dict[str, Any]:
        return {}

    async def close(self, reason: str) -> None:
        self.room.published = {ref for ref in self.room.published if ref[0] is not self.seat}


class FakeRoomMedia:
    """Media without packets: each seat publishes its microphone as track "<seat>.mic"
    (the organiser once it publishes audio), and the routing is kept for inspection."""

    def __init__(self, events: MediaEvents) -> None:
        self.events = events
        self.routes: AudioRoutes = {}
        self.published: set[tuple[Seat, str]] = set()

    async def add_seat(
        self,
        seat: Seat,
        signal: SignalSend,
        *,
        observer: bool,
        replaces: SeatMedia | None = None,
    ) -> _FakeSeatMedia:
        if replaces is not None:
            await replaces.close("replaced")
        if not observer:
            self.published.add((seat, "mic"))
        return _FakeSeatMedia(self, seat)

    def route_audio(self, routes: AudioRoutes) -> None:
        self.routes = routes

    def audio_tracks(self, seat: Seat, source: str) -> list[str]:
        return [f"{seat.value}.{source}"] if (seat, source) in self.published else []

    def receives(self, seat: Seat) -> set[str]:
        """The track ids the relay would forward to `seat` under the current routing."""
        return {
            track_id
            for owner, source in self.routes.get(seat, frozenset())
            for track_id in self.audio_tracks(owner, source)
        }

    async def close(self) -> None:
        return None


class RoomHarness:
    """A Room with fake edges and a manual clock; `join`/`request` speak for a seat."""

    def __init__(
        self,
        channels: dict[Seat, tuple[str, ...]],
        *,
        silence_hold: timedelta = timedelta(seconds=2),
    ) -> None:
        self.clock = ManualClock()
        now = self.clock.now()
        self.store = RecordingStore()
        self.media: FakeRoomMedia | None = None
        seats = frozenset({Seat.COMPANY, Seat.BUYER, Seat.ORGANISER, *channels})
        info = MeetingInfo(
            meeting_id=1,
            mission_id=1,
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(minutes=30),
            seats=seats,
            channels=channels,
        )
        self.room = Room(
            info,
            policy=RoomPolicy(silence_hold=silence_hold),
            clock=self.clock,
            store=self.store,
            media=self._media,
            bus=BoardBus(),
            on_closed=lambda room: None,
        )
        self.connections: dict[Seat, FakeConnection] = {}

    def _media(self, events: MediaEvents) -> FakeRoomMedia:
        self.media = FakeRoomMedia(events)
        return self.media

    @property
    def fake_media(self) -> FakeRoomMedia:
        assert self.media is not None
        return self.media

    async def join(self, *seats: Seat, muted: dict[str, bool] | None = None) -> None:
        for seat in seats:
            connection = FakeConnection(seat)
            self.connections[seat] = connection
            request = Join(type="join", id=1, token="t", muted=MutedState(**(muted or {})))
            await self.room.join(seat, connection, request)

    async def request(self, seat: Seat, type_: str, **fields: Any) -> dict[str, Any]:
        """The response data, or raises the RoomError the edge would send as `error`."""
        message = parse_client_message(json.dumps({"type": type_, "id": 7, **fields}))
        return await self.room.handle(self.connections[seat], message)

    def state(self, seat: Seat = Seat.COMPANY) -> dict[str, Any]:
        return self.connections[seat].last("interpretation_state")

    def feeds(self, seat: Seat) -> dict[str, tuple[str, str | None, float]]:
        """Track id -> (layer, channel, level) of the seat's last `routing` notice."""
        routing = self.connections[seat].last("routing")
        return {f["track_id"]: (f["layer"], f["channel"], f["level"]) for f in routing["feeds"]}

    async def close(self) -> None:
        await self.room.close(RoomError("test over"), final=True)
