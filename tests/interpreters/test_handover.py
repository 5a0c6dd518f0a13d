"""Handover between the interpreters of a channel: examples, and a stateful test that no
sequence of actions leaves a channel with other than exactly one live interpreter."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from interpreters.exceptions import (
    HandoverError,
    LiveConnected,
    NoPartner,
    NoPendingRequest,
    NotLive,
    NotOnTeam,
    RequestPending,
)
from interpreters.handover import Handover, live_by_channel
from interpreters.routing import Layer, route
from interpreters.state import Choice, Mode, Participant, Role, RoomState, TrackRef


def _pair() -> Handover:
    return Handover("en").join("anna").join("boris")


def test_the_first_to_join_is_live() -> None:
    desk = _pair()
    assert desk.live == "anna"
    assert desk.partners == ("boris",)


def test_hand_over_now_moves_the_microphone_in_one_step() -> None:
    desk = _pair().hand_over_now("anna")
    assert desk.live == "boris"
    with pytest.raises(NotLive):
        desk.hand_over_now("anna")


def test_request_and_accept_both_ways() -> None:
    asked = _pair().request("anna")  # the live one asks to be relieved
    with pytest.raises(NoPendingRequest):
        asked.accept("anna")
    assert asked.accept("boris").live == "boris"
    offered = _pair().request("boris")  # the partner offers to take over
    assert offered.accept("anna").live == "boris"
    assert offered.decline("anna").live == "anna"
    assert offered.cancel("boris").requested_by is None


def test_a_partners_request_is_the_live_interpreters_to_answer() -> None:
    desk = _pair().join("chen").request("boris")
    with pytest.raises(NotLive):
        desk.accept("chen")
    with pytest.raises(RequestPending):
        desk.request("chen")
    assert desk.accept("anna").live == "boris"


def test_hand_over_now_needs_a_single_partner_or_a_named_one() -> None:
    with pytest.raises(NoPartner):
        Handover("en").join("anna").hand_over_now("anna")
    trio = _pair().join("chen")
    with pytest.raises(NoPartner):
        trio.hand_over_now("anna")
    assert trio.hand_over_now("anna", to="chen").live == "chen"
    with pytest.raises(NoPartner):
        trio.hand_over_now("anna", to="anna")


def test_when_the_live_interpreter_drops_out_the_partner_takes_over() -> None:
    desk = _pair().request("boris").leave("anna")
    assert desk.live == "boris"
    assert desk.requested_by is None
    assert desk.leave("boris").live is None


def test_take_only_from_a_live_interpreter_who_is_away() -> None:
    desk = _pair().request("anna")
    with pytest.raises(LiveConnected):
        desk.take("boris", away=False)
    taken = desk.take("boris", away=True)
    assert (taken.live, taken.team, taken.requested_by) == ("boris", desk.team, None)
    assert taken.take("boris", away=False) is taken  # holding it already
    with pytest.raises(NotOnTeam):
        desk.take("chen", away=True)


def test_both_mics_open_raises_the_alarm() -> None:
    desk = _pair().set_mic("anna", True)
    assert not desk.both_mics_open
    desk = desk.set_mic("boris", True)
    assert desk.both_mics_open
    assert not desk.set_mic("anna", False).both_mics_open
    assert not desk.leave("boris").both_mics_open
    with pytest.raises(NotOnTeam):
        desk.set_mic("chen", True)


# -- stateful -----------------------------------------------------------------------------

INTERPRETERS = ("anna", "boris", "chen")
CHANNELS = ("ko", "en")

interpreters = st.sampled_from(INTERPRETERS)
channels = st.sampled_from(CHANNELS)


class HandoverMachine(RuleBasedStateMachine):
    """Two channels, three interpreters, every action in any order; refused actions must
    change nothing, accepted ones must do what they say."""

    def __init__(self) -> None:
        super().__init__()
        self.desks = {channel: Handover(channel) for channel in CHANNELS}
        self.present: set[str] = set()

    @initialize(ko=st.permutations(INTERPRETERS), en=st.permutations(INTERPRETERS))
    def seat_teams(self, ko: list[str], en: list[str]) -> None:
        # Start from full teams, so that three-way cases (a partner answering another
        # partner's request) come up in few steps; `leave` and `join` still reshape them.
        for channel, team in (("ko", ko), ("en", en)):
            for peer in team:
                self.desks[channel] = self.desks[channel].join(peer)
                self.present.add(peer)

    def _try(self, channel: str, action: str, *args: object) -> Handover | None:
        desk = self.desks[channel]
        try:
            after: Handover = getattr(desk, action)(*args)
        except HandoverError:
            return None
        self.desks[channel] = after
        return after

    @rule(channel=channels, peer=interpreters)
    def join(self, channel: str, peer: str) -> None:
        was_live = self.desks[channel].live
        after = self._try(channel, "join", peer)
        assert after is not None
        assert after.live == (was_live if was_live is not None else peer)
        self.present.add(peer)

    @rule(channel=channels, peer=interpreters)
    def leave(self, channel: str, peer: str) -> None:
        after = self._try(channel, "leave", peer)
        assert after is not None and peer not in after.team

    @rule(channel=channels, by=interpreters, to=st.none() | interpreters)
    def hand_over_now(self, channel: str, by: str, to: str | None) -> None:
        before = self.desks[channel]
        after = self._try(channel, "hand_over_now", by, to)
        if after is None:
            return
        assert before.live == by and after.live != by
        assert after.live == (to if to is not None else before.partners[0])

    @rule(channel=channels, by=interpreters)
    def request(self, channel: str, by: str) -> None:
        after = self._try(channel, "request", by)
        if after is not None:
            assert after.requested_by == by

    @rule(channel=channels, by=interpreters)
    def accept(self, channel: str, by: str) -> None:
        before = self.desks[channel]
        after = self._try(channel, "accept", by)
        if after is None:
            return
        assert before.requested_by is not None
        assert after.live != before.live
        assert after.live in {by, before.requested_by}
        # A partner's request moves the microphone only with the live interpreter's consent.
        if before.requested_by != before.live:
            assert by == before.live
        assert after.requested_by is None

    @rule(channel=channels, by=interpreters)
    def decline_or_cancel(self, channel: str, by: str) -> None:
        before = self.desks[channel]
        for action in ("decline", "cancel"):
            after = self._try(channel, action, by)
            if after is not None:
                assert after.live == before.live and after.requested_by is None
                return

    @rule(channel=channels, by=interpreters, away=st.booleans())
    def take(self, channel: str, by: str, away: bool) -> None:
        before = self.desks[channel]
        try:
            after = before.take(by, away=away)
        except HandoverError:
            assert by not in before.team or (not away and before.live != by)
            return
        self.desks[channel] = after
        assert after.live == by and after.team == before.team
        if before.live != by:
            assert away and after.requested_by is None

    @rule(channel=channels, peer=interpreters, is_open=st.booleans())
    def set_mic(self, channel: str, peer: str, is_open: bool) -> None:
        self._try(channel, "set_mic", peer, is_open)

    @invariant()
    def exactly_one_live_per_staffed_channel(self) -> None:
        for desk in self.desks.values():
            if desk.team:
                assert desk.live in desk.team
                assert len(set(desk.team)) == len(desk.team)
            else:
                assert desk.live is None
            assert desk.requested_by is None or (
                desk.requested_by in desk.team and len(desk.team) > 1
            )
            assert desk.mics_open <= set(desk.team)
            assert desk.both_mics_open == (len(desk.mics_open) >= 2)

    @invariant()
    def listeners_hear_exactly_the_live_interpreter(self) -> None:
        seats = {p: Participant(Role.INTERPRETER) for p in self.present}
        listeners = {f"listener-{c}": Choice(channel=c) for c in CHANNELS}
        seats.update({p: Participant(Role.BUYER) for p in listeners})
        live = live_by_channel(self.desks.values())
        state = RoomState(
            mode=Mode.SIMULTANEOUS,
            participants=seats,
            channels=frozenset(CHANNELS),
            live=live,
            # An interpreter holding both channels speaks into "ko".
            directions={p: "ko" for p in self.present},
            choices=listeners,
        )
        routing = route(state)
        for channel in CHANNELS:
            heard = {
                track
                for track, feed in routing.get(f"listener-{channel}", {}).items()
                if feed.layer is Layer.CHANNEL
            }
            holder = live.get(channel)
            speaks = holder is not None and (channel == "ko" or live.get("ko") != holder)
            assert heard == ({TrackRef(holder)} if speaks and holder is not None else set())


TestHandoverMachine = HandoverMachine.TestCase
