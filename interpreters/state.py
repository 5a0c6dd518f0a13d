"""The room state the routing rule reads: seats, mode, channels, who is live, each choice."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from interpreters.exceptions import (
    InvalidLevel,
    NotAnInterpreter,
    UnknownChannel,
    UnknownPeer,
)

DEFAULT_FLOOR_LEVEL = 0.2  # Zoom's "original audio" under a language channel


class Role(enum.StrEnum):
    """A seat's role; the values are those of `rooms.seats.Seat`, so `Role(seat.value)` works."""

    COMPANY = "company"
    BUYER = "buyer"
    INTERPRETER = "interpreter"
    ORGANISER = "organiser"


class Mode(enum.StrEnum):
    CONSECUTIVE = "consecutive"  # one floor; the interpreter speaks after each side
    SIMULTANEOUS = "simultaneous"  # interpreters speak into language channels


class TrackSource(enum.StrEnum):
    """Which of a peer's published audio tracks a `TrackRef` names."""

    MIC = "mic"  # the seat's microphone: the floor, or an interpreter's channel output
    BACK_CHANNEL = "back_channel"  # an interpreter's private line to the partner(s)


@dataclass(frozen=True, slots=True, order=True)
class TrackRef:
    """A published audio track, named by its owner; rtc/ maps it to the real track."""

    peer_id: str
    source: TrackSource = TrackSource.MIC


@dataclass(frozen=True, slots=True)
class Participant:
    """A seat present in the room."""

    role: Role
    language: str | None = None  # the floor language the seat speaks (informational)
    # Only read for the organiser, who is muted to the room unless they chose to speak;
    # the other seats are always heard.
    on_air: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """What one listener asked to hear (simultaneous mode; consecutive ignores it).

    For an interpreter, `channel` is the relay source: the channel they interpret from
    instead of the floor.
    """

    channel: str | None = None  # None: the floor only
    floor_level: float = DEFAULT_FLOOR_LEVEL  # the floor under the channel, 0..1
    # Silent-channel fallback: while the chosen channel carries no interpretation, hear the
    # floor at full level (the speaker may be talking in the listener's own language).
    fallback: bool = True
    back_channel: bool = True  # interpreters: hear the partners' private line

    def __post_init__(self) -> None:
        # `not (0 <= x <= 1)` also refuses NaN.
        if not 0.0 <= self.floor_level <= 1.0:
            raise InvalidLevel(level=self.floor_level)


@dataclass(frozen=True, slots=True)
class RoomState:
    """Everything the routing rule reads; build a new one for each change (they are cheap).

    `live` maps a channel to the interpreter holding its microphone (the handover desk's
    answer: at most one per channel). An interpreter may hold several channels, e.g. both
    languages of a Korean <-> English pair; `directions` says which of them they speak into
    now. An interpreter holding exactly one channel speaks into it; one holding several
    speaks into none until a direction names one of them.
    """

    mode: Mode = Mode.CONSECUTIVE
    participants: Mapping[str, Participant] = field(default_factory=dict)
    channels: frozenset[str] = frozenset()
    live: Mapping[str, str] = field(default_factory=dict)
    directions: Mapping[str, str] = field(default_factory=dict)
    # Listeners without an entry hear the floor only; entries of absent peers are kept so a
    # reconnecting seat finds its choice again.
    choices: Mapping[str, Choice] = field(default_factory=dict)
    # Channels with a live interpreter who has not spoken for a while (audio-level events);
    # their listeners get the floor at full level, see `Choice.fallback`.
    silent: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for channel, peer_id in self.live.items():
            if channel not in self.channels:
                raise UnknownChannel(channel=channel)
            participant = self.participants.get(peer_id)
            if participant is None:
                raise UnknownPeer(peer_id=peer_id)
            if participant.role is not Role.INTERPRETER:
                raise NotAnInterpreter(peer_id=peer_id)

    def choice_of(self, peer_id: str) -> Choice:
        return self.choices.get(peer_id, Choice())

    def held_by(self, peer_id: str) -> frozenset[str]:
        """The channels whose microphone `peer_id` holds."""
        return frozenset(channel for channel, holder in self.live.items() if holder == peer_id)

    def speaks_into(self, peer_id: str) -> str | None:
        """The channel an interpreter's voice goes to now (simultaneous mode), if any."""
        held = self.held_by(peer_id)
        direction = self.directions.get(peer_id)
        if direction in held:
            return direction
        if len(held) == 1:
            return next(iter(held))
        return None

    def with_choice(self, peer_id: str, choice: Choice) -> RoomState:
        return dataclasses.replace(self, choices={**self.choices, peer_id: choice})

    def with_mode(self, mode: Mode) -> RoomState:
        return dataclasses.replace(self, mode=mode)
