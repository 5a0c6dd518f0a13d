"""Hypothesis strategies for room states, and small independent oracles the tests compare to."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from interpreters.state import Choice, Mode, Participant, Role, RoomState

LANGUAGES = ("ko", "en", "ru", "th")
UNKNOWN_CHANNEL = "xx"  # a choice naming a channel the room does not have

_NONE: frozenset[str] = frozenset()

levels = st.one_of(st.sampled_from([0.0, 0.2, 1.0]), st.floats(0.0, 1.0))


@st.composite
def choices(draw: st.DrawFn, channels: frozenset[str]) -> Choice:
    options: list[str | None] = [None, *sorted(channels), UNKNOWN_CHANNEL]
    return Choice(
        channel=draw(st.sampled_from(options)),
        floor_level=draw(levels),
        fallback=draw(st.booleans()),
        back_channel=draw(st.booleans()),
    )


@st.composite
def participants(draw: st.DrawFn) -> dict[str, Participant]:
    counts = {
        Role.COMPANY: draw(st.integers(0, 2)),
        Role.BUYER: draw(st.integers(0, 2)),
        Role.INTERPRETER: draw(st.integers(0, 3)),
        Role.ORGANISER: draw(st.integers(0, 2)),
    }
    seats: dict[str, Participant] = {}
    for role, count in counts.items():
        for k in range(count):
            seats[f"{role.value}{k}"] = Participant(
                role=role,
                language=draw(st.sampled_from(LANGUAGES)),
                on_air=draw(st.booleans()),
            )
    return seats


@st.composite
def room_states(draw: st.DrawFn, mode: Mode | None = None) -> RoomState:
    seats = draw(participants())
    interpreters = sorted(p for p, s in seats.items() if s.role is Role.INTERPRETER)
    channels = frozenset(draw(st.sets(st.sampled_from(LANGUAGES))))
    live: dict[str, str] = {}
    for channel in sorted(channels):
        holder = draw(st.sampled_from([None, *interpreters]))
        if holder is not None:
            live[channel] = holder
    directions: dict[str, str] = {}
    for interpreter in interpreters:
        held = sorted(c for c, p in live.items() if p == interpreter)
        # Mostly a held channel; sometimes a stale or missing direction, which the rule
        # must survive.
        direction = draw(st.sampled_from([*held, *LANGUAGES, None]) if held else st.none())
        if direction is not None:
            directions[interpreter] = direction
    chosen: dict[str, Choice] = {}
    for peer_id in sorted(seats):
        if draw(st.booleans()):
            chosen[peer_id] = draw(choices(channels))
    return RoomState(
        mode=mode if mode is not None else draw(st.sampled_from(list(Mode))),
        participants=seats,
        channels=channels,
        live=live,
        directions=directions,
        choices=chosen,
        silent=frozenset(draw(st.sets(st.sampled_from(sorted(channels))))) if channels else _NONE,
    )


# -- oracles, written apart from the rule so the tests can disagree with it ------------------


def expected_floor(state: RoomState) -> frozenset[str]:
    return frozenset(
        peer_id
        for peer_id, p in state.participants.items()
        if (p.role is Role.ORGANISER and p.on_air)
        or p.role in (Role.COMPANY, Role.BUYER)
        or (p.role is Role.INTERPRETER and state.mode is Mode.CONSECUTIVE)
    )


def voice_of(state: RoomState, channel: str) -> str | None:
    """Who is heard on `channel` now: its holder, if they speak into it."""
    holder = state.live.get(channel)
    if holder is None:
        return None
    held = {c for c, p in state.live.items() if p == holder}
    direction = state.directions.get(holder)
    speaks = direction == channel if direction in held else held == {channel}
    return holder if speaks else None


def raw_channel_graph(state: RoomState) -> dict[str, str]:
    """Channel -> the channel its live interpreter relays from (absent: from the floor)."""
    graph: dict[str, str] = {}
    for channel, holder in state.live.items():
        source = state.choice_of(holder).channel
        if source in state.channels:
            assert source is not None
            graph[channel] = source
    return graph


def on_cycle(graph: Mapping[str, str], node: str) -> bool:
    """Whether `node` can reach itself in a graph where each node has at most one successor."""
    seen: set[str] = set()
    current = graph.get(node)
    while current is not None and current not in seen:
        if current == node:
            return True
        seen.add(current)
        current = graph.get(current)
    return False


def is_acyclic(edges: Mapping[str, set[str]]) -> bool:
    """Kahn's algorithm: repeatedly remove nodes nothing points to."""
    nodes = set(edges) | {n for targets in edges.values() for n in targets}
    indegree = dict.fromkeys(nodes, 0)
    for targets in edges.values():
        for target in targets:
            indegree[target] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    removed = 0
    while ready:
        node = ready.pop()
        removed += 1
        for target in edges.get(node, set()):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return removed == len(nodes)


@st.composite
def relay_states(draw: st.DrawFn) -> RoomState:
    """Simultaneous rooms where every channel is live and every interpreter relays from a
    channel: the states where loops are likely rather than rare."""
    count = draw(st.integers(1, 3))
    interpreters = [f"interpreter{k}" for k in range(count)]
    seats = {p: Participant(Role.INTERPRETER) for p in interpreters}
    seats["company0"] = Participant(Role.COMPANY, "ko")
    seats["buyer0"] = Participant(Role.BUYER, "en")
    channels = frozenset(draw(st.sets(st.sampled_from(LANGUAGES), min_size=1)))
    live = {channel: draw(st.sampled_from(interpreters)) for channel in sorted(channels)}
    relay = {p: Choice(channel=draw(st.sampled_from(sorted(channels)))) for p in interpreters}
    listeners = {
        p: Choice(channel=draw(st.sampled_from(sorted(channels)))) for p in ("company0", "buyer0")
    }
    directions = {p: draw(st.sampled_from(sorted(channels))) for p in interpreters}
    return RoomState(
        mode=Mode.SIMULTANEOUS,
        participants=seats,
        channels=channels,
        live=live,
        directions=directions,
        choices={**relay, **listeners},
    )
