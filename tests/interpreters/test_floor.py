"""The consecutive floor marker: who may mark it, and the one-button turn cycle."""

from __future__ import annotations

import pytest

from interpreters.exceptions import FloorMarkNotAllowed, FloorMarkUnavailable
from interpreters.floor import FloorMarker, Turn
from interpreters.state import Mode, Role


def by_interpreter(marker: FloorMarker, turn: Turn) -> FloorMarker:
    return marker.mark(turn, by="interp", role=Role.INTERPRETER, mode=Mode.CONSECUTIVE)


def test_the_interpreter_marks_the_floor_and_each_change_has_a_new_version() -> None:
    marker = by_interpreter(FloorMarker(), Turn.BUYER)
    assert (marker.turn, marker.marked_by, marker.version) == (Turn.BUYER, "interp", 1)
    # No change, so no new version for the clients to redraw.
    assert by_interpreter(marker, Turn.BUYER) is marker


def test_advance_cycles_side_interpretation_other_side() -> None:
    marker = FloorMarker()
    turns = []
    for _ in range(5):
        marker = marker.advance(by="interp", role=Role.INTERPRETER, mode=Mode.CONSECUTIVE)
        turns.append(marker.turn)
    assert turns == [
        Turn.COMPANY,
        Turn.INTERPRETING,
        Turn.BUYER,
        Turn.INTERPRETING,
        Turn.COMPANY,
    ]


@pytest.mark.parametrize("role", [Role.COMPANY, Role.BUYER])
def test_company_and_buyer_may_not_mark(role: Role) -> None:
    with pytest.raises(FloorMarkNotAllowed):
        FloorMarker().mark(Turn.COMPANY, by="x", role=role, mode=Mode.CONSECUTIVE)


def test_the_organiser_may_correct_the_marker() -> None:
    marker = FloorMarker().mark(Turn.BUYER, by="org", role=Role.ORGANISER, mode=Mode.CONSECUTIVE)
    assert marker.turn is Turn.BUYER


def test_no_marker_in_simultaneous_mode_and_reset_clears_it() -> None:
    with pytest.raises(FloorMarkUnavailable):
        FloorMarker().mark(Turn.BUYER, by="i", role=Role.INTERPRETER, mode=Mode.SIMULTANEOUS)
    marker = by_interpreter(FloorMarker(), Turn.BUYER)
    reset = marker.reset()
    assert (reset.turn, reset.last_side, reset.version) == (Turn.OPEN, None, 2)
    assert reset.reset() is reset
