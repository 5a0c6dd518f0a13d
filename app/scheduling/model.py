"""Plain input and output types of the scheduling core, free of the database and the API."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from app.scheduling.errors import InvalidProblem, UnknownReference

# Record ids are ints in the database; tests and benches use readable strings.
EntityId = int | str
LanguagePair = frozenset[str]


def language_pair(a: str, b: str) -> LanguagePair:
    """The unordered pair of languages an interpreter covers, e.g. ("ko", "vi")."""
    pair = frozenset({a.strip().lower(), b.strip().lower()})
    if len(pair) != 2:
        raise InvalidProblem(f"a language pair needs two different languages, got {a!r}, {b!r}")
    return pair


def pair_label(pair: LanguagePair | None) -> str:
    return "" if pair is None else "-".join(sorted(pair))


@dataclass(frozen=True, order=True)
class Window:
    """A span of absolute time [start, end); both ends timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidProblem("window times must be timezone-aware")
        if self.end <= self.start:
            raise InvalidProblem(f"window ends before it starts: {self.start} .. {self.end}")

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


def local_window(tz: str, day: date, start: time, end: time) -> Window:
    """Availability given in a party's own wall-clock time; an end of 00:00 means midnight."""
    zone = ZoneInfo(tz)
    begin = datetime.combine(day, start, tzinfo=zone)
    finish_day = day + timedelta(days=1) if end <= start else day
    finish = datetime.combine(finish_day, end, tzinfo=zone)
    return Window(begin.astimezone(UTC), finish.astimezone(UTC))


@dataclass(frozen=True)
class DayHours:
    """Opening hours of a venue in its local time, with breaks (e.g. lunch) inside them."""

    open: time = time(9, 0)
    close: time = time(18, 0)
    breaks: tuple[tuple[time, time], ...] = ((time(12, 0), time(13, 0)),)

    def __post_init__(self) -> None:
        if self.close <= self.open:
            raise InvalidProblem("venue hours must close after they open on the same day")
        for start, end in self.breaks:
            if end <= start:
                raise InvalidProblem("a break must end after it starts")


@dataclass(frozen=True)
class Mission:
    """The days, the slot length and the default venue hours of one mission.

    `tz` is the organiser's zone: the slot grid starts at `hours.open` there each day, so
    slots line up across venues whose UTC offsets differ by whole multiples of the step.
    """

    id: EntityId
    days: tuple[date, ...]
    tz: str = "Asia/Seoul"
    slot_minutes: int = 30
    gap_minutes: int = 0
    hours: DayHours = field(default_factory=DayHours)

    def __post_init__(self) -> None:
        if not self.days:
            raise InvalidProblem("a mission needs at least one day")
        if self.slot_minutes <= 0 or self.gap_minutes < 0:
            raise InvalidProblem("slot length must be positive and the gap non-negative")
        ZoneInfo(self.tz)

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)


class VenueKind(enum.StrEnum):
    BOOTH = "booth"  # domestic consultation booths (district office, convention centre)
    ROOM = "room"  # overseas business-centre rooms, or a buyer's own office


@dataclass(frozen=True)
class Venue:
    """A place with `capacity` booths or rooms that can each hold one meeting at a time."""

    id: EntityId
    tz: str
    capacity: int = 1
    kind: VenueKind = VenueKind.BOOTH
    name: str = ""
    hours: DayHours | None = None  # None: the mission's hours

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise InvalidProblem(f"venue {self.id} needs a capacity of at least 1")
        ZoneInfo(self.tz)


@dataclass(frozen=True)
class Company:
    id: EntityId
    venue_id: EntityId
    name: str = ""
    availability: tuple[Window, ...] | None = None  # None: whenever its venue is open


@dataclass(frozen=True)
class Buyer:
    """An overseas buyer, in a business-centre room (`venue_id`) or in its own office."""

    id: EntityId
    tz: str
    name: str = ""
    venue_id: EntityId | None = None  # None: its own office, open the mission's hours in `tz`
    availability: tuple[Window, ...] | None = None


@dataclass(frozen=True)
class Interpreter:
    id: EntityId
    tz: str
    pairs: frozenset[LanguagePair]
    name: str = ""
    availability: tuple[Window, ...] | None = None  # None: any time


@dataclass(frozen=True)
class MeetingRequest:
    """An approved 1:1 request; higher `priority` wins when not every request fits."""

    id: EntityId
    company_id: EntityId
    buyer_id: EntityId
    priority: int = 1
    interpretation: LanguagePair | None = None  # None: company and buyer share a language


