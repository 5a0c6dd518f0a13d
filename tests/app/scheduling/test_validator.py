"""The independent validator on hand-made schedules, valid and broken one rule at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.scheduling.model import Buyer, Meeting, Schedule, Venue, local_window
from app.scheduling.validator import ViolationKind, validate_schedule
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


def seoul(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    # Seoul is UTC+9 all year.
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


def meeting(rid: str, hour: int, minute: int = 0, interpreter_id: str | None = None) -> Meeting:
    start = seoul(hour, minute)
    return Meeting(rid, start, start + timedelta(minutes=30), interpreter_id)


PROBLEM = problem(
    mission(DAY),
    [Venue("seoul", "Asia/Seoul", capacity=2), Venue("centre", "Asia/Ho_Chi_Minh", capacity=1)],
    companies(3),
    [
        Buyer("b0", "Asia/Seoul"),
        Buyer(
            "b1",
            "Asia/Seoul",
            availability=(local_window("Asia/Seoul", DAY, time(14), time(16)),),
        ),
        Buyer("h0", "Asia/Ho_Chi_Minh", venue_id="centre"),
        Buyer("h1", "Asia/Ho_Chi_Minh", venue_id="centre"),
    ],
    [interpreter("vi", KO_VI), interpreter("en", KO_EN)],
    [
        request("r00", "c0", "b0"),
        request("r01", "c0", "b1"),
        request("r10", "c1", "b0", pair=KO_EN),
        request("r1h", "c1", "h0", pair=KO_VI),
        request("r2h", "c2", "h1", pair=KO_VI),
        request("r20", "c2", "b0"),
    ],
)

VALID = Schedule(
    (
        meeting("r00", 9),
        meeting("r01", 14),
        meeting("r10", 9, 30, "en"),
        meeting("r1h", 15, 30, "vi"),  # Hanoi 13:30, after its lunch
        meeting("r2h", 15, 0, "vi"),
        meeting("r20", 10),
    )
)


def test_hand_made_valid_schedule_passes() -> None:
    assert validate_schedule(PROBLEM, VALID) == []


def kinds(meetings: list[Meeting]) -> set[ViolationKind]:
    return {v.kind for v in validate_schedule(PROBLEM, Schedule(tuple(meetings)))}


def test_local_lunch_break_abroad_is_caught() -> None:
    assert kinds([meeting("r1h", 14, 0, "vi")]) == {ViolationKind.OUTSIDE_VENUE_HOURS}


@pytest.mark.parametrize(
    ("meetings", "expected"),
    [
        ([meeting("r00", 9), meeting("r01", 9)], ViolationKind.DOUBLE_BOOKED),  # company c0
        ([meeting("r00", 9), meeting("r10", 9, 0, "en")], ViolationKind.DOUBLE_BOOKED),  # b0
        (
            [meeting("r1h", 15, 0, "vi"), meeting("r2h", 15, 0, "vi")],
            ViolationKind.DOUBLE_BOOKED,  # interpreter "vi", and the one-room centre
        ),
        ([meeting("r00", 8, 30)], ViolationKind.OUTSIDE_VENUE_HOURS),
        ([meeting("r00", 12, 30)], ViolationKind.OUTSIDE_VENUE_HOURS),  # Seoul lunch
        ([meeting("r00", 17, 45)], ViolationKind.OUTSIDE_VENUE_HOURS),
        ([meeting("r01", 10)], ViolationKind.OUTSIDE_AVAILABILITY),
        ([meeting("r10", 9)], ViolationKind.MISSING_INTERPRETER),
        ([meeting("r10", 9, 0, "vi")], ViolationKind.WRONG_LANGUAGES),
        ([meeting("r10", 9, 0, "nobody")], ViolationKind.UNKNOWN_INTERPRETER),
        ([meeting("nope", 9)], ViolationKind.UNKNOWN_REQUEST),
        ([meeting("r00", 9), meeting("r00", 10)], ViolationKind.DUPLICATE_REQUEST),
    ],
)
def test_each_broken_rule_is_reported(meetings: list[Meeting], expected: ViolationKind) -> None:
    assert expected in kinds(meetings)


def test_partial_overlap_counts_as_double_booking() -> None:
    # Not on the slot grid: 09:00-09:30 and 09:15-09:45 share a quarter hour.
    late = Meeting("r01", seoul(14, 15), seoul(14, 45))
    early = Meeting("r00", seoul(14), seoul(14, 30))
    found = validate_schedule(PROBLEM, Schedule((early, late)))
    assert [v.kind for v in found] == [ViolationKind.DOUBLE_BOOKED]
    assert set(found[0].request_ids) == {"r00", "r01"}


def test_wrong_length_and_venue_capacity() -> None:
    long = Meeting("r00", seoul(9), seoul(10))
    assert ViolationKind.WRONG_LENGTH in kinds([long])
    # Three companies in a two-booth venue at once.
    crowded = [meeting("r00", 10), meeting("r10", 10, 0, "en"), meeting("r2h", 10, 0, "vi")]
    found = validate_schedule(PROBLEM, Schedule(tuple(crowded)))
    assert ViolationKind.OVER_CAPACITY in {v.kind for v in found}


def test_same_booth_number_twice_is_double_booked() -> None:
    a = replace(meeting("r00", 15, 30), booth=1)
    b = replace(meeting("r2h", 15, 30, "vi"), booth=1)
    found = validate_schedule(PROBLEM, Schedule((a, b)))
    assert [v.kind for v in found] == [ViolationKind.DOUBLE_BOOKED]
    assert "booth" in found[0].detail


def test_mission_day_is_checked_in_local_time() -> None:
    # 09:00 on 13 May is inside the hours, but 13 May is not a mission day for the company's
    # venue nor for the buyer's office.
    first = meeting("r00", 9)
    shifted = replace(
        first, start=first.start + timedelta(days=1), end=first.end + timedelta(days=1)
    )
    found = validate_schedule(PROBLEM, Schedule((shifted,)))
    assert [v.kind for v in found] == [ViolationKind.OUTSIDE_VENUE_HOURS] * 2
    assert all("not a mission day" in v.detail for v in found)
