"""Agendas in each party's own time zone, ICS invites with join links, the organiser's XLSX grid."""

from __future__ import annotations

import enum
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app import clock
from app.scheduling.errors import UnknownReference
from app.scheduling.model import EntityId, Meeting, Problem, Schedule, pair_label


class PartyKind(enum.StrEnum):
    COMPANY = "company"
    BUYER = "buyer"
    INTERPRETER = "interpreter"


@dataclass(frozen=True)
class AgendaItem:
    request_id: EntityId
    start: datetime  # UTC
    end: datetime  # UTC
    local_start: datetime  # in the agenda owner's zone
    local_end: datetime
    company: str
    buyer: str
    booth: str  # "COEX hall, booth 3"
    room: str  # "Hanoi business centre, room 2", or "own office"
    interpreter: str  # "" when none
    languages: str  # "ko-vi", "" when none
    join_url: str | None


@dataclass(frozen=True)
class Agenda:
    kind: PartyKind
    party_id: EntityId
    name: str
    tz: str
    items: tuple[AgendaItem, ...]


def agenda_for(
    problem: Problem,
    schedule: Schedule,
    kind: PartyKind,
    party_id: EntityId,
    *,
    join_links: Mapping[EntityId, str] | None = None,
) -> Agenda:
    """One party's meetings in time order, in its own zone (company: its booth venue's;
    buyer: its room's or office's; interpreter: its own). `join_links` maps a request id to
    this party's seat link in that meeting."""
    join_links = join_links or {}
    if kind is PartyKind.COMPANY:
        if party_id not in problem.company_by_id:
            raise UnknownReference(f"no company {party_id}")
        tz, name = problem.company_tz(party_id), problem.company_by_id[party_id].name
    elif kind is PartyKind.BUYER:
        if party_id not in problem.buyer_by_id:
            raise UnknownReference(f"no buyer {party_id}")
        tz, name = problem.buyer_tz(party_id), problem.buyer_by_id[party_id].name
    else:
        if party_id not in problem.interpreter_by_id:
            raise UnknownReference(f"no interpreter {party_id}")
        interpreter = problem.interpreter_by_id[party_id]
        tz, name = interpreter.tz, interpreter.name
    zone = ZoneInfo(tz)
    items: list[AgendaItem] = []
    for meeting in sorted(schedule.meetings, key=lambda m: m.start):
        request = problem.request_by_id[meeting.request_id]
        mine = (
            (kind is PartyKind.COMPANY and request.company_id == party_id)
            or (kind is PartyKind.BUYER and request.buyer_id == party_id)
            or (kind is PartyKind.INTERPRETER and meeting.interpreter_id == party_id)
        )
        if mine:
            items.append(_item(problem, meeting, zone, join_links.get(meeting.request_id)))
    return Agenda(kind, party_id, name or str(party_id), tz, tuple(items))


def _item(problem: Problem, meeting: Meeting, zone: ZoneInfo, link: str | None) -> AgendaItem:
    request = problem.request_by_id[meeting.request_id]
    company = problem.company_by_id[request.company_id]
    buyer = problem.buyer_by_id[request.buyer_id]
    interpreter = (
        problem.interpreter_by_id.get(meeting.interpreter_id)
        if meeting.interpreter_id is not None
        else None
    )
    return AgendaItem(
        request_id=meeting.request_id,
        start=meeting.start.astimezone(UTC),
        end=meeting.end.astimezone(UTC),
        local_start=meeting.start.astimezone(zone),
        local_end=meeting.end.astimezone(zone),
        company=company.name or str(company.id),
        buyer=buyer.name or str(buyer.id),
        booth=booth_label(problem, company.venue_id, meeting.booth),
        room=(
            "own office"
            if buyer.venue_id is None
            else booth_label(problem, buyer.venue_id, meeting.room, word="room")
        ),
        interpreter="" if interpreter is None else interpreter.name or str(interpreter.id),
        languages=pair_label(request.interpretation),
        join_url=link,
    )


def booth_label(
    problem: Problem, venue_id: EntityId, number: int | None, *, word: str = "booth"
) -> str:
    venue = problem.venue_by_id[venue_id]
    name = venue.name or str(venue.id)
    return name if number is None else f"{name}, {word} {number}"


