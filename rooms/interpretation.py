"""A room's interpretation: mode, channels, handover desks, floor marker and silence, turned
into the audio each seat receives by the pure rule of interpreters/ (route, diff).

The room owns one `InterpretationDesk`; every request and event changes it under the room's
lock, then the room applies `routes()` to the relay and sends the notices that changed.
Peer ids of interpreters/ are seat values, so a reconnecting seat keeps its choice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from interpreters import (
    Choice,
    FloorMarker,
    Handover,
    InterpretationError,
    Mode,
    Participant,
    Role,
    RoomState,
    TrackRef,
    Turn,
    VoiceActivity,
    choose,
    live_by_channel,
    route,
)
from interpreters.exceptions import (
    FloorMarkNotAllowed,
    FloorMarkUnavailable,
    NotAnInterpreter,
    RelayLoop,
    UnknownChannel,
)
from rooms.errors import InvalidState, NotFound, PermissionDenied, RoomError
from rooms.media import AudioRef, AudioRoutes
from rooms.messages import (
    Direction,
    Floor,
    FloorTurn,
    HandoverRequest,
    Interpretation,
    InterpretationState,
    Listen,
    RoutingFeed,
)
from rooms.seats import Seat

logger = logging.getLogger(__name__)

# Who may switch the mode and mark the floor: the interpreters run it, the organiser runs the day.
MODE_SEATS = frozenset({Seat.INTERPRETER, Seat.PARTNER, Seat.ORGANISER})

_TURNS: dict[FloorTurn | None, Turn] = {
    None: Turn.OPEN,
    "company": Turn.COMPANY,
    "buyer": Turn.BUYER,
    "interpreting": Turn.INTERPRETING,
}
_FLOOR_NAMES: dict[Turn, FloorTurn] = {t: name for name, t in _TURNS.items() if name is not None}


@dataclass(frozen=True, slots=True)
class Duty:
    """A stretch of time one interpreter seat held one channel's microphone."""

    seat: Seat
    channel: str
    started_at: datetime
    ended_at: datetime


def role_of(seat: Seat) -> Role:
    return Role.INTERPRETER if seat.is_interpreter else Role(seat.value)


def room_error(error: InterpretationError) -> RoomError:
    """The signalling error for a refusal of interpreters/ (details.code names the cause)."""
    details = {"code": error.code, **error.details}
    if isinstance(error, UnknownChannel):
        return NotFound(error.message, **details)
    if isinstance(error, NotAnInterpreter | FloorMarkNotAllowed):
        return PermissionDenied(error.message, **details)
    if isinstance(error, RelayLoop | FloorMarkUnavailable):
        return InvalidState(error.message, **details)
    return InvalidState(error.message, **details)


