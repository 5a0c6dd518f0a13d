"""The audio routing rule: room state -> which audio tracks each peer receives, and at what level.

Per-listener subscription (Jitsi's "all / none / chosen"): a peer receives only the tracks
its own choice needs and never its own audio. The rule is a pure function; rooms/ keeps
the previous answer and hands `diff(previous, route(state))` to rtc/ to apply.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from interpreters.exceptions import RelayLoop, UnknownChannel, UnknownPeer
from interpreters.state import Choice, Mode, Role, RoomState, TrackRef, TrackSource

FULL = 1.0


class Layer(enum.StrEnum):
    """What a received track is to its listener (the client sets one gain per layer)."""

    FLOOR = "floor"
    CHANNEL = "channel"
    BACK_CHANNEL = "back_channel"


@dataclass(frozen=True, slots=True)
class Feed:
    """How one listener receives one track: the gain hint and what the track is to them."""

    level: float
    layer: Layer
    channel: str | None = None  # for Layer.CHANNEL: the language channel it carries


# listener peer id -> the tracks it receives; a peer receiving nothing has no entry, so two
# routings are equal exactly when they subscribe the same tracks at the same levels.
Routing = Mapping[str, Mapping[TrackRef, Feed]]


class Action(enum.StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    ADJUST = "adjust"  # still received, with another level or layer
    SUBSCRIBE = "subscribe"


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    listener: str
    track: TrackRef
    feed: Feed | None  # the new feed; None when unsubscribing


def floor_speakers(state: RoomState) -> frozenset[str]:
    """The peers whose microphone is the floor in the current mode.

    In simultaneous mode interpreters are off the floor: the live one speaks into a channel
    and a partner's open microphone must not reach the room.
    """
    speakers: set[str] = set()
    for peer_id, participant in state.participants.items():
        if participant.role is Role.ORGANISER:
            if participant.on_air:
                speakers.add(peer_id)
        elif participant.role is Role.INTERPRETER:
            if state.mode is Mode.CONSECUTIVE:
                speakers.add(peer_id)
        else:
            speakers.add(peer_id)
    return frozenset(speakers)


def sounding_channels(state: RoomState) -> dict[str, str]:
    """Channel -> the interpreter whose voice goes into it now (simultaneous mode)."""
    sounding: dict[str, str] = {}
    for peer_id in set(state.live.values()):
        channel = state.speaks_into(peer_id)
        if channel is not None:
            sounding[channel] = peer_id
    return sounding


def _chosen_channel(state: RoomState, peer_id: str) -> str | None:
    channel = state.choice_of(peer_id).channel
    return channel if channel in state.channels else None


def _feeds_back(state: RoomState, peer_id: str, channel: str) -> bool:
    """Whether listening to `channel` would bring `peer_id`'s own interpretation back to them.

    Follows the relay chain channel -> its holder -> the holder's source channel -> ... and
    answers True when it reaches a channel `peer_id` holds. A chain that cycles without
    reaching one is someone else's loop; each of its members gets True for itself.
    """
    held = state.held_by(peer_id)
    seen: set[str] = set()
    current: str | None = channel
    while current is not None and current not in seen:
        if current in held:
            return True
        seen.add(current)
        holder = state.live.get(current)
        current = _chosen_channel(state, holder) if holder is not None else None
    return False


def relay_sources(state: RoomState) -> dict[str, str | None]:
    """Each present peer's effective channel choice (None: the floor).

    A choice naming an unknown channel counts as the floor. An interpreter whose relay chain
    loops back to a channel they hold hears the floor instead: the loop can arise without
    anyone choosing it (a partner monitoring channel X takes X over), so the rule ignores it
    rather than refusing the handover; `check_relay` refuses such a choice up front.
    """
    sources: dict[str, str | None] = {}
    for peer_id in state.participants:
        channel = _chosen_channel(state, peer_id)
        if channel is not None and _feeds_back(state, peer_id, channel):
            channel = None
        sources[peer_id] = channel
    return sources


def check_relay(state: RoomState, peer_id: str, channel: str | None) -> None:
    """Raise unless `peer_id` may listen to `channel` (None: the floor) in this state."""
    if peer_id not in state.participants:
        raise UnknownPeer(peer_id=peer_id)
    if channel is None:
        return
    if channel not in state.channels:
        raise UnknownChannel(channel=channel)
    if _feeds_back(state, peer_id, channel):
        raise RelayLoop(peer_id=peer_id, channel=channel)


def choose(state: RoomState, peer_id: str, choice: Choice) -> RoomState:
    """The state with `peer_id`'s new choice, refused if it names no channel or loops."""
    check_relay(state, peer_id, choice.channel)
    return state.with_choice(peer_id, choice)


