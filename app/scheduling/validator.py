"""Independent check of any schedule against the problem, without the solver's machinery."""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.scheduling.model import DayHours, EntityId, Meeting, Problem, Schedule, Window


class ViolationKind(enum.StrEnum):
    UNKNOWN_REQUEST = "unknown_request"
    DUPLICATE_REQUEST = "duplicate_request"
    BAD_TIMES = "bad_times"
    WRONG_LENGTH = "wrong_length"
    OUTSIDE_VENUE_HOURS = "outside_venue_hours"
    OUTSIDE_AVAILABILITY = "outside_availability"
    DOUBLE_BOOKED = "double_booked"
    OVER_CAPACITY = "over_capacity"
    MISSING_INTERPRETER = "missing_interpreter"
    UNKNOWN_INTERPRETER = "unknown_interpreter"
    WRONG_LANGUAGES = "wrong_languages"


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    request_ids: tuple[EntityId, ...]
    detail: str


def validate_schedule(problem: Problem, schedule: Schedule) -> list[Violation]:
    """Every rule a schedule must keep, checked from scratch; an empty list means valid.

    Venue hours are checked in each venue's wall-clock time (so DST and the date line are
    seen the way people there see them) and double booking by interval overlap, not by
    comparing slot numbers, so this shares no assumptions with the solver's slot grid.
    """
    violations: list[Violation] = []
    mission = problem.mission
    seen: set[EntityId] = set()
    busy: defaultdict[tuple[str, EntityId], list[Meeting]] = defaultdict(list)
    for meeting in schedule.meetings:
        rid = meeting.request_id
        request = problem.request_by_id.get(rid)
        if request is None:
            violations.append(Violation(ViolationKind.UNKNOWN_REQUEST, (rid,), "no such request"))
            continue
        if rid in seen:
            violations.append(
                Violation(ViolationKind.DUPLICATE_REQUEST, (rid,), "request placed twice")
            )
        seen.add(rid)
        if meeting.start.tzinfo is None or meeting.end.tzinfo is None:
            violations.append(Violation(ViolationKind.BAD_TIMES, (rid,), "naive datetime"))
            continue
        if meeting.end - meeting.start != timedelta(minutes=mission.slot_minutes):
            violations.append(
                Violation(
                    ViolationKind.WRONG_LENGTH,
                    (rid,),
                    f"lasts {meeting.end - meeting.start}, slots are {mission.slot_minutes} min",
                )
            )
        company = problem.company_by_id[request.company_id]
        buyer = problem.buyer_by_id[request.buyer_id]
        company_venue = problem.venue_by_id[company.venue_id]
        places = [(f"company venue {company_venue.id}", company_venue.tz, company_venue.hours)]
        if buyer.venue_id is None:
            places.append((f"buyer office of {buyer.id}", buyer.tz, None))
        else:
            buyer_venue = problem.venue_by_id[buyer.venue_id]
            places.append((f"buyer venue {buyer_venue.id}", buyer_venue.tz, buyer_venue.hours))
        for label, tz, hours in places:
            problem_text = _outside_hours(meeting, tz, hours or mission.hours, mission.days)
            if problem_text:
                violations.append(
                    Violation(ViolationKind.OUTSIDE_VENUE_HOURS, (rid,), f"{label}: {problem_text}")
                )
        for label, windows in (
            (f"company {company.id}", company.availability),
            (f"buyer {buyer.id}", buyer.availability),
        ):
            if not _inside(meeting, windows):
                violations.append(
                    Violation(ViolationKind.OUTSIDE_AVAILABILITY, (rid,), f"{label} unavailable")
                )
        busy[("company", company.id)].append(meeting)
        busy[("buyer", buyer.id)].append(meeting)
        busy[("company_venue", company.venue_id)].append(meeting)
        if buyer.venue_id is not None:
            busy[("buyer_venue", buyer.venue_id)].append(meeting)
        if meeting.booth is not None:
            busy[("booth", f"{company.venue_id}#{meeting.booth}")].append(meeting)
        if meeting.room is not None and buyer.venue_id is not None:
            busy[("room", f"{buyer.venue_id}#{meeting.room}")].append(meeting)
        if request.interpretation is not None and meeting.interpreter_id is None:
            violations.append(
                Violation(ViolationKind.MISSING_INTERPRETER, (rid,), "needs an interpreter")
            )
        if meeting.interpreter_id is not None:
            interpreter = problem.interpreter_by_id.get(meeting.interpreter_id)
            if interpreter is None:
                violations.append(
                    Violation(
                        ViolationKind.UNKNOWN_INTERPRETER,
                        (rid,),
                        f"no interpreter {meeting.interpreter_id}",
                    )
                )
                continue
            if (
                request.interpretation is not None
                and request.interpretation not in interpreter.pairs
            ):
                violations.append(
                    Violation(
                        ViolationKind.WRONG_LANGUAGES,
                        (rid,),
                        f"interpreter {interpreter.id} does not cover "
                        f"{'-'.join(sorted(request.interpretation))}",
                    )
                )
            if not _inside(meeting, interpreter.availability):
                violations.append(
                    Violation(
                        ViolationKind.OUTSIDE_AVAILABILITY,
                        (rid,),
                        f"interpreter {interpreter.id} unavailable",
                    )
                )
            busy[("interpreter", interpreter.id)].append(meeting)
    gap = timedelta(minutes=mission.gap_minutes)
    for (kind, key), meetings in busy.items():
        limit = 1
        if kind in ("company_venue", "buyer_venue"):
            limit = problem.venue_by_id[key].capacity
        for group in _overlapping_groups(meetings, limit, gap):
            violations.append(
                Violation(
                    ViolationKind.OVER_CAPACITY if limit > 1 else ViolationKind.DOUBLE_BOOKED,
                    tuple(m.request_id for m in group),
                    f"{kind} {key} holds {len(group)} meetings at once (limit {limit})",
                )
            )
    return violations


