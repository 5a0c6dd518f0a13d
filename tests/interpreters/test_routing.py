"""The routing rule on the meetings it was written for: a 1:1 consultation with one
interpreter, a simultaneous meeting with a relay, a handover, a silent channel."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from interpreters.exceptions import (
    InvalidLevel,
    NotAnInterpreter,
    RelayLoop,
    UnknownChannel,
    UnknownPeer,
)
from interpreters.routing import Action, Change, Feed, Layer, choose, diff, relay_sources, route
from interpreters.state import Choice, Mode, Participant, Role, RoomState, TrackRef, TrackSource

FLOOR = Feed(1.0, Layer.FLOOR)
UNDER = Feed(0.2, Layer.FLOOR)

SEATS = {
    "company": Participant(Role.COMPANY, "ko"),
    "buyer": Participant(Role.BUYER, "en"),
    "interp": Participant(Role.INTERPRETER),
    "organiser": Participant(Role.ORGANISER, "ko"),
}


def mic(peer_id: str) -> TrackRef:
    return TrackRef(peer_id)


def back(peer_id: str) -> TrackRef:
    return TrackRef(peer_id, TrackSource.BACK_CHANNEL)


def channel(language: str) -> Feed:
    return Feed(1.0, Layer.CHANNEL, language)


def test_consecutive_one_to_one_everyone_hears_everyone_but_the_silent_organiser() -> None:
    routing = route(RoomState(mode=Mode.CONSECUTIVE, participants=SEATS))
    assert routing == {
        "company": {mic("buyer"): FLOOR, mic("interp"): FLOOR},
        "buyer": {mic("company"): FLOOR, mic("interp"): FLOOR},
        "interp": {mic("company"): FLOOR, mic("buyer"): FLOOR},
        "organiser": {mic("company"): FLOOR, mic("buyer"): FLOOR, mic("interp"): FLOOR},
    }


def test_the_organiser_who_speaks_is_heard_by_all() -> None:
    seats = {**SEATS, "organiser": Participant(Role.ORGANISER, "ko", on_air=True)}
    routing = route(RoomState(mode=Mode.CONSECUTIVE, participants=seats))
    assert all(mic("organiser") in routing[p] for p in ("company", "buyer", "interp"))


def _simultaneous(**changes: Any) -> RoomState:
    state = RoomState(
        mode=Mode.SIMULTANEOUS,
        participants=SEATS,
        channels=frozenset({"ko", "en"}),
        live={"ko": "interp", "en": "interp"},
        directions={"interp": "en"},  # the company is speaking Korean
        choices={"company": Choice(channel="ko"), "buyer": Choice(channel="en")},
    )
    return dataclasses.replace(state, **changes)


def test_simultaneous_buyer_hears_the_interpreter_over_the_quiet_floor() -> None:
    routing = route(_simultaneous())
    assert routing["buyer"] == {mic("interp"): channel("en"), mic("company"): UNDER}
    # The company's channel carries nothing now: the fallback gives it the floor at full.
    assert routing["company"] == {mic("buyer"): FLOOR}
    # The interpreter works from the floor, at full level; the organiser chose nothing.
    assert routing["interp"] == {mic("company"): FLOOR, mic("buyer"): FLOOR}
    assert routing["organiser"] == {mic("company"): FLOOR, mic("buyer"): FLOOR}


def test_switching_direction_moves_the_interpreter_between_channels_only() -> None:
    before = _simultaneous()
    after = _simultaneous(directions={"interp": "ko"})
    assert diff(route(before), route(after)) == (
        Change(Action.UNSUBSCRIBE, "buyer", mic("interp"), None),
        Change(Action.ADJUST, "buyer", mic("company"), FLOOR),
        Change(Action.ADJUST, "company", mic("buyer"), UNDER),
        Change(Action.SUBSCRIBE, "company", mic("interp"), channel("ko")),
    )


def test_floor_level_is_the_listeners_and_zero_without_fallback_unsubscribes() -> None:
    state = _simultaneous(
        choices={"buyer": Choice(channel="en", floor_level=0.5)},
    )
    assert route(state)["buyer"][mic("company")] == Feed(0.5, Layer.FLOOR)
    silent_floor = state.with_choice("buyer", Choice(channel="en", floor_level=0.0))
    # With the fallback on, the floor stays subscribed at 0 so it can be raised at once.
    assert route(silent_floor)["buyer"][mic("company")] == Feed(0.0, Layer.FLOOR)
    no_floor = state.with_choice("buyer", Choice(channel="en", floor_level=0, fallback=False))
    assert route(no_floor)["buyer"] == {mic("interp"): channel("en")}


def test_a_silent_channel_gives_its_listeners_the_floor_at_full_level() -> None:
    state = _simultaneous(silent=frozenset({"en"}))
    assert route(state)["buyer"] == {mic("interp"): channel("en"), mic("company"): FLOOR}
    unswitched = state.with_choice("buyer", Choice(channel="en", fallback=False))
    assert route(unswitched)["buyer"] == {mic("interp"): channel("en"), mic("company"): UNDER}


def test_handover_moves_the_listeners_in_one_diff_unsubscribing_first() -> None:
    seats = {**SEATS, "partner": Participant(Role.INTERPRETER)}
    state = _simultaneous(participants=seats, live={"en": "interp"}, directions={})
    after = _simultaneous(participants=seats, live={"en": "partner"}, directions={})
    changes = diff(route(state), route(after))
    buyer = [c for c in changes if c.listener == "buyer"]
    assert buyer == [
        Change(Action.UNSUBSCRIBE, "buyer", mic("interp"), None),
        Change(Action.SUBSCRIBE, "buyer", mic("partner"), channel("en")),
    ]
    assert changes.index(buyer[0]) < changes.index(buyer[1])
    # Only the buyer listens to "en"; nobody else's subscriptions move.
    assert {c.listener for c in changes} == {"buyer"}


def test_partners_share_a_back_channel_that_no_one_else_receives() -> None:
    seats = {**SEATS, "partner": Participant(Role.INTERPRETER)}
    routing = route(RoomState(mode=Mode.CONSECUTIVE, participants=seats))
    assert routing["interp"][back("partner")] == Feed(1.0, Layer.BACK_CHANNEL)
    assert routing["partner"][back("interp")] == Feed(1.0, Layer.BACK_CHANNEL)
    for peer_id in ("company", "buyer", "organiser"):
        assert all(t.source is TrackSource.MIC for t in routing[peer_id])
    muted = RoomState(participants=seats, choices={"partner": Choice(back_channel=False)})
    assert back("interp") not in route(muted)["partner"]


def _relay() -> RoomState:
    """Korean -> English by one interpreter, English -> Thai by another."""
    seats = {
        "company": Participant(Role.COMPANY, "ko"),
        "buyer": Participant(Role.BUYER, "th"),
        "ko-en": Participant(Role.INTERPRETER),
        "en-th": Participant(Role.INTERPRETER),
    }
    return RoomState(
        mode=Mode.SIMULTANEOUS,
        participants=seats,
        channels=frozenset({"en", "th"}),
        live={"en": "ko-en", "th": "en-th"},
        choices={"en-th": Choice(channel="en"), "buyer": Choice(channel="th")},
    )


def test_relay_interpreter_works_from_the_other_channel() -> None:
    routing = route(_relay())
    assert routing["en-th"][mic("ko-en")] == channel("en")
    assert routing["en-th"][mic("company")] == UNDER
    assert routing["buyer"] == {mic("en-th"): channel("th"), mic("company"): UNDER}
    assert mic("en-th") not in routing["ko-en"]


def test_a_relay_loop_is_refused_when_chosen_and_ignored_when_it_arises() -> None:
    state = _relay()
    with pytest.raises(RelayLoop):
        choose(state, "ko-en", Choice(channel="th"))  # th is fed from en, which ko-en feeds
    with pytest.raises(RelayLoop):
        choose(state, "ko-en", Choice(channel="en"))  # its own channel
    # The loop can still arise, e.g. from a handover; then both ends work from the floor.
    looped = state.with_choice("ko-en", Choice(channel="th"))
    assert relay_sources(looped) == {"company": None, "buyer": "th", "ko-en": None, "en-th": None}
    routing = route(looped)
    floor = {mic("company"): FLOOR, mic("buyer"): FLOOR}
    assert routing["ko-en"] == {**floor, back("en-th"): Feed(1.0, Layer.BACK_CHANNEL)}
    assert routing["en-th"] == {**floor, back("ko-en"): Feed(1.0, Layer.BACK_CHANNEL)}


def test_choose_refuses_unknown_peers_and_channels() -> None:
    with pytest.raises(UnknownPeer):
        choose(_relay(), "nobody", Choice())
    with pytest.raises(UnknownChannel):
        choose(_relay(), "buyer", Choice(channel="ru"))
    assert choose(_relay(), "buyer", Choice()).choice_of("buyer") == Choice()


@pytest.mark.parametrize("level", [-0.1, 1.01, float("nan")])
def test_floor_level_outside_zero_to_one_is_refused(level: float) -> None:
    with pytest.raises(InvalidLevel):
        Choice(channel="en", floor_level=level)


def test_live_must_name_a_present_interpreter_on_a_known_channel() -> None:
    with pytest.raises(UnknownChannel):
        RoomState(participants=SEATS, live={"ru": "interp"})
    with pytest.raises(UnknownPeer):
        RoomState(participants=SEATS, channels=frozenset({"en"}), live={"en": "ghost"})
    with pytest.raises(NotAnInterpreter):
        RoomState(participants=SEATS, channels=frozenset({"en"}), live={"en": "buyer"})


def test_an_interpreter_holding_two_channels_without_direction_speaks_into_none() -> None:
    state = _simultaneous(directions={})
    assert state.speaks_into("interp") is None
    routing = route(state)
    assert mic("interp") not in routing["buyer"]
    assert routing["buyer"] == {mic("company"): FLOOR}
