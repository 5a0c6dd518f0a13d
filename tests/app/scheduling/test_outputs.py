"""Agendas in local time, ICS invites that parse back, the XLSX grid."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from app.scheduling.errors import UnknownReference
from app.scheduling.model import Buyer, Company, Problem, Schedule, Venue
from app.scheduling.outputs import PartyKind, agenda_for, agenda_ics, schedule_xlsx
from app.scheduling.solver import solve
from tests.app.scheduling.builders import (
    KO_VI,
    assert_valid,
    interpreter,
    mission,
    problem,
    request,
)

DAY = date(2026, 5, 12)


@pytest.fixture(scope="module")
def solved() -> tuple[Problem, Schedule]:
    # Two Seoul companies and two Hanoi buyers (UTC+7) in a business centre, 09-13 locally:
    # four common slots (Seoul 11:00-13:00).
    p = problem(
        mission(DAY, open_=time(9), close=time(13), breaks=()),
        [
            Venue("hall", "Asia/Seoul", capacity=2, name="Namdong hall"),
            Venue("kbc", "Asia/Ho_Chi_Minh", capacity=2, name="Hanoi centre"),
        ],
        [
            Company("c0", "hall", name="Seoul Cosmetics"),
            Company("c1", "hall", name="Incheon Motors"),
        ],
        [
            Buyer("b0", "Asia/Ho_Chi_Minh", name="Saigon Trading", venue_id="kbc"),
            Buyer("b1", "Asia/Ho_Chi_Minh", name="Hanoi Retail", venue_id="kbc"),
        ],
        [interpreter("vi1", KO_VI, tz="Asia/Seoul")],
        [
            request("r00", "c0", "b0", 2, KO_VI),
            request("r01", "c0", "b1", 1),
            request("r10", "c1", "b0", 1),
            request("r11", "c1", "b1", 2, KO_VI),
        ],
    )
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert result.placed == 4
    return p, result.schedule


def test_agendas_are_in_each_partys_own_time_zone(solved: tuple[Problem, Schedule]) -> None:
    p, schedule = solved
    company = agenda_for(p, schedule, PartyKind.COMPANY, "c0")
    buyer = agenda_for(p, schedule, PartyKind.BUYER, "b0")
    interp = agenda_for(p, schedule, PartyKind.INTERPRETER, "vi1")
    assert [i.request_id for i in company.items] == sorted(
        (i.request_id for i in company.items), key=lambda r: schedule.by_request[r].start
    )
    assert {i.request_id for i in company.items} == {"r00", "r01"}
    assert {i.request_id for i in buyer.items} == {"r00", "r10"}
    assert {i.request_id for i in interp.items} == {"r00", "r11"}
    # Hanoi is two hours behind Seoul: the same meeting, two wall-clock times.
    shared = next(i for i in company.items if i.request_id == "r00")
    same = next(i for i in buyer.items if i.request_id == "r00")
    assert shared.start == same.start
    assert shared.local_start.hour - same.local_start.hour == 2
    assert str(shared.local_start.tzinfo) == "Asia/Seoul"
    assert str(same.local_start.tzinfo) == "Asia/Ho_Chi_Minh"
    assert shared.booth.startswith("Namdong hall, booth ")
    assert same.room.startswith("Hanoi centre, room ")
    assert shared.interpreter == "vi1" and shared.languages == "ko-vi"
    with pytest.raises(UnknownReference):
        agenda_for(p, schedule, PartyKind.BUYER, "nobody")


def test_ics_parses_back_with_utc_times_and_join_links(solved: tuple[Problem, Schedule]) -> None:
    p, schedule = solved
    links = {"r00": "https://booth.example/j/r00-buyer", "r10": "https://booth.example/j/r10-buyer"}
    agenda = agenda_for(p, schedule, PartyKind.BUYER, "b0", join_links=links)
    raw = agenda_ics(agenda, stamp=datetime(2026, 5, 1, tzinfo=UTC), reminder_minutes=5)
    calendar = Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    for event in events:
        (alarm,) = event.walk("VALARM")  # the reminder, five minutes before
        assert alarm.decoded("trigger") == -timedelta(minutes=5)
        assert str(alarm["action"]) == "DISPLAY"
        request_id = str(event["uid"]).split("-")[0]
        meeting = schedule.by_request[request_id]
        assert event.decoded("dtstart") == meeting.start
        assert event.decoded("dtend") == meeting.end
        assert event.decoded("dtstart").utcoffset().total_seconds() == 0
        assert str(event["url"]) == links[request_id]
        assert links[request_id] in str(event["description"])
        assert "Asia/Ho_Chi_Minh" in str(event["description"])


def test_xlsx_grid_has_booth_rows_and_local_time_columns(solved: tuple[Problem, Schedule]) -> None:
    p, schedule = solved
    workbook = load_workbook(io.BytesIO(schedule_xlsx(p, schedule)))
    assert workbook.sheetnames == ["2026-05-12"]
    sheet = workbook["2026-05-12"]
    assert sheet["A1"].font.bold
    assert sheet.freeze_panes == "B2"
    headers = [c.value for c in sheet[1]][1:]
    assert headers == sorted(headers)
    rows = {sheet.cell(row=r, column=1).value: r for r in range(2, sheet.max_row + 1)}
    assert set(rows) <= {"Namdong hall, booth 1", "Namdong hall, booth 2"}
    found = 0
    for meeting in schedule.meetings:
        column = headers.index(f"{meeting.start.astimezone(ZoneInfo(p.mission.tz)):%H:%M}") + 2
        cell = sheet.cell(row=rows[f"Namdong hall, booth {meeting.booth}"], column=column)
        request = p.request_by_id[meeting.request_id]
        company = p.company_by_id[request.company_id].name
        buyer = p.buyer_by_id[request.buyer_id].name
        assert cell.value.startswith(f"{company}\n{buyer}")
        if request.interpretation:
            assert cell.value.endswith(f"ko-vi: {meeting.interpreter_id}")
        found += 1
    assert found == 4
