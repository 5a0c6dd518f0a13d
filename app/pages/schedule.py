"""The day's schedule as a grid: one row per booth, one column per slot, in local time."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.meetings.models import Meeting
from app.missions.models import Mission, Venue

DEFAULT_DAY = (time(9, 0), time(18, 0))


@dataclass
class Cell:
    meeting: Meeting | None
    span: int = 1


@dataclass
class Row:
    venue: Venue | None  # None: meetings with no booth set
    lanes: list[list[Cell]] = field(default_factory=list)


@dataclass
class Grid:
    day: date
    tz: str
    columns: list[datetime]  # slot start times (aware, in `tz`)
    rows: list[Row]
    slot: timedelta


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The local day `day` in `tz` as a UTC [start, end) range."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def mission_days(mission: Mission) -> list[date]:
    days: list[date] = []
    day = mission.start_date
    while day <= mission.end_date and len(days) < 31:
        days.append(day)
        day += timedelta(days=1)
    return days


def pick_day(mission: Mission, meetings_days: list[date], today: date) -> date:
    """Today when it is a mission day, else the first day with meetings, else the first day."""
    if mission.start_date <= today <= mission.end_date:
        return today
    return min(meetings_days) if meetings_days else mission.start_date


def build(
    *, mission: Mission, day: date, venues: list[Venue], meetings: list[Meeting]
) -> Grid:
    zone = ZoneInfo(mission.timezone)
    slot = timedelta(minutes=mission.slot_minutes)
    if meetings:
        first = min(m.starts_at for m in meetings).astimezone(zone)
        last = max(m.ends_at for m in meetings).astimezone(zone)
        # Columns start on a whole hour so the header reads like a timetable.
        start = first.replace(minute=0, second=0, microsecond=0)
    else:
        start = datetime.combine(day, DEFAULT_DAY[0], tzinfo=zone)
        last = datetime.combine(day, DEFAULT_DAY[1], tzinfo=zone)
    count = max(1, math.ceil((last - start) / slot))
    columns = [start + i * slot for i in range(count)]

    booths = sorted(
        (v for v in venues if v.kind.value == "booth"), key=lambda v: (v.name, v.id)
    )
    by_venue: dict[int | None, list[Meeting]] = {v.id: [] for v in booths}
    for meeting in sorted(meetings, key=lambda m: (m.starts_at, m.id)):
        key = meeting.company_venue_id if meeting.company_venue_id in by_venue else None
        by_venue.setdefault(key, []).append(meeting)

    rows: list[Row] = []
    venue_of = {v.id: v for v in booths}
    for key, row_meetings in by_venue.items():
        row = Row(venue=venue_of.get(key) if key is not None else None)
        # Overlapping meetings in one booth (a big room) go to extra lanes of the row.
        lanes_end: list[datetime] = []
        placed: list[list[tuple[int, int, Meeting]]] = []
        for meeting in row_meetings:
            index = max(0, math.floor((meeting.starts_at - start) / slot))
            span = max(1, math.ceil((meeting.ends_at - meeting.starts_at) / slot))
            span = min(span, count - index) if index < count else 1
            lane = next((i for i, end in enumerate(lanes_end) if end <= meeting.starts_at), None)
            if lane is None:
                lanes_end.append(meeting.ends_at)
                placed.append([])
                lane = len(placed) - 1
            lanes_end[lane] = meeting.ends_at
            placed[lane].append((index, span, meeting))
        for lane_meetings in placed or [[]]:
            cells: list[Cell] = []
            column = 0
            for index, span, meeting in lane_meetings:
                if index < column or index >= count:
                    continue
                cells.extend(Cell(None) for _ in range(index - column))
                cells.append(Cell(meeting, span))
                column = index + span
            cells.extend(Cell(None) for _ in range(count - column))
            row.lanes.append(cells)
        if key is not None or row_meetings:
            rows.append(row)
    return Grid(day=day, tz=mission.timezone, columns=columns, rows=rows, slot=slot)


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()