def agenda_ics(
    agenda: Agenda, *, stamp: datetime | None = None, reminder_minutes: float = 0
) -> bytes:
    """An iCalendar file with one event per meeting, times in UTC, the seat's join link as
    URL and in the description (calendar apps differ in which one they show); with
    `reminder_minutes`, an alarm that long before each meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//TradeBooth//scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-timezone", agenda.tz)
    created = stamp or clock.now()
    for item in agenda.items:
        event = Event()
        event.add("uid", f"{item.request_id}-{agenda.kind}-{agenda.party_id}@tradebooth")
        event.add("dtstamp", created)
        event.add("dtstart", item.start)
        event.add("dtend", item.end)
        event.add("summary", f"Export consultation: {item.company} / {item.buyer}")
        lines = [
            f"{item.local_start:%a %d %b %Y %H:%M}-{item.local_end:%H:%M} ({agenda.tz})",
            f"Company: {item.company} ({item.booth})",
            f"Buyer: {item.buyer} ({item.room})",
        ]
        if item.interpreter:
            lines.append(f"Interpreter: {item.interpreter} ({item.languages})")
        if item.join_url:
            lines.append(f"Join: {item.join_url}")
            event.add("url", item.join_url)
            event.add("location", item.join_url)
        else:
            event.add("location", item.booth if agenda.kind is PartyKind.COMPANY else item.room)
        event.add("description", "\n".join(lines))
        if reminder_minutes > 0:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Export consultation: {item.company} / {item.buyer}")
            alarm.add("trigger", -timedelta(minutes=reminder_minutes))
            event.add_component(alarm)
        calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
_BOOKED_FILL = PatternFill("solid", fgColor="DDEBF7")
_INTERPRETED_FILL = PatternFill("solid", fgColor="FCE4D6")
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def schedule_xlsx(problem: Problem, schedule: Schedule, *, tz: str | None = None) -> bytes:
    """The organiser's grid: one sheet per local day, a row per booth, a column per slot
    start in `tz` (default: the mission's zone); interpreted meetings shaded apart."""
    zone = ZoneInfo(tz or problem.mission.tz)
    by_day: defaultdict[date, list[Meeting]] = defaultdict(list)
    for meeting in schedule.meetings:
        by_day[meeting.start.astimezone(zone).date()].append(meeting)
    workbook = Workbook()
    for sheet in list(workbook.worksheets):
        workbook.remove(sheet)
    for day in sorted(by_day):
        meetings = by_day[day]
        sheet = workbook.create_sheet(title=day.isoformat())
        starts = sorted({m.start for m in meetings})
        rows = sorted(
            {_booth_of(problem, m) for m in meetings},
            key=lambda b: (str(b[0]), b[1] or 0),
        )
        sheet.cell(row=1, column=1, value=f"Booth \\ {zone.key}")
        for column, start in enumerate(starts, start=2):
            sheet.cell(row=1, column=column, value=f"{start.astimezone(zone):%H:%M}")
            sheet.column_dimensions[get_column_letter(column)].width = 24
        row_of: dict[tuple[EntityId, int | None], int] = {}
        for row, key in enumerate(rows, start=2):
            row_of[key] = row
            sheet.cell(row=row, column=1, value=booth_label(problem, key[0], key[1]))
        column_of = {start: column for column, start in enumerate(starts, start=2)}
        for meeting in meetings:
            request = problem.request_by_id[meeting.request_id]
            company = problem.company_by_id[request.company_id]
            buyer = problem.buyer_by_id[request.buyer_id]
            text = f"{company.name or company.id}\n{buyer.name or buyer.id}"
            if meeting.interpreter_id is not None:
                text += f"\n{pair_label(request.interpretation)}: {meeting.interpreter_id}"
            cell = sheet.cell(
                row=row_of[_booth_of(problem, meeting)],
                column=column_of[meeting.start],
                value=text,
            )
            cell.fill = _INTERPRETED_FILL if request.interpretation else _BOOKED_FILL
        sheet.column_dimensions["A"].width = 28
        for row in sheet.iter_rows(min_row=1, max_row=len(rows) + 1, max_col=len(starts) + 1):
            for cell in row:
                cell.border = _BORDER
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = _HEADER_FILL
        for column in range(1, len(starts) + 2):
            sheet.cell(row=1, column=column).alignment = Alignment(horizontal="center")
        sheet.freeze_panes = "B2"
    if not workbook.worksheets:
        workbook.create_sheet(title="no meetings")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _booth_of(problem: Problem, meeting: Meeting) -> tuple[EntityId, int | None]:
    request = problem.request_by_id[meeting.request_id]
    return problem.company_by_id[request.company_id].venue_id, meeting.booth
