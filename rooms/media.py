"""What a room asks of the media relay, as small protocols; `NoMedia` serves signalling alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from rooms.messages import Answer, IceCandidate, Pause, Publish, Resume, Unpublish
from rooms.seats import Seat

MediaRequest = Answer | IceCandidate | Publish | Unpublish | Pause | Resume
SignalSend = Callable[[dict[str, Any]], Awaitable[None]]
# An audio track named by its owner: (seat, "mic" | "back_channel").
AudioRef = tuple[Seat, str]
# Listener seat -> the audio tracks it receives (the interpretation routing rule's answer).
AudioRoutes = Mapping[Seat, frozenset[AudioRef]]


class MediaEvents(Protocol):
    """Callbacks from the media layer into the room (all called on the event loop)."""

    def media_speaking(self, seat: Seat, speaking: bool) -> None:
        """The seat's microphone started or stopped carrying voice."""

    def media_tracks_changed(self) -> None:
        """A published track appeared or went away (the seats' routing notices change)."""

    def media_active_speaker(self, seat: Seat | None) -> None: ...

    def media_failed(self, seat: Seat, reason: str) -> None: ...


class SeatMedia(Protocol):
    """One seat's media connection: a relay peer the server makes every offer to."""

    async def start(self) -> None:
        """Make the first offer (sent through the seat's signal function)."""

    async def handle(self, request: MediaRequest) -> dict[str, Any]:
        """Apply a client request; returns the response data (RoomError when refused)."""

    def stats(self) -> dict[str, Any]:
        """Media figures for the organiser's board (bytes, packets, state)."""

    async def close(self, reason: str) -> None:
        """Idempotent; removes the seat's tracks from everyone else's subscriptions."""


class RoomMedia(Protocol):
    """The relay side of one room."""

    async def add_seat(
        self,
        seat: Seat,
        signal: SignalSend,
        *,
        observer: bool,
        replaces: SeatMedia | None = None,
    ) -> SeatMedia:
        """The media of a seat's new connection. `replaces`: the seat's previous connection's
        media (a reconnect or a take-over), which the room no longer closes itself: the
        media layer keeps it feeding the others until the new one takes over, then closes it.
        """
        ...

    def route_audio(self, routes: AudioRoutes) -> None:
        """Forward to each seat exactly these audio tracks (video is not affected); seats
        without an entry receive no audio. Kept and applied again as tracks come and go."""

    def audio_tracks(self, seat: Seat, source: str) -> list[str]:
        """The ids of the audio tracks `seat` publishes from `source` now."""

    async def close(self) -> None: ...


class MediaFactory(Protocol):
    def open_room(self, room_id: str, events: MediaEvents) -> RoomMedia: ...

    async def close(self) -> None: ...


class _NoSeatMedia:
    async def start(self) -> None:
        return None

    async def handle(self, request: MediaRequest) -> dict[str, Any]:
        return {}

    def stats(self) -> dict[str, Any]:
        return {}

    async def close(self, reason: str) -> None:
        return None


class _NoRoomMedia:
    async def add_seat(
        self,
        seat: Seat,
        signal: SignalSend,
        *,
        observer: bool,
        replaces: SeatMedia | None = None,
    ) -> SeatMedia:
        if replaces is not None:
            await replaces.close("replaced")
        return _NoSeatMedia()

    def route_audio(self, routes: AudioRoutes) -> None:
        return None

    def audio_tracks(self, seat: Seat, source: str) -> list[str]:
        return []

    async def close(self) -> None:
        return None


class NoMedia:
    """A relay that carries no media: rooms, links and chat work, offers are never made."""

    def open_room(self, room_id: str, events: MediaEvents) -> RoomMedia:
        return _NoRoomMedia()

    async def close(self) -> None:
        return None
