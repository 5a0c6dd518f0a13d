"""The solver's second objective: of the schedules placing the same meetings, earlier days
and hours, and each party's day of meetings back to back (docs/scheduling.md, "Objective")."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app.scheduling.model import Buyer, Venue, Window
from app.scheduling.occupancy import Occupancy
from app.scheduling.slots import Feasibility
from app.scheduling.solver import compact_cost, descend, solve
from tests.app.scheduling.builders import (
    KO_VI,
    assert_valid,
    buyers,
    companies,
    interpreter,
    mission,
    problem,
    request,
)

SEOUL = ZoneInfo("Asia/Seoul")
DAY_1, DAY_2 = date(2026, 5, 12), date(2026, 5, 13)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SEOUL)


def test_a_small_two_day_mission_fills_the_first_morning() -> None:
    # The case the organisers saw: three meetings of a two-day mission were all put at
    # 16:30-18:00 on the last day. Every slot is free: they go first thing on day one.
    p = problem(
        mission(DAY_1, DAY_2),
        [Venue("seoul", "Asia/Seoul", capacity=3)],
        companies(3),
        buyers(1, "Asia/Seoul"),
        [],
        [request(f"r{c}", f"c{c}", "b0") for c in range(3)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    starts = sorted(_local(m.start) for m in result.schedule.meetings)
    assert [s.date() for s in starts] == [DAY_1] * 3
    assert [s.time() for s in starts] == [time(9), time(9, 30), time(10)]


def test_each_partys_day_is_compact() -> None:
    # Company c0 meets b0, who is free only 11:00-11:30, and b1, free all day. First thing
    # in the morning with b1 would leave c0 waiting until 11:00: b1 goes just before b0.
    only_eleven = (
        Window(
            datetime(2026, 5, 12, 11, tzinfo=SEOUL), datetime(2026, 5, 12, 11, 30, tzinfo=SEOUL)
        ),
    )
    p = problem(
        mission(DAY_1),
        [Venue("seoul", "Asia/Seoul", capacity=1)],
        companies(1),
        [Buyer("b0", "Asia/Seoul", availability=only_eleven), Buyer("b1", "Asia/Seoul")],
        [],
        [request("r0", "c0", "b0"), request("r1", "c0", "b1")],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    starts = {m.request_id: _local(m.start).time() for m in result.schedule.meetings}
    assert starts == {"r0": time(11), "r1": time(10, 30)}


def test_the_descent_never_loses_a_meeting_and_never_moves_one_later() -> None:
    p = problem(
        mission(DAY_1, DAY_2),
        [Venue("seoul", "Asia/Seoul", capacity=2)],
        companies(4),
        buyers(3, "Asia/Ho_Chi_Minh"),
        [interpreter("i1", KO_VI)],
        [request(f"r{c}{b}", f"c{c}", f"b{b}", pair=KO_VI if c == b else None)
         for c in range(4) for b in range(3)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    feasibility = Feasibility(p)

    # Put every meeting as late as it goes, then descend.
    late = Occupancy(feasibility)
    masks = {r.id: feasibility.request_mask(r) for r in p.requests}
    for r in p.requests:
        for slot in sorted(range(len(feasibility.slots)), reverse=True):
            if masks[r.id] >> slot & 1 and late.try_place(r, slot):
                break
    descended = descend(feasibility, p.requests, masks, late, deadline=float("inf"))
    assert set(descended.slot_of) == set(late.slot_of)
    assert all(descended.slot_of[r] <= late.slot_of[r] for r in late.slot_of)
    assert compact_cost(feasibility, descended.slot_of) < compact_cost(feasibility, late.slot_of)
    assert result.placed == len(late.slot_of)


def test_a_reschedule_places_new_requests_first_thing_and_keeps_booked_ones() -> None:
    from dataclasses import replace

    from app.scheduling.reschedule import propose_reschedule

    p = problem(
        mission(DAY_1, DAY_2),
        [Venue("seoul", "Asia/Seoul", capacity=2)],
        companies(3),
        buyers(2, "Asia/Seoul"),
        [],
        [request("r0", "c0", "b0"), request("r1", "c1", "b1")],
    )
    booked = solve(p, time_limit_s=5).schedule
    # A request approved after the schedule was booked: it goes to the first free slot
    # (09:00 on day one, beside the others), and the booked meetings do not move.
    later = replace(p, requests=(*p.requests, request("r2", "c2", "b0")))
    changes = propose_reschedule(later, booked, time_limit_s=5)
    assert changes.moves == ()
    (added,) = changes.additions
    assert _local(added.start).date() == DAY_1
    assert _local(added.start).time() == time(9, 30)  # b0 meets c0 at 09:00
