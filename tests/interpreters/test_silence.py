"""Silent-channel fallback: a channel whose voice stops for `hold` seconds counts as silent,
and speaking again ends that at once."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from interpreters.routing import Feed, Layer, route
from interpreters.silence import VoiceActivity
from interpreters.state import Choice, Mode, Participant, Role, RoomState, TrackRef

STATE = RoomState(
    mode=Mode.SIMULTANEOUS,
    participants={
        "company": Participant(Role.COMPANY, "ko"),
        "buyer": Participant(Role.BUYER, "en"),
        "interp": Participant(Role.INTERPRETER),
    },
    channels=frozenset({"ko", "en"}),
    live={"ko": "interp", "en": "interp"},
    directions={"interp": "en"},
    choices={"buyer": Choice(channel="en")},
)


def test_a_channel_is_silent_until_its_voice_speaks_and_hold_seconds_after() -> None:
    activity = VoiceActivity(hold=2.0)
    assert activity.silent_channels(STATE, now=0.0) == {"en"}  # never heard yet
    activity = activity.update("interp", True, at=1.0)
    assert activity.silent_channels(STATE, now=1.0) == set()
    activity = activity.update("interp", False, at=5.0)
    assert activity.next_change(now=5.5) == 7.0
    assert activity.silent_channels(STATE, now=6.9) == set()
    assert activity.silent_channels(STATE, now=7.0) == {"en"}
    assert activity.next_change(now=7.0) is None
    # A repeated "stopped" does not move the moment of silence.
    assert activity.update("interp", False, at=6.5) is activity


def test_the_fallback_raises_the_floor_while_silent_and_lowers_it_after() -> None:
    activity = VoiceActivity().update("interp", True, at=0.0)
    speaking = route(dataclasses.replace(STATE, silent=activity.silent_channels(STATE, now=0)))
    assert speaking["buyer"][TrackRef("company")] == Feed(0.2, Layer.FLOOR)
    activity = activity.update("interp", False, at=1.0)
    quiet = activity.silent_channels(STATE, now=10.0)
    silent = route(dataclasses.replace(STATE, silent=quiet))
    assert silent["buyer"][TrackRef("company")] == Feed(1.0, Layer.FLOOR)
    assert silent["buyer"][TrackRef("interp")] == Feed(1.0, Layer.CHANNEL, "en")


events = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.booleans(), st.floats(0, 5)), max_size=12
)


@given(events, st.floats(0, 100), st.floats(0, 100))
def test_quiet_changes_only_at_next_change_and_only_towards_quiet(
    steps: list[tuple[str, bool, float]], gap: float, later: float
) -> None:
    activity = VoiceActivity(hold=2.0)
    now = 0.0
    for peer_id, speaking, delay in steps:
        now += delay
        activity = activity.update(peer_id, speaking, at=now)
    now += gap
    t = now + later

    def quiet_at(moment: float) -> set[str]:
        return {p for p in ("a", "b") if activity.quiet(p, now=moment)}

    assert not quiet_at(t) & activity.speaking  # a speaking voice is never quiet
    assert quiet_at(now) <= quiet_at(t)  # without events, quiet only spreads
    change = activity.next_change(now=now)
    if change is None or t < change:
        assert quiet_at(t) == quiet_at(now)
    else:
        assert change > now
        assert quiet_at(now) < quiet_at(change)