def _outside_hours(
    meeting: Meeting, tz: str, hours: DayHours, days: tuple[object, ...]
) -> str | None:
    zone = ZoneInfo(tz)
    start = meeting.start.astimezone(zone)
    end = meeting.end.astimezone(zone)
    if start.date() not in days:
        return f"starts on {start.date()} local, not a mission day"
    if end.date() != start.date():
        return "crosses local midnight"
    if start.time() < hours.open or end.time() > hours.close:
        return f"{start:%H:%M}-{end:%H:%M} local is outside {hours.open:%H:%M}-{hours.close:%H:%M}"
    for break_start, break_end in hours.breaks:
        if start.time() < break_end and break_start < end.time():
            return f"{start:%H:%M}-{end:%H:%M} local overlaps the break at {break_start:%H:%M}"
    return None


def _inside(meeting: Meeting, windows: tuple[Window, ...] | None) -> bool:
    if windows is None:
        return True
    return any(w.start <= meeting.start and meeting.end <= w.end for w in windows)


def _overlapping_groups(meetings: list[Meeting], limit: int, gap: timedelta) -> list[list[Meeting]]:
    """Sets of meetings sharing an instant (counting the gap after each), larger than
    `limit` (a sweep over start times)."""
    groups: list[list[Meeting]] = []
    ordered = sorted(meetings, key=lambda m: m.start)
    active: list[Meeting] = []
    reported: set[frozenset[int]] = set()
    for meeting in ordered:
        now: datetime = meeting.start
        # The mission's gap between slots is a changeover: a seat is busy until it ends.
        active = [m for m in active if m.end + gap > now]
        active.append(meeting)
        if len(active) > limit:
            key = frozenset(id(m) for m in active)
            if key not in reported:
                reported.add(key)
                groups.append(list(active))
    return groups
