"""One consultation room: its seats, their connections and media, the slot timer and the log."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import weakref
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from rooms.board import EventBus
from rooms.clock import Clock, isoformat
from rooms.errors import (
    InvalidState,
    MediaFailed,
    PermissionDenied,
    RoomClosed,
    RoomError,
    SeatLeft,
    SeatTaken,
)
from rooms.interpretation import Duty, InterpretationDesk, audio_routes
from rooms.media import AudioRef, MediaEvents, RoomMedia, SeatMedia
from rooms.messages import (
    PROTOCOL_VERSION,
    ActiveSpeaker,
    Answer,
    ChatMessage,
    ChatSend,
    ClientMessage,
    Direction,
    Floor,
    HandoverRequest,
    IceCandidate,
    Interpretation,
    Join,
    JoinData,
    Leave,
    LeftReason,
    Listen,
    Mute,
    MutedState,
    MuteState,
    Pause,
    Ping,
    Presence,
    Publish,
    Response,
    Resume,
    RoomState,
    Routing,
    RoutingFeed,
    SlotTimer,
    Speaking,
    Unpublish,
    dump,
)
from rooms.seats import INTERPRETER_SEATS, PARTICIPANT_SEATS, Seat

logger = logging.getLogger(__name__)

# The sources a track of each kind may come from (`publish`, `unpublish`).
SOURCES = {"audio": ("mic", "back_channel"), "video": ("camera", "screen")}


class SeatState(enum.StrEnum):
    JOINED = "joined"
    RECONNECTING = "reconnecting"  # connection dropped; the seat is kept for the grace period
    LEFT = "left"


class CloseOutcome(enum.StrEnum):
    """How the meeting's status ends when its room closes."""

    COMPLETED = "completed"  # company and buyer were in the room together at some moment
    NO_SHOW = "no_show"  # they never were


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    """What a room needs to know of its meeting record."""

    meeting_id: int
    mission_id: int
    starts_at: datetime
    ends_at: datetime
    seats: frozenset[Seat]
    labels: dict[Seat, str] = field(default_factory=dict)
    # Interpreter seat -> the language channels it works on (its language pairs' languages).
    channels: Mapping[Seat, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RoomPolicy:
    open_lead: timedelta = timedelta(minutes=10)
    end_warning: timedelta = timedelta(minutes=2)
    grace: timedelta = timedelta(seconds=30)
    # A language channel whose voice has been quiet this long is silent: listeners with the
    # fallback on hear the floor at full level until it speaks again.
    silence_hold: timedelta = timedelta(seconds=2)


class RoomStore(Protocol):
    """Persistence the room reports to (attendance log and meeting status)."""

    async def seat_joined(
        self, *, meeting_id: int, seat: Seat, at: datetime, device: str
    ) -> None: ...

    async def seat_reconnected(self, *, meeting_id: int, seat: Seat, device: str) -> None: ...

    async def seat_left(
        self, *, meeting_id: int, seat: Seat, at: datetime, reason: str
    ) -> None: ...

    async def meeting_live(self, *, meeting_id: int, at: datetime) -> None: ...

    async def meeting_closed(self, *, meeting_id: int, outcome: CloseOutcome) -> None: ...

    async def interpreter_duty(
        self,
        *,
        meeting_id: int,
        seat: Seat,
        channel: str,
        started_at: datetime,
        ended_at: datetime,
    ) -> None:
        """An interpreter seat stopped being live on a channel (handover, leave, a drop past
        the grace period, the room closing): one stretch of duty, for the duty log."""
        ...

    async def settle_ended_meetings(
        self, *, now: datetime, open_meeting_ids: frozenset[int]
    ) -> dict[int, CloseOutcome]:
        """Settle meetings whose slot is over and that have no open room: nobody came, or
        the service stopped while they ran. Same rule as a closing room."""
        ...


class SeatConnection(Protocol):
    """A seat's signalling connection as the room sees it; the edge maps errors to close codes."""

    async def send(self, message: dict[str, Any]) -> None:
        """Queue a message; never blocks on a slow client."""

    async def close(self, error: RoomError | None) -> None:
        """Close the connection, saying why (None: normal closure)."""


class SeatPresence:
    """One seat in the room: its current connection, media and state."""

    def __init__(self, seat: Seat, joined_at: datetime, device: str) -> None:
        self.seat = seat
        self.state = SeatState.JOINED
        self.joined_at = joined_at
        self.device = device
        self.connection: SeatConnection | None = None
        self.media: SeatMedia | None = None
        self.dropped_at: datetime | None = None
        self.grace_task: asyncio.Task[None] | None = None
        self.muted: dict[str, bool] = {"audio": False, "video": False}
        self.speaking = False
        self.reconnects = 0

    async def send(self, message: dict[str, Any]) -> None:
        if self.connection is not None:
            await self.connection.send(message)


class Room(MediaEvents):
    """A meeting's live room. All state changes run under one lock, on the event loop."""

    def __init__(
        self,
        info: MeetingInfo,
        *,
        policy: RoomPolicy,
        clock: Clock,
        store: RoomStore,
        media: Callable[[MediaEvents], RoomMedia],
        bus: EventBus,
        on_closed: Callable[[Room], None],
    ) -> None:
        self.info = info
        self.policy = policy
        self.clock = clock
        self.store = store
        self.bus = bus
        self.media = media(self)
        self._on_closed = on_closed
        self._seats: dict[Seat, SeatPresence] = {}
        self._lock = asyncio.Lock()
        self._closed = False
        self._went_live = False
        self._met = False  # company and buyer were present together at least once
        self._warned = False
        self._chat_counter = 0
        self._active_speaker: Seat | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._replaced: weakref.WeakSet[SeatConnection] = weakref.WeakSet()
        self.interpretation = InterpretationDesk(
            info.channels, hold=policy.silence_hold.total_seconds()
        )
        self._routes: dict[Seat, dict[AudioRef, RoutingFeed]] = {}
        self._sent_interpretation: dict[str, Any] | None = None
        self._sent_routing: dict[Seat, dict[str, Any]] = {}
        self._silence_task: asyncio.Task[None] | None = None
        self._silence_at: datetime | None = None
        self.opened_at = clock.now()
        self._timer = asyncio.create_task(self._run_timer(), name=f"room-{info.meeting_id}-timer")

    # -- properties ---------------------------------------------------------------------------

    @property
    def meeting_id(self) -> int:
        return self.info.meeting_id

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def phase(self) -> str:
        if self._closed:
            return "closed"
        present = sum(
            1
            for seat in PARTICIPANT_SEATS
            if seat in self._seats and self._seats[seat].state is not SeatState.LEFT
        )
        return "live" if present >= 2 else "lobby"

    def seat_state(self, seat: Seat) -> SeatState | None:
        presence = self._seats.get(seat)
        return presence.state if presence else None

    def seconds_left(self) -> float:
        return max(0.0, (self.info.ends_at - self.clock.now()).total_seconds())

    # -- joining and leaving ------------------------------------------------------------------

    async def join(self, seat: Seat, connection: SeatConnection, request: Join) -> None:
        """Seat `connection` in `seat`: a first join, a reconnect, or a take-over of a device."""
        async with self._lock:
            if self._closed:
                raise RoomClosed()
            now = self.clock.now()
            presence = self._seats.get(seat)
            replaced: SeatConnection | None = None
            previous_media: SeatMedia | None = None
            rejoined = presence is not None and presence.state is not SeatState.LEFT
            if presence is not None and rejoined:
                replaced = presence.connection
                if presence.grace_task is not None:
                    presence.grace_task.cancel()
                    presence.grace_task = None
                # The old connection's media goes on feeding the others until the new one's
                # tracks take over (the media layer closes it then): no gap for them.
                previous_media, presence.media = presence.media, None
                presence.reconnects += 1
                presence.device = request.device
                presence.dropped_at = None
                presence.state = SeatState.JOINED
                how = "took over" if replaced is not None else "reconnected"
                logger.info("meeting %s seat %s %s", self.meeting_id, seat, how)
                await self._record(
                    self.store.seat_reconnected(
                        meeting_id=self.meeting_id, seat=seat, device=request.device
                    )
                )
            else:
                presence = SeatPresence(seat, now, request.device)
                self._seats[seat] = presence
                logger.info("meeting %s seat %s joined", self.meeting_id, seat)
                await self._record(
                    self.store.seat_joined(
                        meeting_id=self.meeting_id, seat=seat, at=now, device=request.device
                    )
                )
            # The join states the devices afresh (a reconnect too): docs/signalling.md.
            presence.muted = {"audio": request.muted.audio, "video": request.muted.video}
            presence.connection = connection
            if replaced is not None:
                self._replaced.add(replaced)
                # The old device learns why before its socket closes; it must not come back.
                self._spawn(replaced.close(SeatTaken()))
            if not self._went_live and not seat.is_observer:
                self._went_live = True
                await self._record(self.store.meeting_live(meeting_id=self.meeting_id, at=now))
            self._note_meeting()
            await self._record_duties(
                self.interpretation.seat_joined(seat, mic_open=not presence.muted["audio"], at=now)
            )
            await connection.send(
                dump(Response(id=request.id, data=self._join_data(seat, rejoined=rejoined)))
            )
            await self._broadcast_presence(presence, SeatState.JOINED, exclude=seat)
            await self._broadcast(dump(self._room_state()))
            await connection.send(dump(self._slot_timer()))
            presence.media = await self.media.add_seat(
                seat, connection.send, observer=seat.is_observer, replaces=previous_media
            )
            await self._interpretation_changed(fresh=seat)
        await presence.media.start()

    async def disconnected(self, connection: SeatConnection) -> None:
        """The connection dropped without `leave`: keep the seat for the grace period."""
        async with self._lock:
            presence = self._presence_of(connection)
            if presence is None or self._closed:
                return
            presence.connection = None
            presence.state = SeatState.RECONNECTING
            presence.dropped_at = self.clock.now()
            presence.speaking = False
            logger.info(
                "meeting %s seat %s dropped; grace %ss",
                self.meeting_id,
                presence.seat,
                self.policy.grace.total_seconds(),
            )
            presence.grace_task = asyncio.create_task(
                self._grace(presence, presence.dropped_at),
                name=f"room-{self.meeting_id}-{presence.seat}-grace",
            )
            self.interpretation.seat_dropped(presence.seat, at=presence.dropped_at)
            self._sent_routing.pop(presence.seat, None)
            await self._broadcast_presence(presence, SeatState.RECONNECTING)
            await self._broadcast(dump(self._room_state()))
            await self._interpretation_changed()

    async def _grace(self, presence: SeatPresence, dropped_at: datetime) -> None:
        await self.clock.sleep_until(dropped_at + self.policy.grace)
        async with self._lock:
            if presence.state is SeatState.RECONNECTING and presence.dropped_at == dropped_at:
                presence.grace_task = None
                await self._seat_left(presence, at=dropped_at, reason="grace_expired")
                await self._broadcast(dump(self._room_state()))
                await self._interpretation_changed()

    async def _seat_left(
        self, presence: SeatPresence, *, at: datetime, reason: LeftReason
    ) -> None:
        presence.state = SeatState.LEFT
        presence.speaking = False
        if presence.grace_task is not None and presence.grace_task is not asyncio.current_task():
            presence.grace_task.cancel()
        presence.grace_task = None
        if presence.media is not None:
            media, presence.media = presence.media, None
            await media.close(reason)
        presence.connection = None
        self._sent_routing.pop(presence.seat, None)
        await self._record_duties(self.interpretation.seat_left(presence.seat, at=at))
        logger.info("meeting %s seat %s left (%s)", self.meeting_id, presence.seat, reason)
        await self._record(
            self.store.seat_left(
                meeting_id=self.meeting_id, seat=presence.seat, at=at, reason=reason
            )
        )
        await self._broadcast_presence(presence, SeatState.LEFT, reason=reason, at=at)

    # -- requests -----------------------------------------------------------------------------

    async def handle(self, connection: SeatConnection, message: ClientMessage) -> dict[str, Any]:
        """Apply one request from `connection`; returns the response data (RoomError if refused)."""
        presence = self._presence_of(connection)
        if self._closed:
            raise RoomClosed()
        if presence is None:
            # A connection the seat has moved away from (taken over, or left).
            raise SeatTaken() if self._was_replaced(connection) else SeatLeft()
        match message:
            case Join():
                raise InvalidState("already joined")
            case Answer() | IceCandidate() | Pause() | Resume() | Publish() | Unpublish():
                if isinstance(message, Publish | Unpublish):
                    self._check_publish(presence.seat, message)
                if presence.media is None:
                    raise InvalidState("no media connection")
                data = await presence.media.handle(message)
                if presence.seat.is_observer and isinstance(message, Publish | Unpublish):
                    if message.kind == "audio":
                        # The organiser is heard once it chose to speak, and not after.
                        async with self._lock:
                            self.interpretation.set_on_air(
                                presence.seat, isinstance(message, Publish)
                            )
                            await self._interpretation_changed()
                return data
            case Mute():
                presence.muted[message.kind] = message.muted
                await self._broadcast(
                    dump(MuteState(seat=presence.seat, kind=message.kind, muted=message.muted))
                )
                self._board(
                    "mute", seat=presence.seat.value, kind=message.kind, muted=message.muted
                )
                if message.kind == "audio" and presence.seat.is_interpreter:
                    async with self._lock:
                        self.interpretation.set_mic(presence.seat, not message.muted)
                        await self._interpretation_changed()
                return {}
            case ChatSend():
                if message.to == "team" and not presence.seat.is_interpreter:
                    raise PermissionDenied("the team chat is the interpreters' own line")
                self._chat_counter += 1
                chat = ChatMessage(
                    message_id=self._chat_counter,
                    seat=presence.seat,
                    text=message.text,
                    at=self.clock.now(),
                    to=message.to,
                )
                if message.to == "team":
                    await self._broadcast(dump(chat), only=INTERPRETER_SEATS)
                else:
                    await self._broadcast(dump(chat))
                self._board(
                    "chat",
                    seat=presence.seat.value,
                    message_id=self._chat_counter,
                    to=message.to,
                )
                return {"message_id": self._chat_counter}
            case Interpretation() | Direction() | Listen() | Floor() | HandoverRequest():
                async with self._lock:
                    if self._closed:
                        raise RoomClosed()
                    await self._interpret(presence.seat, message)
                    await self._interpretation_changed()
                return {}
            case Ping():
                return {}
            case Leave():
                async with self._lock:
                    if presence.state is not SeatState.LEFT:
                        await self._seat_left(presence, at=self.clock.now(), reason="left")
                        await self._broadcast(dump(self._room_state()))
                return {}
        raise InvalidState(f"unhandled message {message.type}")  # pragma: no cover

    # -- interpretation -------------------------------------------------------------------------

    def _check_publish(self, seat: Seat, message: Publish | Unpublish) -> None:
        if message.source is not None and message.source not in SOURCES[message.kind]:
            raise InvalidState(
                f"a {message.kind} track cannot come from {message.source}",
                kind=message.kind,
                source=message.source,
            )
        if isinstance(message, Unpublish):
            return
        if seat.is_observer and message.kind == "video":
            raise PermissionDenied("the organiser's seat is unseen: no video")
        if message.source == "back_channel" and not seat.is_interpreter:
            raise PermissionDenied("only the interpreters publish the back-channel")

    async def _interpret(
        self,
        seat: Seat,
        message: Interpretation | Direction | Listen | Floor | HandoverRequest,
    ) -> None:
        desk = self.interpretation
        match message:
            case Interpretation():
                desk.set_mode(seat, message)
                self._board("interpretation", seat=seat.value, mode=message.mode)
            case Direction():
                desk.set_direction(seat, message)
            case Listen():
                desk.listen(seat, message)
            case Floor():
                desk.mark_floor(seat, message)
                self._board("floor", seat=seat.value, floor=message.floor)
            case HandoverRequest():
                now = self.clock.now()
                await self._record_duties(desk.handover(seat, message, at=now))
                self._board(
                    "handover", seat=seat.value, channel=message.channel, action=message.action
                )

    async def _interpretation_changed(self, *, fresh: Seat | None = None) -> None:
        """Apply the routing rule to the relay and send the notices that changed (under the
        lock). `fresh`: a seat that just joined gets both notices even if unchanged."""
        if self._closed:
            return
        now = self.clock.now()
        desk = self.interpretation
        desk.refresh_silence(now)
        state = dump(desk.notice())
        if state != self._sent_interpretation:
            self._sent_interpretation = state
            await self._broadcast(state)
        elif fresh is not None:
            await self._seats[fresh].send(state)
        self._routes = desk.routes()
        self.media.route_audio(audio_routes(self._routes))
        await self._send_routing(fresh=fresh)
        self._schedule_silence(now)

    async def _send_routing(self, *, fresh: Seat | None = None) -> None:
        """Each connected seat's `routing` notice, when it differs from the last one sent."""
        for seat, presence in list(self._seats.items()):
            if presence.connection is None or presence.state is not SeatState.JOINED:
                continue
            feeds = [
                feed.model_copy(update={"track_id": track_id})
                for ref, feed in sorted(self._routes.get(seat, {}).items())
                for track_id in self.media.audio_tracks(*ref)
            ]
            message = dump(Routing(feeds=feeds))
            if message != self._sent_routing.get(seat) or seat is fresh:
                self._sent_routing[seat] = message
                await presence.connection.send(message)

    def _schedule_silence(self, now: datetime) -> None:
        """One timer for the moment a quiet voice turns its channel silent."""
        when = self.interpretation.next_silence_change(now)
        if when == self._silence_at and self._silence_task is not None:
            return
        if self._silence_task is not None and self._silence_task is not asyncio.current_task():
            self._silence_task.cancel()
        self._silence_task = None
        self._silence_at = when
        if when is not None:
            self._silence_task = asyncio.create_task(
                self._silence_timer(when), name=f"room-{self.meeting_id}-silence"
            )

    async def _silence_timer(self, when: datetime) -> None:
        await self.clock.sleep_until(when)
        async with self._lock:
            if self._silence_task is asyncio.current_task():
                self._silence_task = None
                self._silence_at = None
            await self._interpretation_changed()

    async def _voice(self, seat: Seat, speaking: bool, at: datetime) -> None:
        async with self._lock:
            if self._closed:
                return
            self.interpretation.voice_changed(seat, speaking, at=at)
            await self._interpretation_changed()

    async def _tracks_changed(self) -> None:
        async with self._lock:
            if not self._closed:
                await self._send_routing()

    async def _record_duties(self, duties: list[Duty]) -> None:
        for duty in duties:
            logger.info("meeting %s: %s off duty on %s", self.meeting_id, duty.seat, duty.channel)
            await self._record(
                self.store.interpreter_duty(
                    meeting_id=self.meeting_id,
                    seat=duty.seat,
                    channel=duty.channel,
                    started_at=duty.started_at,
                    ended_at=duty.ended_at,
                )
            )

    # -- media callbacks ----------------------------------------------------------------------

    def media_speaking(self, seat: Seat, speaking: bool) -> None:
        presence = self._seats.get(seat)
        if presence is None or presence.speaking == speaking or self._closed:
            return
        presence.speaking = speaking
        at = self.clock.now()
        self._spawn(self._broadcast(dump(Speaking(seat=seat, speaking=speaking, at=at))))
        self._spawn(self._voice(seat, speaking, at))
        self._board("speaking", seat=seat.value, speaking=speaking, at=at)

    def media_active_speaker(self, seat: Seat | None) -> None:
        if seat == self._active_speaker or self._closed:
            return
        self._active_speaker = seat
        at = self.clock.now()
        self._spawn(self._broadcast(dump(ActiveSpeaker(seat=seat, at=at))))
        self._board("active_speaker", seat=seat.value if seat else None, at=at)

    def media_failed(self, seat: Seat, reason: str) -> None:
        presence = self._seats.get(seat)
        if presence is None or presence.connection is None or self._closed:
            return
        logger.warning("meeting %s seat %s media failed: %s", self.meeting_id, seat, reason)
        # The client rejoins with a fresh peer connection; the seat is kept for the grace period.
        self._spawn(presence.connection.close(MediaFailed(reason)))

    def media_tracks_changed(self) -> None:
        if not self._closed:
            self._spawn(self._tracks_changed())

    # -- the slot -----------------------------------------------------------------------------

    async def extend(self, ends_at: datetime) -> None:
        """Move the slot's end (the organiser extends it); the timer restarts from there."""
        if self._closed:
            raise RoomClosed()
        self.info = dataclasses.replace(self.info, ends_at=ends_at)
        self._warned = self.clock.now() >= ends_at - self.policy.end_warning
        self._timer.cancel()
        self._timer = asyncio.create_task(self._run_timer(), name=f"room-{self.meeting_id}-timer")
        logger.info("meeting %s extended to %s", self.meeting_id, isoformat(ends_at))
        await self._broadcast(dump(self._slot_timer()))
        self._board("timer", ends_at=isoformat(ends_at), seconds_left=self.seconds_left())

    async def _run_timer(self) -> None:
        if not self._warned:
            await self.clock.sleep_until(self.info.ends_at - self.policy.end_warning)
            self._warned = True
            logger.info("meeting %s: end warning", self.meeting_id)
            await self._broadcast(dump(self._slot_timer()))
            self._board("timer", ends_at=isoformat(self.info.ends_at), warning=True)
        await self.clock.sleep_until(self.info.ends_at)
        await self.close(RoomClosed("the slot has ended"), final=True)

    async def close(self, error: RoomError, *, final: bool) -> None:
        """Close the room: every seat leaves and is told `error`; idempotent.

        `final` settles the meeting's status (slot over, organiser ended it); a shutdown is
        not final, so the seats may come back when the service is up again.
        """
        if self._closed:
            return
        async with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._timer is not asyncio.current_task():
                self._timer.cancel()
            now = self.clock.now()
            if self._silence_task is not None:
                self._silence_task.cancel()
            await self._record_duties(self.interpretation.close(now))
            if final:
                # The record first: tearing media down can take a while on a busy machine.
                outcome = CloseOutcome.COMPLETED if self._met else CloseOutcome.NO_SHOW
                logger.info("meeting %s closed: %s", self.meeting_id, outcome)
                await self._record(
                    self.store.meeting_closed(meeting_id=self.meeting_id, outcome=outcome)
                )
            reason: LeftReason = "room_closed" if final else "server_shutdown"
            for presence in self._seats.values():
                if presence.state is SeatState.LEFT:
                    continue
                connection = presence.connection
                presence.media = None  # the relay room closes every peer at once, below
                await self._seat_left(presence, at=presence.dropped_at or now, reason=reason)
                if connection is not None:
                    await connection.close(error)
            try:
                await self.media.close()
            except Exception:  # the media layer's failure must not keep the room half-open
                logger.exception("meeting %s: closing media failed", self.meeting_id)
            self._board("room", phase="closed", final=final)
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self._on_closed(self)

    # -- views --------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The room as the organiser's board shows it."""
        now = self.clock.now()
        seats: dict[str, Any] = {}
        for seat, presence in self._seats.items():
            seats[seat.value] = {
                "state": presence.state.value,
                "joined_at": isoformat(presence.joined_at),
                "dropped_at": isoformat(presence.dropped_at) if presence.dropped_at else None,
                "speaking": presence.speaking,
                "muted": dict(presence.muted),
                "device": presence.device,
                "reconnects": presence.reconnects,
                "media": presence.media.stats() if presence.media is not None else {},
            }
        return {
            "meeting_id": self.meeting_id,
            "mission_id": self.info.mission_id,
            "phase": self.phase,
            "starts_at": isoformat(self.info.starts_at),
            "ends_at": isoformat(self.info.ends_at),
            "seconds_left": max(0.0, (self.info.ends_at - now).total_seconds()),
            "warning": self._warned,
            "active_speaker": self._active_speaker.value if self._active_speaker else None,
            "labels": {seat.value: label for seat, label in self.info.labels.items()},
            "seats": seats,
            "interpretation": dump(self.interpretation.notice()),
        }

    def _join_data(self, seat: Seat, *, rejoined: bool) -> JoinData:
        return JoinData(
            seat=seat,
            meeting_id=self.meeting_id,
            protocol=PROTOCOL_VERSION,
            rejoined=rejoined,
            phase="live" if self.phase == "live" else "lobby",
            seats={s: p.state.value for s, p in self._seats.items()},
            muted={
                s: MutedState(**p.muted)
                for s, p in self._seats.items()
                if p.state is not SeatState.LEFT
            },
            speaking=sorted((s for s, p in self._seats.items() if p.speaking), key=str),
            starts_at=self.info.starts_at,
            ends_at=self.info.ends_at,
        )

    def _room_state(self) -> RoomState:
        return RoomState(
            phase="closed" if self._closed else ("live" if self.phase == "live" else "lobby"),
            seats={seat: presence.state.value for seat, presence in self._seats.items()},
        )

    def _slot_timer(self) -> SlotTimer:
        return SlotTimer(
            starts_at=self.info.starts_at,
            ends_at=self.info.ends_at,
            seconds_left=round(self.seconds_left(), 1),
            warning=self._warned,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _presence_of(self, connection: SeatConnection) -> SeatPresence | None:
        for presence in self._seats.values():
            if presence.connection is connection:
                return presence
        return None

    def _was_replaced(self, connection: SeatConnection) -> bool:
        return connection in self._replaced

    def _note_meeting(self) -> None:
        present = {
            seat for seat, presence in self._seats.items() if presence.state is SeatState.JOINED
        }
        if {Seat.COMPANY, Seat.BUYER} <= present:
            self._met = True

    async def _broadcast(
        self,
        message: dict[str, Any],
        *,
        exclude: Seat | None = None,
        only: tuple[Seat, ...] | None = None,
    ) -> None:
        for seat, presence in list(self._seats.items()):
            if seat is exclude or (only is not None and seat not in only):
                continue
            if presence.connection is not None:
                await presence.connection.send(message)

    async def _broadcast_presence(
        self,
        presence: SeatPresence,
        state: SeatState,
        *,
        exclude: Seat | None = None,
        reason: LeftReason = "",
        at: datetime | None = None,
    ) -> None:
        at = at or self.clock.now()
        muted = MutedState(**presence.muted) if state is SeatState.JOINED else None
        message = Presence(
            seat=presence.seat, state=state.value, at=at, reason=reason, muted=muted
        )
        await self._broadcast(dump(message), exclude=exclude)
        self._board(
            "presence",
            seat=presence.seat.value,
            state=state.value,
            reason=reason,
            at=at,
            phase=self.phase,
        )

    def _board(self, event_type: str, *, at: datetime | None = None, **data: Any) -> None:
        event = {
            "type": event_type,
            "mission_id": self.info.mission_id,
            "meeting_id": self.meeting_id,
            "at": isoformat(at or self.clock.now()),
            **data,
        }
        self.bus.publish(self.info.mission_id, event)

    async def _record(self, operation: Coroutine[Any, Any, None]) -> None:
        # The live room carries on when the database hiccups; the log says what was lost.
        try:
            await operation
        except Exception:
            logger.exception("meeting %s: could not record room event", self.meeting_id)

    def _spawn(self, operation: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(operation)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "meeting %s: background task failed",
                self.meeting_id,
                exc_info=task.exception(),
            )
