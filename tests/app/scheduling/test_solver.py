"""Solver on small cases whose optimum is known by hand; every schedule is validated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from app.scheduling.errors import InvalidProblem, UnknownReference
from app.scheduling.model import (
    Buyer,
    DayHours,
    Interpreter,
    Mission,
    Schedule,
    UnplacedReason,
    Venue,
    language_pair,
    local_window,
)
from app.scheduling.solver import priority_weights, solve
from app.scheduling.validator import ViolationKind, validate_schedule
from tests.app.scheduling.builders import (
    KO_EN,
    KO_ID,
    KO_RU,
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


def test_every_company_meets_every_buyer_when_there_is_room() -> None:
    p = problem(
        mission(date(2026, 5, 12)),
        [Venue("seoul", "Asia/Seoul", capacity=3)],
        companies(3),
        buyers(2, "Asia/Ho_Chi_Minh"),
        [interpreter("i1", KO_VI), interpreter("i2", KO_VI)],
        [request(f"r{c}{b}", f"c{c}", f"b{b}", pair=KO_VI) for c in range(3) for b in range(2)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert result.placed == 6
    assert result.unplaced == ()
    assert result.status == "optimal"


def test_jakarta_two_hours_behind_seoul_gives_ten_common_slots() -> None:
    # Seoul 09-18 and Jakarta 09-18 (Seoul 11-20) overlap Seoul 11-18, minus lunch in Seoul
    # (12-13) and in Jakarta (Seoul 14-15): ten half-hour slots. 12 buyers x 10 slots = 120
    # is the most any schedule can hold, and a round robin reaches it.
    p = problem(
        mission(date(2026, 5, 12)),
        [Venue("seoul", "Asia/Seoul", capacity=17)],
        companies(17),
        buyers(12, "Asia/Jakarta"),
        [interpreter(f"i{k}", KO_ID) for k in range(12)],
        [request(f"r{c}-{b}", f"c{c}", f"b{b}", pair=KO_ID) for c in range(17) for b in range(12)],
    )
    result = solve(p, time_limit_s=8)
    assert_valid(p, result)
    assert result.placed == 120
    local_hours = {m.start.astimezone(SEOUL).strftime("%H:%M") for m in result.schedule.meetings}
    assert local_hours == {
        "11:00",
        "11:30",
        "13:00",
        "13:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
        "17:00",
        "17:30",
    }
    assert {u.reason for u in result.unplaced} == {UnplacedReason.CAPACITY_EXHAUSTED}


def test_honolulu_meets_seoul_across_the_date_line() -> None:
    # Honolulu (UTC-10) on Tue 24 Nov 14:00-18:00 is Seoul (UTC+9) Wed 25 Nov 09:00-13:00;
    # with Seoul's lunch that is six slots, all on the Seoul mission day after Honolulu's.
    p = problem(
        mission(date(2026, 11, 24), date(2026, 11, 25)),
        [Venue("seoul", "Asia/Seoul")],
        companies(1),
        buyers(7, "Pacific/Honolulu"),
        [],
        [request(f"r{b}", "c0", f"b{b}", priority=2 if b < 6 else 1) for b in range(7)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert result.placed == 6
    starts = sorted(m.start for m in result.schedule.meetings)
    assert starts[0] == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 11, 25, 2, 30, tzinfo=UTC)
    honolulu = ZoneInfo("Pacific/Honolulu")
    assert {s.astimezone(honolulu).date() for s in starts} == {date(2026, 11, 24)}
    assert {s.astimezone(SEOUL).date() for s in starts} == {date(2026, 11, 25)}
    [missed] = result.unplaced
    assert missed.request_id == "r6"  # the low-priority one loses
    assert missed.reason is UnplacedReason.CAPACITY_EXHAUSTED
    assert missed.blocking == ("company:c0",)


def test_auckland_meets_seoul_on_the_same_local_date() -> None:
    # Auckland in November is UTC+13: its 13:00-18:00 is Seoul 09:00-14:00 the same date.
    p = problem(
        mission(date(2026, 11, 24)),
        [Venue("seoul", "Asia/Seoul")],
        companies(1),
        [Buyer("akl", "Pacific/Auckland")],
        [],
        [request("r", "c0", "akl")],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    [meeting] = result.schedule.meetings
    assert meeting.start.astimezone(ZoneInfo("Pacific/Auckland")).date() == date(2026, 11, 24)
    assert meeting.start.astimezone(SEOUL).date() == date(2026, 11, 24)
    assert time(13) <= meeting.start.astimezone(ZoneInfo("Pacific/Auckland")).time()


def test_london_summer_time_opens_one_common_hour_with_seoul() -> None:
    # On Sat 28 Mar 2026 London (GMT) 09-18 is UTC 09-18 and Seoul 09-18 is UTC 00-09: no
    # overlap. Clocks go forward on Sun 29 Mar: London 09:00 BST is UTC 08:00, so exactly two
    # slots (UTC 08:00 and 08:30) are open in both places.
    p = problem(
        mission(date(2026, 3, 28), date(2026, 3, 29), tz="Europe/London"),
        [Venue("london", "Europe/London")],
        companies(1, venue="london"),
        buyers(3, "Asia/Seoul"),
        [],
        [request(f"r{b}", "c0", f"b{b}", priority=3 - b) for b in range(3)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert sorted(m.start for m in result.schedule.meetings) == [
        datetime(2026, 3, 29, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 8, 30, tzinfo=UTC),
    ]
    assert {m.request_id for m in result.schedule.meetings} == {"r0", "r1"}
    assert [u.request_id for u in result.unplaced] == ["r2"]


def test_sydney_end_of_summer_time_shifts_the_utc_slots() -> None:
    # Sydney leaves DST on Sun 5 Apr 2026: 09:00 is UTC 22:00 the day before on Saturday
    # and UTC 23:00 on Sunday. A Sydney company and a buyer there get slots at both.
    p = problem(
        mission(date(2026, 4, 4), date(2026, 4, 5), tz="Australia/Sydney"),
        [Venue("syd", "Australia/Sydney")],
        companies(1, venue="syd"),
        [
            Buyer(
                "b0",
                "Australia/Sydney",
                availability=(
                    local_window("Australia/Sydney", date(2026, 4, 4), time(9), time(9, 30)),
                ),
            ),
            Buyer(
                "b1",
                "Australia/Sydney",
                availability=(
                    local_window("Australia/Sydney", date(2026, 4, 5), time(9), time(9, 30)),
                ),
            ),
        ],
        [],
        [request("r0", "c0", "b0"), request("r1", "c0", "b1")],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert {m.request_id: m.start for m in result.schedule.meetings} == {
        "r0": datetime(2026, 4, 3, 22, 0, tzinfo=UTC),
        "r1": datetime(2026, 4, 4, 23, 0, tzinfo=UTC),
    }


def test_one_interpreter_is_the_bottleneck_and_high_priority_wins() -> None:
    # Two slots (09:00, 09:30), one ko-vi interpreter, four interpreted requests.
    p = problem(
        mission(date(2026, 5, 12), open_=time(9), close=time(10), breaks=()),
        [Venue("seoul", "Asia/Seoul", capacity=4)],
        companies(4),
        buyers(4, "Asia/Seoul"),  # a Vietnamese buyer visiting a Seoul business centre
        [interpreter("i1", KO_VI)],
        [
            request("low0", "c0", "b0", 1, KO_VI),
            request("high1", "c1", "b1", 3, KO_VI),
            request("low2", "c2", "b2", 1, KO_VI),
            request("high3", "c3", "b3", 3, KO_VI),
        ],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert {m.request_id for m in result.schedule.meetings} == {"high1", "high3"}
    assert {m.interpreter_id for m in result.schedule.meetings} == {"i1"}
    for missed in result.unplaced:
        assert missed.reason is UnplacedReason.CAPACITY_EXHAUSTED
        assert missed.blocking == ("interpreters:ko-vi",)


def test_two_language_interpreter_is_lent_where_only_she_can_help() -> None:
    # One slot. Ana speaks Vietnamese and English, Ben only English. Three requests (vi, en,
    # en): at most two can run, and only if Ana takes the Vietnamese one.
    p = problem(
        mission(date(2026, 5, 12), open_=time(9), close=time(9, 30), breaks=()),
        [Venue("seoul", "Asia/Seoul", capacity=3)],
        companies(3),
        buyers(3, "Asia/Seoul"),
        [interpreter("ana", KO_VI, KO_EN), interpreter("ben", KO_EN)],
        [
            request("en0", "c0", "b0", 2, KO_EN),
            request("en1", "c1", "b1", 2, KO_EN),
            request("vi2", "c2", "b2", 1, KO_VI),
        ],
    )
    result = solve(p, time_limit_s=5, strict_priority=False)
    assert_valid(p, result)
    assert result.placed == 2
    by_request = {m.request_id: m.interpreter_id for m in result.schedule.meetings}
    # The optimum by weight is both English meetings (2 + 2 > 2 + 1).
    assert by_request == {"en0": "ben", "en1": "ana"} or by_request == {"en0": "ana", "en1": "ben"}


def test_impossible_requests_say_why() -> None:
    day = date(2026, 5, 12)
    p = problem(
        mission(day),
        [Venue("seoul", "Asia/Seoul", capacity=4)],
        companies(4),
        [
            Buyer("moscow", "Europe/Moscow"),
            # Available only before Seoul opens.
            Buyer(
                "early",
                "Asia/Seoul",
                availability=(local_window("Asia/Seoul", day, time(7), time(8)),),
            ),
            Buyer("hanoi", "Asia/Ho_Chi_Minh"),
            Buyer("ok", "Asia/Seoul"),
        ],
        [
            # The only ko-vi interpreter works in the Seoul evening, after the venues close.
            Interpreter(
                "late",
                "Asia/Seoul",
                frozenset({KO_VI}),
                availability=(local_window("Asia/Seoul", day, time(19), time(22)),),
            )
        ],
        [
            request("needs-ru", "c0", "moscow", pair=KO_RU),
            request("never-together", "c1", "early"),
            request("interpreter-away", "c2", "hanoi", pair=KO_VI),
            request("fine", "c3", "ok"),
        ],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert [m.request_id for m in result.schedule.meetings] == ["fine"]
    reasons = {u.request_id: u.reason for u in result.unplaced}
    assert reasons == {
        "needs-ru": UnplacedReason.NO_INTERPRETER_FOR_PAIR,
        "never-together": UnplacedReason.NO_COMMON_AVAILABILITY,
        "interpreter-away": UnplacedReason.NO_INTERPRETER_AVAILABLE,
    }
    assert result.unplaced_by_reason() == {
        UnplacedReason.NO_INTERPRETER_FOR_PAIR: 1,
        UnplacedReason.NO_COMMON_AVAILABILITY: 1,
        UnplacedReason.NO_INTERPRETER_AVAILABLE: 1,
    }


def test_shared_booths_limit_concurrent_meetings_and_get_numbers() -> None:
    # Three companies share two booths for one slot; a Hanoi business centre has one room.
    p = problem(
        mission(date(2026, 5, 12), open_=time(9), close=time(9, 30), breaks=()),
        [
            Venue("seoul", "Asia/Seoul", capacity=2),
            Venue("hanoi-centre", "Asia/Seoul", capacity=1),
        ],
        companies(3),
        [
            Buyer("b0", "Asia/Seoul"),
            Buyer("b1", "Asia/Seoul"),
            Buyer("h0", "Asia/Seoul", venue_id="hanoi-centre"),
            Buyer("h1", "Asia/Seoul", venue_id="hanoi-centre"),
        ],
        [],
        [request("a", "c0", "h0", 3), request("b", "c1", "h1", 2), request("c", "c2", "b0", 1)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    # Only one room: "a" wins it; the two booths then go to "a" and "c".
    assert {m.request_id for m in result.schedule.meetings} == {"a", "c"}
    assert sorted(m.booth for m in result.schedule.meetings) == [1, 2]
    [missed] = result.unplaced
    assert set(missed.blocking) == {"rooms:hanoi-centre", "booths:seoul"}


def test_strict_priority_weights_outweigh_all_lower_levels() -> None:
    reqs = [request(f"r{i}", "c", "b", priority=1) for i in range(5)]
    reqs += [request(f"s{i}", "c", "b", priority=2) for i in range(3)]
    reqs += [request("t", "c", "b", priority=5)]
    weights = priority_weights(reqs)
    assert weights == {1: 1, 2: 6, 5: 24}
    assert weights[2] > 5 * weights[1]
    assert weights[5] > 5 * weights[1] + 3 * weights[2]
    assert priority_weights(reqs, strict=False) == {1: 1, 2: 2, 5: 5}


def test_gap_between_slots_and_lunch_shape_the_grid() -> None:
    # 30-minute meetings with a 10-minute changeover, 09:00-11:00 with a break 10:20-10:40:
    # slots start 09:00, 09:40 and 10:40 (10:20 would run into the break).
    m = Mission(
        id="m",
        days=(date(2026, 5, 12),),
        tz="Asia/Seoul",
        slot_minutes=30,
        gap_minutes=10,
        hours=DayHours(time(9), time(11, 10), ((time(10, 20), time(10, 40)),)),
    )
    p = problem(
        m,
        [Venue("seoul", "Asia/Seoul")],
        companies(1),
        buyers(4, "Asia/Seoul"),
        [],
        [request(f"r{b}", "c0", f"b{b}") for b in range(4)],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    local = sorted(f"{x.start.astimezone(SEOUL):%H:%M}" for x in result.schedule.meetings)
    assert local == ["09:00", "09:40", "10:40"]
    # Back to back without the changeover is a double booking for the validator.
    first, second = sorted(result.schedule.meetings, key=lambda x: x.start)[:2]
    squeezed = replace(second, start=first.end, end=first.end + (first.end - first.start))
    kinds = {v.kind for v in validate_schedule(p, Schedule((first, squeezed)))}
    assert ViolationKind.DOUBLE_BOOKED in kinds


def test_problem_refuses_unknown_ids_and_duplicates() -> None:
    m = mission(date(2026, 5, 12))
    venues = [Venue("seoul", "Asia/Seoul")]
    with pytest.raises(UnknownReference):
        problem(m, venues, companies(1), buyers(1, "Asia/Seoul"), [], [request("r", "c0", "zz")])
    with pytest.raises(UnknownReference):
        problem(m, venues, companies(1, venue="nowhere"), [], [], [])
    with pytest.raises(InvalidProblem):
        problem(m, venues, companies(1) * 2, [], [], [])
    with pytest.raises(InvalidProblem):
        language_pair("ko", "KO")
