"""Property tests of the routing rule: each property is checked against an oracle or a
recomputation, never against the rule's own helpers alone."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from interpreters.exceptions import RelayLoop
from interpreters.routing import (
    Action,
    Feed,
    Layer,
    apply,
    check_relay,
    diff,
    relay_sources,
    route,
)
from interpreters.state import Choice, Mode, Role, RoomState, TrackRef, TrackSource
from tests.interpreters.strategies import (
    choices,
    expected_floor,
    is_acyclic,
    on_cycle,
    raw_channel_graph,
    relay_states,
    room_states,
    voice_of,
)


def _received(routing: dict[str, dict[TrackRef, Feed]], peer_id: str) -> dict[TrackRef, Feed]:
    return routing.get(peer_id, {})


def _mics(feeds: dict[TrackRef, Feed]) -> set[str]:
    return {track.peer_id for track in feeds if track.source is TrackSource.MIC}


def _has_relay_loop(state: RoomState) -> bool:
    graph = raw_channel_graph(state)
    return any(on_cycle(graph, channel) for channel in graph)


@given(room_states())
def test_nobody_receives_their_own_audio(state: RoomState) -> None:
    for listener, feeds in route(state).items():
        assert all(track.peer_id != listener for track in feeds)


@given(room_states())
def test_only_present_peers_receive_and_are_received(state: RoomState) -> None:
    routing = route(state)
    assert set(routing) <= set(state.participants)
    for feeds in routing.values():
        assert {track.peer_id for track in feeds} <= set(state.participants)
        assert all(0.0 <= feed.level <= 1.0 for feed in feeds.values())


@given(room_states(Mode.CONSECUTIVE))
def test_consecutive_everyone_hears_everyone_on_the_floor(state: RoomState) -> None:
    routing = route(state)
    floor = expected_floor(state)
    for listener in state.participants:
        feeds = _received(routing, listener)
        mics = {t: f for t, f in feeds.items() if t.source is TrackSource.MIC}
        assert _mics(feeds) == floor - {listener}
        assert all(f == Feed(1.0, Layer.FLOOR) for f in mics.values())


@given(room_states())
def test_organiser_is_heard_only_when_on_air(state: RoomState) -> None:
    routing = route(state)
    for organiser, seat in state.participants.items():
        if seat.role is not Role.ORGANISER:
            continue
        hearers = {listener for listener, feeds in routing.items() if TrackRef(organiser) in feeds}
        if not seat.on_air:
            assert hearers == set()
        elif state.mode is Mode.CONSECUTIVE:
            assert hearers == set(state.participants) - {organiser}


@given(room_states(Mode.SIMULTANEOUS))
def test_a_listener_on_channel_x_gets_its_live_interpreter_and_the_floor(
    state: RoomState,
) -> None:
    assume(not _has_relay_loop(state))
    routing = route(state)
    floor = expected_floor(state)
    for listener in state.participants:
        choice = state.choice_of(listener)
        feeds = _received(routing, listener)
        mics = {t: f for t, f in feeds.items() if t.source is TrackSource.MIC}
        channel = choice.channel if choice.channel in state.channels else None
        if channel is None:
            expected = {TrackRef(p): Feed(1.0, Layer.FLOOR) for p in floor - {listener}}
            assert mics == expected
            continue
        voice = voice_of(state, channel)
        assert voice != listener  # no loop, so an interpreter never chooses their own channel
        expected = {}
        if voice is not None:
            expected[TrackRef(voice)] = Feed(1.0, Layer.CHANNEL, channel)
        quiet = voice is None or channel in state.silent
        level = 1.0 if quiet and choice.fallback else choice.floor_level
        if level > 0 or choice.fallback:
            for speaker in floor - {listener}:
                expected[TrackRef(speaker)] = Feed(level, Layer.FLOOR)
        assert mics == expected


@given(room_states(Mode.SIMULTANEOUS))
def test_at_most_one_voice_per_listener_and_per_channel(state: RoomState) -> None:
    for feeds in route(state).values():
        assert sum(f.layer is Layer.CHANNEL for f in feeds.values()) <= 1


@given(room_states())
def test_back_channel_reaches_only_interpreters(state: RoomState) -> None:
    routing = route(state)
    interpreters = {p for p, s in state.participants.items() if s.role is Role.INTERPRETER}
    for listener in state.participants:
        feeds = _received(routing, listener)
        back = {t for t in feeds if t.source is TrackSource.BACK_CHANNEL}
        assert back == {t for t, f in feeds.items() if f.layer is Layer.BACK_CHANNEL}
        if listener not in interpreters:
            assert back == set()
        elif state.choice_of(listener).back_channel:
            assert {t.peer_id for t in back} == interpreters - {listener}
        else:
            assert back == set()


@given(st.one_of(room_states(Mode.SIMULTANEOUS), relay_states()))
def test_relay_sources_drop_exactly_the_choices_in_a_loop(state: RoomState) -> None:
    graph = raw_channel_graph(state)
    sources = relay_sources(state)
    for peer_id in state.participants:
        raw = state.choice_of(peer_id).channel
        raw = raw if raw in state.channels else None
        held = {c for c, p in state.live.items() if p == peer_id}
        in_loop = any(on_cycle(graph, channel) for channel in held)
        assert sources[peer_id] == (None if in_loop else raw)


@given(st.one_of(room_states(Mode.SIMULTANEOUS), relay_states()))
def test_relay_chains_after_the_rule_have_no_loops(state: RoomState) -> None:
    sources = relay_sources(state)
    channel_edges = {
        channel: {source} for channel, holder in state.live.items() if (source := sources[holder])
    }
    assert is_acyclic(channel_edges)
    # And in what is actually forwarded: "p hears q's interpretation" never cycles back.
    routing = route(state)
    hears = {
        listener: {t.peer_id for t, f in feeds.items() if f.layer is Layer.CHANNEL}
        for listener, feeds in routing.items()
    }
    assert is_acyclic(hears)


@given(st.one_of(room_states(Mode.SIMULTANEOUS), relay_states()), st.data())
def test_check_relay_refuses_exactly_the_choices_that_loop(
    state: RoomState, data: st.DataObject
) -> None:
    assume(state.participants and state.channels)
    peer_id = data.draw(st.sampled_from(sorted(state.participants)))
    channel = data.draw(st.sampled_from(sorted(state.channels)))
    after = state.with_choice(peer_id, Choice(channel=channel))
    graph = raw_channel_graph(after)
    loops = any(on_cycle(graph, c) for c, p in after.live.items() if p == peer_id)
    if loops:
        with pytest.raises(RelayLoop):
            check_relay(state, peer_id, channel)
    else:
        check_relay(state, peer_id, channel)


# -- diff ---------------------------------------------------------------------------------


def _check_minimal_diff(old: RoomState, new: RoomState) -> None:
    before, after = route(old), route(new)
    changes = diff(before, after)
    assert apply(before, changes) == after
    keys = [(c.listener, c.track) for c in changes]
    assert len(keys) == len(set(keys))
    differing = {
        (listener, track)
        for listener in before.keys() | after.keys()
        for track in _received(before, listener).keys() | _received(after, listener).keys()
        if _received(before, listener).get(track) != _received(after, listener).get(track)
    }
    assert set(keys) == differing
    for change in changes:
        was = _received(before, change.listener).get(change.track)
        now = _received(after, change.listener).get(change.track)
        expected = (
            Action.SUBSCRIBE
            if was is None
            else Action.UNSUBSCRIBE
            if now is None
            else Action.ADJUST
        )
        assert change.action is expected
        assert change.feed == now
    # Unsubscriptions go out first.
    order = [c.action for c in changes]
    assert order == sorted(order, key=[Action.UNSUBSCRIBE, Action.ADJUST, Action.SUBSCRIBE].index)


@given(room_states(), room_states())
def test_diff_between_any_two_states_is_exact_and_minimal(old: RoomState, new: RoomState) -> None:
    _check_minimal_diff(old, new)


@given(room_states(), st.data())
def test_switching_mode_changes_only_the_affected_subscriptions(
    state: RoomState, data: st.DataObject
) -> None:
    other = Mode.SIMULTANEOUS if state.mode is Mode.CONSECUTIVE else Mode.CONSECUTIVE
    switched = state.with_mode(other)
    _check_minimal_diff(state, switched)
    changes = diff(route(state), route(switched))
    interpreters = {p for p, s in state.participants.items() if s.role is Role.INTERPRETER}
    simultaneous = state if state.mode is Mode.SIMULTANEOUS else switched
    sources = relay_sources(simultaneous)
    for change in changes:
        # The partners' line does not depend on the mode.
        assert change.track.source is TrackSource.MIC
        # A non-interpreter listening to the floor only notices the interpreters come and go.
        if change.listener not in interpreters and sources[change.listener] is None:
            assert change.track.peer_id in interpreters


@given(room_states(), st.data())
def test_one_listeners_choice_changes_only_their_subscriptions(
    state: RoomState, data: st.DataObject
) -> None:
    assume(state.participants)
    listener = data.draw(st.sampled_from(sorted(state.participants)))
    changed = state.with_choice(listener, data.draw(choices(state.channels)))
    # Breaking or closing a relay loop also moves the other interpreters in it (to or
    # from the floor); apart from that a choice is the chooser's business alone.
    assume(not _has_relay_loop(state) and not _has_relay_loop(changed))
    _check_minimal_diff(state, changed)
    assert {c.listener for c in diff(route(state), route(changed))} <= {listener}
