"""Rescheduling after a no-show or cancellation: fewest moves, shown as a change set."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from app.scheduling.model import (
    Buyer,
    Meeting,
    MeetingRequest,
    Problem,
    Schedule,
    UnplacedReason,
    Venue,
    local_window,
)
from app.scheduling.reschedule import RemovalReason, propose_reschedule
from app.scheduling.solver import solve
from app.scheduling.validator import validate_schedule
from tests.app.scheduling.builders import (
    KO_EN,
    KO_VI,
    companies,
    interpreter,
    mission,
    problem,
    request,
)

DAY = date(2026, 5, 12)
TZ = "Asia/Seoul"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, 12, hour, minute, tzinfo=UTC) - timedelta(hours=9)  # Seoul: UTC+9


def meet(rid: str, hour: int, minute: int = 0, interpreter_id: str | None = None) -> Meeting:
    return Meeting(rid, at(hour, minute), at(hour, minute) + timedelta(minutes=30), interpreter_id)


def only(start: time, end: time) -> tuple:
    return (local_window(TZ, DAY, start, end),)


def five_slots(
    buyers: list[Buyer], requests: list[MeetingRequest], n_companies: int = 2
) -> Problem:
    # 09:00 .. 11:30: five half-hour slots, no lunch.
    return problem(
        mission(DAY, open_=time(9), close=time(11, 30), breaks=()),
        [Venue("seoul", TZ, capacity=n_companies)],
        companies(n_companies),
        buyers,
        [interpreter("vi1", KO_VI), interpreter("vi2", KO_VI)],
        requests,
    )


def test_no_show_is_placed_again_with_one_move() -> None:
    # c0 had b0 at 09:00 but b0 did not show; b0 can come back only at 10:00, where c0
    # meets b1, who could also do 11:00. Best: move b1 to 11:00 and put b0 at 10:00.
    buyers = [
        Buyer("b0", TZ, availability=only(time(10), time(10, 30))),
        Buyer("b1", TZ),
        Buyer("b2", TZ, availability=only(time(10, 30), time(11))),
        Buyer("b3", TZ),
    ]
    requests = [
        request("r0", "c0", "b0"),
        request("r1", "c0", "b1"),
        request("r2", "c0", "b2"),
        request("r3", "c1", "b3", pair=KO_VI),
    ]
    p = five_slots(buyers, requests)
    current = Schedule(
        (meet("r0", 9), meet("r1", 10), meet("r2", 10, 30), meet("r3", 10, 0, "vi2"))
    )
    changes = propose_reschedule(p, current, cancelled=["r0"], now=at(9, 40))
    assert validate_schedule(p, changes.schedule) == []
    assert [(m.request_id, m.before.start, m.after.start) for m in changes.moves] == [
        ("r1", at(10), at(11))
    ]
    assert changes.moved_meetings == 1
    assert [(m.request_id, m.start) for m in changes.additions] == [("r0", at(10))]
    assert [(r.meeting.request_id, r.reason) for r in changes.removals] == [
        ("r0", RemovalReason.CANCELLED)
    ]
    assert changes.unplaced == ()
    # The untouched interpreted meeting keeps its interpreter.
    assert changes.schedule.by_request["r3"].interpreter_id == "vi2"


def test_cancellation_frees_a_slot_without_moving_anyone() -> None:
    buyers = [Buyer(f"b{i}", TZ) for i in range(6)]
    requests = [request(f"r{i}", "c0", f"b{i}") for i in range(5)]
    p = five_slots(buyers, requests)
    full = Schedule(tuple(meet(f"r{i}", 9 + i // 2, 30 * (i % 2)) for i in range(5)))
    assert validate_schedule(p, full) == []
    # r2 (10:00) is cancelled and withdrawn; a new request for c0 arrives.
    updated = replace(
        p, requests=tuple(r for r in p.requests if r.id != "r2") + (request("new", "c0", "b5"),)
    )
    changes = propose_reschedule(updated, full, cancelled=["r2"], now=at(8))
    assert validate_schedule(updated, changes.schedule) == []
    assert changes.moves == ()
    assert [(m.request_id, m.start) for m in changes.additions] == [("new", at(10))]


def test_new_request_that_cannot_fit_is_reported_and_nothing_moves() -> None:
    buyers = [Buyer(f"b{i}", TZ) for i in range(6)]
    requests = [request(f"r{i}", "c0", f"b{i}") for i in range(5)]
    p = five_slots(buyers, requests)
    full = Schedule(tuple(meet(f"r{i}", 9 + i // 2, 30 * (i % 2)) for i in range(5)))
    updated = replace(p, requests=p.requests + (request("late", "c0", "b5", priority=3),))
    changes = propose_reschedule(updated, full, now=at(8))
    assert changes.moves == () and changes.additions == () and changes.removals == ()
    [missed] = changes.unplaced
    assert missed.request_id == "late"
    assert missed.reason is UnplacedReason.CAPACITY_EXHAUSTED
    assert missed.blocking == ("company:c0",)
    assert [(m.request_id, m.start) for m in changes.schedule.meetings] == [
        (m.request_id, m.start) for m in full.meetings
    ]


def test_meeting_whose_party_became_unavailable_is_moved_or_dropped() -> None:
    buyers = [Buyer("b0", TZ), Buyer("b1", TZ)]
    requests = [request("r0", "c0", "b0"), request("r1", "c0", "b1")]
    p = five_slots(buyers, requests)
    current = Schedule((meet("r0", 9), meet("r1", 9, 30)))
    # b0 now can only make 11:00; b1 cannot come at all any more.
    changed = replace(
        p,
        buyers=(
            Buyer("b0", TZ, availability=only(time(11), time(11, 30))),
            Buyer("b1", TZ, availability=only(time(6), time(7))),
        ),
    )
    changes = propose_reschedule(changed, current, now=at(8))
    assert validate_schedule(changed, changes.schedule) == []
    assert [(m.request_id, m.after.start) for m in changes.moves] == [("r0", at(11))]
    [dropped] = changes.removals
    assert dropped.meeting.request_id == "r1"
    assert dropped.reason is RemovalReason.NO_LONGER_FITS


def test_past_meetings_stay_and_nothing_is_placed_before_now() -> None:
    buyers = [Buyer("b0", TZ), Buyer("b1", TZ)]
    requests = [request("r0", "c0", "b0"), request("r1", "c0", "b1")]
    p = five_slots(buyers, requests)
    current = Schedule((meet("r0", 9),))
    changes = propose_reschedule(p, current, now=at(10, 10))
    assert changes.schedule.by_request["r0"].start == at(9)
    [added] = changes.additions
    assert added.request_id == "r1" and added.start >= at(10, 10)
    assert validate_schedule(p, changes.schedule) == []


def test_cancelling_one_meeting_leaves_every_other_seat_and_interpreter_alone() -> None:
    # A solver schedule with numbered booths, rooms and interpreters: cancel one meeting and
    # nothing else may change.
    p = problem(
        mission(DAY),
        [Venue("hall", TZ, capacity=3), Venue("kbc", TZ, capacity=2)],
        companies(4, venue="hall"),
        [Buyer(f"b{i}", TZ, venue_id="kbc" if i % 2 else None) for i in range(6)],
        [interpreter("vi1", KO_VI), interpreter("vi2", KO_VI), interpreter("both", KO_VI, KO_EN)],
        [
            request(f"r{c}{b}", f"c{c}", f"b{b}", pair=KO_VI if (b + c) % 3 == 0 else None)
            for c in range(4)
            for b in range(6)
        ],
    )
    solved = solve(p, time_limit_s=5)
    assert solved.unplaced == ()
    victim = solved.schedule.meetings[5].request_id
    withdrawn = replace(p, requests=tuple(r for r in p.requests if r.id != victim))
    changes = propose_reschedule(withdrawn, solved.schedule, cancelled=[victim])
    assert changes.moves == () and changes.additions == ()
    assert [r.meeting.request_id for r in changes.removals] == [victim]
    assert set(changes.schedule.meetings) == set(solved.schedule.meetings) - {
        solved.schedule.by_request[victim]
    }
