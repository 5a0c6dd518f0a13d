"""Handover between the interpreters of one channel: exactly one of them holds the microphone.

Each transition returns a new `Handover` (the state is a value); refused actions raise a
`HandoverError` and leave the caller's state as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from interpreters.exceptions import (
    LiveConnected,
    NoPartner,
    NoPendingRequest,
    NotLive,
    NotOnTeam,
    RequestPending,
)


@dataclass(frozen=True, slots=True)
class Handover:
    """One channel's interpreter team and who of it is live.

    Invariant: `live` is None exactly when the team is empty, and otherwise a team member.
    `team` keeps the order of joining, which decides who takes the microphone when the live
    interpreter drops out.
    """

    channel: str
    team: tuple[str, ...] = ()
    live: str | None = None
    requested_by: str | None = None  # a handover request waiting for the other side
    mics_open: frozenset[str] = frozenset()  # as the clients report them

    # -- derived ----------------------------------------------------------------------------

    @property
    def both_mics_open(self) -> bool:
        """The alarm: a partner's microphone is open while someone is live on the channel.

        Only the live interpreter is routed to listeners, so the partner is heard by no one;
        the alarm tells both of them that one of them believes they are on air.
        """
        return len(self.mics_open) >= 2

    @property
    def partners(self) -> tuple[str, ...]:
        """The team members who are not live."""
        return tuple(peer_id for peer_id in self.team if peer_id != self.live)

    # -- joining and leaving ----------------------------------------------------------------

    def join(self, peer_id: str) -> Handover:
        """Add an interpreter to the team; the first one in is live."""
        if peer_id in self.team:
            return self
        return dataclasses.replace(
            self,
            team=(*self.team, peer_id),
            live=self.live if self.live is not None else peer_id,
        )

    def leave(self, peer_id: str) -> Handover:
        """Remove an interpreter; if they were live, the longest-serving partner takes over.

        Taking over at once keeps the channel speaking; a channel that fell silent would
        leave its listeners without interpretation until someone noticed.
        """
        if peer_id not in self.team:
            return self
        team = tuple(member for member in self.team if member != peer_id)
        live = self.live if self.live != peer_id else (team[0] if team else None)
        requested_by = self.requested_by if self.requested_by in team and len(team) > 1 else None
        return dataclasses.replace(
            self,
            team=team,
            live=live,
            # A request made to or by the old live interpreter no longer means the same.
            requested_by=None if live != self.live else requested_by,
            mics_open=self.mics_open - {peer_id},
        )

    # -- handing over -----------------------------------------------------------------------

    def hand_over_now(self, by: str, to: str | None = None) -> Handover:
        """The live interpreter gives the microphone to a partner in one step.

        `to` may be left out when there is exactly one partner.
        """
        self._require_live(by)
        if to is None:
            if len(self.partners) != 1:
                raise NoPartner(channel=self.channel, partners=self.partners)
            to = self.partners[0]
        elif to == by or to not in self.team:
            raise NoPartner(channel=self.channel, to=to)
        return dataclasses.replace(self, live=to, requested_by=None)

    def request(self, by: str) -> Handover:
        """Ask for a handover: the live interpreter asks a partner to take over, or a partner
        asks the live interpreter to hand over. The other side answers with `accept`."""
        self._require_member(by)
        if not self.partners:
            raise NoPartner(channel=self.channel)
        if self.requested_by is not None and self.requested_by != by:
            raise RequestPending(channel=self.channel, requested_by=self.requested_by)
        return dataclasses.replace(self, requested_by=by)

    def accept(self, by: str) -> Handover:
        """Answer the pending request: the microphone moves to whoever was not live."""
        requester = self._require_answerable(by)
        live = by if requester == self.live else requester
        return dataclasses.replace(self, live=live, requested_by=None)

    def decline(self, by: str) -> Handover:
        self._require_answerable(by)
        return dataclasses.replace(self, requested_by=None)

    def cancel(self, by: str) -> Handover:
        if self.requested_by is None or self.requested_by != by:
            raise NoPendingRequest(channel=self.channel, by=by)
        return dataclasses.replace(self, requested_by=None)

    def take(self, by: str, *, away: bool) -> Handover:
        """A partner takes the microphone without the live interpreter's answer: only when
        the live one is `away` (their connection dropped, so they cannot answer; they stay
        on the team for their grace period). Taking what one holds changes nothing."""
        self._require_member(by)
        if self.live == by:
            return self
        if not away:
            raise LiveConnected(channel=self.channel, peer_id=by, live=self.live)
        return dataclasses.replace(self, live=by, requested_by=None)

    def set_mic(self, peer_id: str, is_open: bool) -> Handover:
        self._require_member(peer_id)
        mics = self.mics_open | {peer_id} if is_open else self.mics_open - {peer_id}
        return dataclasses.replace(self, mics_open=mics)

    # -- checks -----------------------------------------------------------------------------

    def _require_member(self, peer_id: str) -> None:
        if peer_id not in self.team:
            raise NotOnTeam(channel=self.channel, peer_id=peer_id)

    def _require_live(self, peer_id: str) -> None:
        self._require_member(peer_id)
        if peer_id != self.live:
            raise NotLive(channel=self.channel, peer_id=peer_id, live=self.live)

    def _require_answerable(self, by: str) -> str:
        """The requester, if `by` is the one who may answer their request."""
        self._require_member(by)
        requester = self.requested_by
        if requester is None or requester == by:
            raise NoPendingRequest(channel=self.channel, by=by)
        # A partner's request to take over is the live interpreter's to answer; another
        # partner answering it would move the microphone without the live one's consent.
        if requester != self.live and by != self.live:
            raise NotLive(channel=self.channel, peer_id=by, live=self.live)
        return requester


def live_by_channel(desks: Iterable[Handover]) -> dict[str, str]:
    """The `RoomState.live` mapping: channel -> the interpreter holding its microphone."""
    return {desk.channel: desk.live for desk in desks if desk.live is not None}
