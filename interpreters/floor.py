"""The consecutive-mode floor marker: whose turn it is (company, buyer, or the interpreter)."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from interpreters.exceptions import FloorMarkNotAllowed, FloorMarkUnavailable
from interpreters.state import Mode, Role


class Turn(enum.StrEnum):
    OPEN = "open"  # nobody marked: free conversation
    COMPANY = "company"
    BUYER = "buyer"
    INTERPRETING = "interpreting"


# The interpreter runs the marker; the organiser may correct it, since it runs the day.
MARKERS = frozenset({Role.INTERPRETER, Role.ORGANISER})

_OTHER_SIDE = {Turn.COMPANY: Turn.BUYER, Turn.BUYER: Turn.COMPANY}


@dataclass(frozen=True, slots=True)
class FloorMarker:
    """The marker as every seat sees it.

    `version` grows with each change so a client can drop an update older than the one
    it shows; `last_side` remembers who spoke before the interpretation, for `advance`.
    """

    turn: Turn = Turn.OPEN
    last_side: Turn | None = None
    marked_by: str | None = None
    version: int = 0

    def mark(self, turn: Turn, *, by: str, role: Role, mode: Mode) -> FloorMarker:
        """Set the turn; only the interpreter or the organiser, only in consecutive mode."""
        if mode is not Mode.CONSECUTIVE:
            raise FloorMarkUnavailable(mode=mode.value)
        if role not in MARKERS:
            raise FloorMarkNotAllowed(peer_id=by, role=role.value)
        if turn is self.turn:
            return self
        return dataclasses.replace(
            self,
            turn=turn,
            last_side=turn if turn in _OTHER_SIDE else self.last_side,
            marked_by=by,
            version=self.version + 1,
        )

    def advance(self, *, by: str, role: Role, mode: Mode) -> FloorMarker:
        """The one-button cycle of a consecutive meeting: a side speaks, the interpreter
        renders it, then the other side answers (company first when nothing was marked)."""
        if self.turn in _OTHER_SIDE:
            turn = Turn.INTERPRETING
        elif self.turn is Turn.INTERPRETING and self.last_side is not None:
            turn = _OTHER_SIDE[self.last_side]
        else:
            turn = Turn.COMPANY
        return self.mark(turn, by=by, role=role, mode=mode)

    def reset(self) -> FloorMarker:
        """Back to open, e.g. when the meeting switches to simultaneous interpretation."""
        if self.turn is Turn.OPEN and self.last_side is None:
            return self
        return FloorMarker(version=self.version + 1)