class InterpretationDesk:
    """Everything interpreters/ needs of one room, kept as values and rebuilt per change."""

    def __init__(self, channels: Mapping[Seat, tuple[str, ...]], *, hold: float) -> None:
        # Channels each interpreter seat works on (the languages of their pairs).
        self.seat_channels = {seat: tuple(c) for seat, c in channels.items() if seat.is_interpreter}
        self.channels = tuple(
            sorted({channel for chans in self.seat_channels.values() for channel in chans})
        )
        self.state = RoomState(channels=frozenset(self.channels))
        self.desks: dict[str, Handover] = {channel: Handover(channel) for channel in self.channels}
        self.floor = FloorMarker()
        self.voice = VoiceActivity(hold=hold)
        self.connected: set[Seat] = set()  # present seats with a live connection
        # Interpreter seats whose microphone carried voice within the silence hold (the
        # relay's speaking events): with an open microphone, they count for the alarm.
        self.sounding: frozenset[str] = frozenset()
        self._duty: dict[str, tuple[Seat, datetime]] = {}
        self._closed = False

    # -- time ---------------------------------------------------------------------------------

    @staticmethod
    def seconds(at: datetime) -> float:
        return at.timestamp()

    # -- seats --------------------------------------------------------------------------------

    def seat_joined(self, seat: Seat, *, mic_open: bool, at: datetime) -> list[Duty]:
        """A seat is in the room (first join or reconnect); interpreters join their desks."""
        participants = dict(self.state.participants)
        # A new connection is off the air until it publishes audio again (the organiser).
        participants[seat.value] = Participant(role_of(seat))
        self.state = dataclasses.replace(self.state, participants=participants)
        self.connected.add(seat)
        if seat.is_interpreter:
            for channel in self.seat_channels.get(seat, ()):
                desk = self.desks[channel].join(seat.value)
                self.desks[channel] = desk.set_mic(seat.value, mic_open)
        return self._sync(at)

    def seat_dropped(self, seat: Seat, *, at: datetime) -> None:
        """The connection dropped; the seat keeps its place (and any microphone it holds)
        for the grace period, but its microphone counts as closed."""
        self.connected.discard(seat)
        self.voice = self.voice.update(seat.value, False, at=self.seconds(at))
        for channel, desk in self.desks.items():
            if seat.value in desk.team:
                self.desks[channel] = desk.set_mic(seat.value, False)

    def seat_left(self, seat: Seat, *, at: datetime) -> list[Duty]:
        self.connected.discard(seat)
        participants = {p: v for p, v in self.state.participants.items() if p != seat.value}
        for channel, desk in self.desks.items():
            self.desks[channel] = desk.leave(seat.value)
        self.state = dataclasses.replace(
            self.state,
            participants=participants,
            live=live_by_channel(self.desks.values()),
            directions={p: c for p, c in self.state.directions.items() if p != seat.value},
        )
        return self._sync(at)

    def set_on_air(self, seat: Seat, on_air: bool) -> None:
        participant = self.state.participants.get(seat.value)
        if participant is None or participant.on_air == on_air:
            return
        participants = {
            **self.state.participants,
            seat.value: dataclasses.replace(participant, on_air=on_air),
        }
        self.state = dataclasses.replace(self.state, participants=participants)

    def set_mic(self, seat: Seat, is_open: bool) -> None:
        for channel, desk in self.desks.items():
            if seat.value in desk.team:
                self.desks[channel] = desk.set_mic(seat.value, is_open)

    # -- requests -----------------------------------------------------------------------------

    def set_mode(self, seat: Seat, request: Interpretation) -> None:
        if seat not in MODE_SEATS:
            raise PermissionDenied("only the interpreters or the organiser switch the mode")
        mode = Mode(request.mode)
        if mode is self.state.mode:
            return
        self.state = self.state.with_mode(mode)
        if mode is Mode.SIMULTANEOUS:
            self.floor = self.floor.reset()
        logger.info("interpretation mode %s (by %s)", mode, seat)

    def set_direction(self, seat: Seat, request: Direction) -> None:
        if not seat.is_interpreter:
            raise PermissionDenied("only an interpreter sets a direction")
        if request.channel not in self.desks:
            raise NotFound(
                f"no channel {request.channel!r} in this meeting", channel=request.channel
            )
        if self.desks[request.channel].live != seat.value:
            raise InvalidState(
                f"{seat} does not hold the microphone of {request.channel!r}",
                code="not_live",
                channel=request.channel,
            )
        self.state = dataclasses.replace(
            self.state, directions={**self.state.directions, seat.value: request.channel}
        )

    def listen(self, seat: Seat, request: Listen) -> None:
        if request.channel is not None and request.channel not in self.desks:
            raise NotFound(
                f"no channel {request.channel!r} in this meeting", channel=request.channel
            )
        choice = Choice(
            channel=request.channel,
            floor_level=request.floor_level,
            fallback=request.fallback,
            back_channel=request.back_channel,
        )
        try:
            self.state = choose(self.state, seat.value, choice)
        except InterpretationError as exc:
            raise room_error(exc) from exc

    def mark_floor(self, seat: Seat, request: Floor) -> None:
        if seat not in MODE_SEATS:
            raise PermissionDenied("only the interpreters or the organiser mark the floor")
        try:
            self.floor = self.floor.mark(
                _TURNS[request.floor], by=seat.value, role=role_of(seat), mode=self.state.mode
            )
        except InterpretationError as exc:
            raise room_error(exc) from exc

    def handover(self, seat: Seat, request: HandoverRequest, *, at: datetime) -> list[Duty]:
        if not seat.is_interpreter:
            raise PermissionDenied("only the interpreters hand the microphone over")
        desk = self.desks.get(request.channel)
        if desk is None:
            raise NotFound(
                f"no channel {request.channel!r} in this meeting", channel=request.channel
            )
        by = seat.value
        try:
            match request.action:
                case "hand_over":
                    desk = desk.hand_over_now(by)
                case "request":
                    desk = desk.request(by)
                case "accept":
                    desk = desk.accept(by)
                case "decline":
                    desk = desk.decline(by)
                case "take":
                    desk = self._take(desk, seat)
        except InterpretationError as exc:
            raise room_error(exc) from exc
        self.desks[request.channel] = desk
        return self._sync(at)

    def _take(self, desk: Handover, seat: Seat) -> Handover:
        """Take the microphone when its holder's connection dropped (grace period)."""
        away = desk.live is None or Seat(desk.live) not in self.connected
        return desk.take(seat.value, away=away)

    # -- voice --------------------------------------------------------------------------------

    def voice_changed(self, seat: Seat, speaking: bool, *, at: datetime) -> None:
        self.voice = self.voice.update(seat.value, speaking, at=self.seconds(at))
        self.refresh_silence(at)

    def refresh_silence(self, at: datetime) -> None:
        now = self.seconds(at)
        silent = self.voice.silent_channels(self.state, now=now)
        if silent != self.state.silent:
            self.state = dataclasses.replace(self.state, silent=silent)
        team = {peer_id for desk in self.desks.values() for peer_id in desk.team}
        self.sounding = frozenset(p for p in team if not self.voice.quiet(p, now=now))

    def alarm(self) -> list[str]:
        """Channels where two microphones are open and sending voice: one interpreter
        believes they are on air while the other is. An open microphone that is quiet (a
        partner listening, a muted client that has not said so yet) does not count."""
        return sorted(
            channel
            for channel, desk in self.desks.items()
            if len(desk.mics_open & self.sounding) >= 2
        )

    def next_silence_change(self, at: datetime) -> datetime | None:
        when = self.voice.next_change(now=self.seconds(at))
        return datetime.fromtimestamp(when, UTC) if when is not None else None

    # -- duty ---------------------------------------------------------------------------------

    def _sync(self, at: datetime) -> list[Duty]:
        """Bring `state.live` in line with the desks; the duties that ended."""
        live = live_by_channel(self.desks.values())
        self.state = dataclasses.replace(
            self.state,
            live=live,
            # A direction names a channel its interpreter still holds, or it is dropped.
            directions={p: c for p, c in self.state.directions.items() if live.get(c) == p},
        )
        self.refresh_silence(at)
        ended: list[Duty] = []
        if self._closed:
            return ended  # the seats leaving a closed room hand nothing over
        for channel in self.channels:
            holder = live.get(channel)
            current = self._duty.get(channel)
            if current is not None and current[0].value != holder:
                ended.append(Duty(current[0], channel, current[1], at))
                del self._duty[channel]
            if holder is not None and channel not in self._duty:
                self._duty[channel] = (Seat(holder), at)
        return ended

    def close(self, at: datetime) -> list[Duty]:
        """The room closes: every duty still running ends now."""
        ended = [Duty(seat, channel, since, at) for channel, (seat, since) in self._duty.items()]
        self._duty.clear()
        self._closed = True
        return ended

    # -- views --------------------------------------------------------------------------------

    def notice(self) -> InterpretationState:
        turn = self.floor.turn
        return InterpretationState(
            mode=self.state.mode.value,
            channels=list(self.channels),
            live={c: Seat(p) for c, p in sorted(self.state.live.items())},
            team={c: [Seat(p) for p in d.team] for c, d in self.desks.items()},
            requested_by={
                c: Seat(d.requested_by) if d.requested_by else None for c, d in self.desks.items()
            },
            directions={Seat(p): c for p, c in sorted(self.state.directions.items())},
            floor=_FLOOR_NAMES.get(turn),
            alarm=self.alarm(),
            silent=sorted(self.state.silent),
        )

    def routes(self) -> dict[Seat, dict[AudioRef, RoutingFeed]]:
        """Listener seat -> audio ref -> its feed (track id left blank: the media fills it)."""
        result: dict[Seat, dict[AudioRef, RoutingFeed]] = {}
        for listener, feeds in route(self.state).items():
            result[Seat(listener)] = {
                _ref(track): RoutingFeed(
                    track_id="",
                    seat=Seat(track.peer_id),
                    source=track.source.value,
                    layer=feed.layer.value,
                    channel=feed.channel,
                    level=feed.level,
                )
                for track, feed in feeds.items()
            }
        return result


def _ref(track: TrackRef) -> AudioRef:
    return (Seat(track.peer_id), track.source.value)


def audio_routes(routes: Mapping[Seat, Mapping[AudioRef, RoutingFeed]]) -> AudioRoutes:
    return {seat: frozenset(feeds) for seat, feeds in routes.items()}