def route(state: RoomState) -> dict[str, dict[TrackRef, Feed]]:
    """For each present peer, the audio tracks it receives and the level of each."""
    floor = floor_speakers(state)
    interpreters = frozenset(
        peer_id for peer_id, p in state.participants.items() if p.role is Role.INTERPRETER
    )
    simultaneous = state.mode is Mode.SIMULTANEOUS
    sources = relay_sources(state) if simultaneous else {}
    sounding = sounding_channels(state) if simultaneous else {}
    routing: dict[str, dict[TrackRef, Feed]] = {}
    for peer_id in sorted(state.participants):
        choice = state.choice_of(peer_id)
        feeds: dict[TrackRef, Feed] = {}
        floor_level = FULL
        channel = sources.get(peer_id)
        if channel is not None:
            voice = sounding.get(channel)
            # relay_sources already keeps an interpreter off their own channel; checked
            # again here so that "never your own audio" does not rest on that alone.
            if voice is not None and voice != peer_id:
                feeds[TrackRef(voice)] = Feed(FULL, Layer.CHANNEL, channel)
            quiet = voice is None or voice == peer_id or channel in state.silent
            floor_level = FULL if quiet and choice.fallback else choice.floor_level
        # A floor at level 0 is not subscribed, unless the fallback may raise it at any
        # moment: then it stays subscribed so the client can raise it without a new offer.
        if floor_level > 0 or (channel is not None and choice.fallback):
            for speaker in floor - {peer_id}:
                feeds[TrackRef(speaker)] = Feed(floor_level, Layer.FLOOR)
        if peer_id in interpreters and choice.back_channel:
            for partner in interpreters - {peer_id}:
                feeds[TrackRef(partner, TrackSource.BACK_CHANNEL)] = Feed(FULL, Layer.BACK_CHANNEL)
        if feeds:
            routing[peer_id] = feeds
    return routing


_ORDER = {Action.UNSUBSCRIBE: 0, Action.ADJUST: 1, Action.SUBSCRIBE: 2}


def diff(old: Routing, new: Routing) -> tuple[Change, ...]:
    """The changes that turn `old` into `new`, and nothing else.

    Unsubscriptions come first, so that during a handover no listener hears both
    interpreters for a moment, and bandwidth is freed before it is used.
    """
    changes: list[Change] = []
    for listener in old.keys() | new.keys():
        before = old.get(listener, {})
        after = new.get(listener, {})
        for track in before.keys() - after.keys():
            changes.append(Change(Action.UNSUBSCRIBE, listener, track, None))
        for track, feed in after.items():
            previous = before.get(track)
            if previous is None:
                changes.append(Change(Action.SUBSCRIBE, listener, track, feed))
            elif previous != feed:
                changes.append(Change(Action.ADJUST, listener, track, feed))
    changes.sort(key=lambda c: (_ORDER[c.action], c.listener, c.track))
    return tuple(changes)


def apply(routing: Routing, changes: Iterable[Change]) -> dict[str, dict[TrackRef, Feed]]:
    """`routing` with `changes` applied (what rtc/ ends up forwarding)."""
    result = {listener: dict(feeds) for listener, feeds in routing.items()}
    for change in changes:
        feeds = result.setdefault(change.listener, {})
        if change.feed is None:
            feeds.pop(change.track, None)
        else:
            feeds[change.track] = change.feed
    return {listener: feeds for listener, feeds in result.items() if feeds}
