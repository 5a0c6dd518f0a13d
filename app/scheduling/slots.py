"""The mission's slot grid and which slots each venue, party and request can use."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.scheduling.model import (
    DayHours,
    EntityId,
    LanguagePair,
    MeetingRequest,
    Mission,
    Problem,
    Window,
)

# Bit i of a slot mask stands for slot i of the grid; ints make intersections cheap.
SlotMask = int


def slot_grid(mission: Mission) -> tuple[Window, ...]:
    """Non-overlapping UTC slots, anchored at the organiser's opening time each day and
    again at the end of each break, so the afternoon starts when lunch ends.

    Each day's grid reaches 12 hours either way of the opening, so venues up to 12 hours
    off the organiser (Honolulu against Seoul) get slots; where a DST change makes two
    days' grids overlap at night, the later slot is dropped.
    """
    zone = ZoneInfo(mission.tz)
    hours = mission.hours
    step = timedelta(minutes=mission.slot_minutes + mission.gap_minutes)
    length = mission.slot_length
    reach = timedelta(hours=12)
    starts: set[datetime] = set()
    for day in _days_around(mission.days):

        def at(moment: time, day: date = day) -> datetime:
            return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)

        opening = at(hours.open)
        earlier = opening - step
        while earlier >= opening - reach:
            starts.add(earlier)
            earlier -= step
        anchors = [opening] + sorted(
            at(end) for _, end in hours.breaks if hours.open < end < hours.close
        )
        for index, anchor in enumerate(anchors):
            last = index + 1 == len(anchors)
            stop = opening + reach if last else anchors[index + 1]
            start = anchor
            while (start < stop) if last else (start + length <= stop):
                starts.add(start)
                start += step
    slots: list[Window] = []
    for start in sorted(starts):
        if slots and start < slots[-1].end:
            continue
        slots.append(Window(start, start + length))
    return tuple(slots)


def _days_around(days: Iterable[date]) -> list[date]:
    found = set(days)
    return sorted(
        found | {d - timedelta(days=1) for d in found} | {d + timedelta(days=1) for d in found}
    )


def open_windows(tz: str, hours: DayHours, days: Iterable[date]) -> tuple[Window, ...]:
    """A venue's opening hours on the mission days of its own calendar, minus breaks, in UTC."""
    zone = ZoneInfo(tz)
    windows: list[Window] = []
    for day in sorted(set(days)):
        pieces = [(hours.open, hours.close)]
        for break_start, break_end in sorted(hours.breaks):
            cut: list[tuple[time, time]] = []
            for start, end in pieces:
                if break_end <= start or end <= break_start:
                    cut.append((start, end))
                    continue
                if start < break_start:
                    cut.append((start, break_start))
                if break_end < end:
                    cut.append((break_end, end))
            pieces = cut
        for start, end in pieces:
            windows.append(
                Window(
                    datetime.combine(day, start, tzinfo=zone).astimezone(UTC),
                    datetime.combine(day, end, tzinfo=zone).astimezone(UTC),
                )
            )
    return tuple(sorted(windows))


def mask_within(slots: Sequence[Window], windows: Sequence[Window] | None) -> SlotMask:
    """Slots lying wholly inside one of `windows`; None means no restriction."""
    if windows is None:
        return (1 << len(slots)) - 1
    ordered = sorted(windows)
    window_starts = [window.start for window in ordered]
    mask = 0
    for index, slot in enumerate(slots):
        position = bisect.bisect_right(window_starts, slot.start) - 1
        # Windows may overlap, so look back a little for one that reaches the slot's end.
        while position >= 0:
            window = ordered[position]
            if window.covers(slot.start, slot.end):
                mask |= 1 << index
                break
            if slot.start - window.start > timedelta(days=2):
                break
            position -= 1
    return mask


def bits(mask: SlotMask) -> Iterator[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


@dataclass(frozen=True)
class Resources:
    """The capacity-limited things one request occupies while it runs."""

    company: EntityId
    buyer: EntityId
    company_venue: EntityId
    buyer_venue: EntityId | None  # None: the buyer's own office, not shared


class Feasibility:
    """Per-slot availability of every venue, party and request, computed once per problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        mission = problem.mission
        self.slots = slot_grid(mission)
        self._starts = [slot.start for slot in self.slots]
        self._resources: dict[EntityId, Resources] = {}
        by_hours: dict[tuple[str, DayHours], SlotMask] = {}

        def venue_mask(tz: str, hours: DayHours | None) -> SlotMask:
            key = (tz, hours or mission.hours)
            if key not in by_hours:
                by_hours[key] = mask_within(self.slots, open_windows(key[0], key[1], mission.days))
            return by_hours[key]

        self.venue_open: dict[EntityId, SlotMask] = {
            venue.id: venue_mask(venue.tz, venue.hours) for venue in problem.venues
        }
        self.company_mask: dict[EntityId, SlotMask] = {
            company.id: self.venue_open[company.venue_id]
            & mask_within(self.slots, company.availability)
            for company in problem.companies
        }
        self.buyer_mask: dict[EntityId, SlotMask] = {}
        for buyer in problem.buyers:
            place = (
                venue_mask(buyer.tz, None)
                if buyer.venue_id is None
                else self.venue_open[buyer.venue_id]
            )
            self.buyer_mask[buyer.id] = place & mask_within(self.slots, buyer.availability)
        self.interpreter_mask: dict[EntityId, SlotMask] = {
            interpreter.id: mask_within(self.slots, interpreter.availability)
            for interpreter in problem.interpreters
        }
        self.pair_interpreters: dict[LanguagePair, tuple[EntityId, ...]] = {}
        for interpreter in problem.interpreters:
            for pair in interpreter.pairs:
                self.pair_interpreters.setdefault(pair, ())
                self.pair_interpreters[pair] += (interpreter.id,)
        self.pair_mask: dict[LanguagePair, SlotMask] = {}
        for pair, interpreter_ids in self.pair_interpreters.items():
            mask = 0
            for interpreter_id in interpreter_ids:
                mask |= self.interpreter_mask[interpreter_id]
            self.pair_mask[pair] = mask

    def common_mask(self, request: MeetingRequest) -> SlotMask:
        """Slots where both venues are open and both parties available, interpreters aside."""
        return self.company_mask[request.company_id] & self.buyer_mask[request.buyer_id]

    def request_mask(self, request: MeetingRequest) -> SlotMask:
        """Slots the request could use if nothing else were scheduled."""
        mask = self.common_mask(request)
        if request.interpretation is not None:
            mask &= self.pair_mask.get(request.interpretation, 0)
        return mask

    def resources(self, request: MeetingRequest) -> Resources:
        found = self._resources.get(request.id)
        # Keyed by id, yet a rescheduled request may keep its id and change a party.
        if found is not None and (found.company, found.buyer) == (
            request.company_id,
            request.buyer_id,
        ):
            return found
        problem = self.problem
        found = self._resources[request.id] = Resources(
            company=request.company_id,
            buyer=request.buyer_id,
            company_venue=problem.company_by_id[request.company_id].venue_id,
            buyer_venue=problem.buyer_by_id[request.buyer_id].venue_id,
        )
        return found

    def slot_index(self, start: datetime) -> int | None:
        starts = self._starts
        index = bisect.bisect_left(starts, start)
        if index < len(starts) and starts[index] == start:
            return index
        return None