@dataclass(frozen=True)
class Problem:
    mission: Mission
    venues: tuple[Venue, ...]
    companies: tuple[Company, ...]
    buyers: tuple[Buyer, ...]
    interpreters: tuple[Interpreter, ...]
    requests: tuple[MeetingRequest, ...]

    def __post_init__(self) -> None:
        for kind, items in (
            ("venue", self.venues),
            ("company", self.companies),
            ("buyer", self.buyers),
            ("interpreter", self.interpreters),
            ("request", self.requests),
        ):
            ids = [item.id for item in items]
            if len(set(ids)) != len(ids):
                raise InvalidProblem(f"duplicate {kind} ids")
        for company in self.companies:
            if company.venue_id not in self.venue_by_id:
                raise UnknownReference(f"company {company.id}: unknown venue {company.venue_id}")
        for buyer in self.buyers:
            if buyer.venue_id is not None and buyer.venue_id not in self.venue_by_id:
                raise UnknownReference(f"buyer {buyer.id}: unknown venue {buyer.venue_id}")
        for request in self.requests:
            if request.company_id not in self.company_by_id:
                raise UnknownReference(f"request {request.id}: unknown company")
            if request.buyer_id not in self.buyer_by_id:
                raise UnknownReference(f"request {request.id}: unknown buyer")

    @cached_property
    def venue_by_id(self) -> Mapping[EntityId, Venue]:
        return {venue.id: venue for venue in self.venues}

    @cached_property
    def company_by_id(self) -> Mapping[EntityId, Company]:
        return {company.id: company for company in self.companies}

    @cached_property
    def buyer_by_id(self) -> Mapping[EntityId, Buyer]:
        return {buyer.id: buyer for buyer in self.buyers}

    @cached_property
    def interpreter_by_id(self) -> Mapping[EntityId, Interpreter]:
        return {interpreter.id: interpreter for interpreter in self.interpreters}

    @cached_property
    def request_by_id(self) -> Mapping[EntityId, MeetingRequest]:
        return {request.id: request for request in self.requests}

    def company_tz(self, company_id: EntityId) -> str:
        return self.venue_by_id[self.company_by_id[company_id].venue_id].tz

    def buyer_tz(self, buyer_id: EntityId) -> str:
        buyer = self.buyer_by_id[buyer_id]
        return buyer.tz if buyer.venue_id is None else self.venue_by_id[buyer.venue_id].tz


@dataclass(frozen=True)
class Meeting:
    """One placed request: UTC times, the interpreter if any, and booth/room numbers."""

    request_id: EntityId
    start: datetime
    end: datetime
    interpreter_id: EntityId | None = None
    booth: int | None = None  # 1-based booth number inside the company's venue
    room: int | None = None  # 1-based room number inside the buyer's venue, if any


@dataclass(frozen=True)
class Schedule:
    meetings: tuple[Meeting, ...]

    @cached_property
    def by_request(self) -> Mapping[EntityId, Meeting]:
        return {meeting.request_id: meeting for meeting in self.meetings}


class UnplacedReason(enum.StrEnum):
    NO_INTERPRETER_FOR_PAIR = "no_interpreter_for_pair"
    NO_COMMON_AVAILABILITY = "no_common_availability"
    NO_INTERPRETER_AVAILABLE = "no_interpreter_available"
    CAPACITY_EXHAUSTED = "capacity_exhausted"


@dataclass(frozen=True)
class Unplaced:
    request_id: EntityId
    reason: UnplacedReason
    detail: str
    # For CAPACITY_EXHAUSTED: which resources were full in the request's possible slots,
    # e.g. ("company:c1", "interpreters:ko-vi"), most often full first.
    blocking: tuple[str, ...] = ()


@dataclass(frozen=True)
class SolveResult:
    schedule: Schedule
    unplaced: tuple[Unplaced, ...]
    # "optimal" / "feasible": CP-SAT on the whole model (proved, or time limit hit);
    # "improved": CP-SAT neighbourhoods beat the greedy start; "greedy": nothing beat it.
    status: str
    objective: int
    best_bound: float  # CP-SAT's proven bound on `objective`; NaN without a whole-model run
    solve_seconds: float

    @property
    def placed(self) -> int:
        return len(self.schedule.meetings)

    def unplaced_by_reason(self) -> dict[UnplacedReason, int]:
        counts: dict[UnplacedReason, int] = {}
        for item in self.unplaced:
            counts[item.reason] = counts.get(item.reason, 0) + 1
        return counts
