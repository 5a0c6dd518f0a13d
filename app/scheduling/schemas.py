"""Request and response bodies of the scheduling API."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.meetings.schemas import MeetingRead
from app.scheduling.models import PartyKind
from app.schemas import PrimaryKey, ReadModel, StrictModel, TimeZoneName, UTCTime

MAX_TIME_LIMIT_S = 60.0


def _local(value: time) -> time:
    # Hours are wall-clock times in each venue's own zone: an offset would be meaningless.
    if value.tzinfo is not None:
        raise ValueError("give local wall-clock time without a UTC offset")
    return value


LocalTime = Annotated[time, AfterValidator(_local)]


class Hours(StrictModel):
    open: LocalTime = time(9, 0)
    close: LocalTime = time(18, 0)
    breaks: list[tuple[LocalTime, LocalTime]] = Field(
        default_factory=lambda: [(time(12, 0), time(13, 0))], max_length=10
    )

    @model_validator(mode="after")
    def _in_order(self) -> Hours:
        if self.close <= self.open:
            raise ValueError("close must be after open")
        for start, end in self.breaks:
            if end <= start or start < self.open or end > self.close:
                raise ValueError("each break must end after it starts, inside opening hours")
        return self


class Grid(StrictModel):
    """Venue hours (each venue's local time) and the changeover gap between slots."""

    hours: Hours = Field(default_factory=Hours)
    gap_minutes: Annotated[int, Field(ge=0, le=120)] = 0


class SolveRequest(StrictModel):
    grid: Grid = Field(default_factory=Grid)
    time_limit_s: Annotated[float, Field(gt=0, le=MAX_TIME_LIMIT_S)] = 5.0
    strict_priority: bool = True
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0


class RescheduleRequest(SolveRequest):
    now: UTCTime | None = Field(
        None, description="Meetings before this stay; nothing is placed before it. Default: now."
    )


class ProposedMeeting(StrictModel):
    """A meeting to book (or a booked one's new place), in the meetings API's fields."""

    request_id: PrimaryKey
    company_id: PrimaryKey
    buyer_id: PrimaryKey
    interpreter_id: PrimaryKey | None
    company_venue_id: PrimaryKey | None
    buyer_venue_id: PrimaryKey | None
    language_pair: str
    starts_at: UTCTime
    ends_at: UTCTime
    priority: int


class UnplacedRead(BaseModel):
    request_id: int
    reason: str
    detail: str
    blocking: list[str]


class ViolationRead(BaseModel):
    kind: str
    request_ids: list[int]
    detail: str


class Proposal(BaseModel):
    """A schedule for the approved requests without a meeting; nothing is written."""

    version: str = Field(description="Send it back to apply; a change meanwhile answers 409.")
    grid: Grid
    status: str
    objective: int
    solve_seconds: float
    requests: int
    placed: int
    meetings: list[ProposedMeeting]
    unplaced: list[UnplacedRead]
    violations: list[ViolationRead] = Field(description="The independent validator's findings.")


class ApplyRequest(StrictModel):
    version: Annotated[str, Field(max_length=64)]
    grid: Grid = Field(default_factory=Grid)
    meetings: list[ProposedMeeting] = Field(max_length=20_000)


class ApplyResult(BaseModel):
    booked: list[MeetingRead]
    already_booked: int = Field(description="Meetings of this proposal booked before (a retry).")


class MoveRead(StrictModel):
    meeting_id: PrimaryKey
    before: ProposedMeeting
    after: ProposedMeeting
    time_changed: bool = True


class RemovalRead(StrictModel):
    meeting_id: PrimaryKey
    request_id: PrimaryKey
    reason: str
    detail: str = ""


class ChangePreview(BaseModel):
    """What a reschedule would do; post it back to apply it."""

    version: str
    grid: Grid
    moved_meetings: int = Field(description="Meetings whose time changes.")
    moves: list[MoveRead]
    additions: list[ProposedMeeting]
    removals: list[RemovalRead]
    unplaced: list[UnplacedRead]
    violations: list[ViolationRead]


class ChangeApply(StrictModel):
    version: Annotated[str, Field(max_length=64)]
    grid: Grid = Field(default_factory=Grid)
    moves: list[MoveRead] = Field(default_factory=list, max_length=20_000)
    additions: list[ProposedMeeting] = Field(default_factory=list, max_length=20_000)
    removals: list[RemovalRead] = Field(default_factory=list, max_length=20_000)


class ChangeResult(BaseModel):
    moved: list[MeetingRead]
    booked: list[MeetingRead]
    cancelled: list[MeetingRead]


class PartyPlanWrite(StrictModel):
    venue_id: PrimaryKey | None = Field(
        None, description="Company: a booth of the place it uses; buyer: a room (None: office)."
    )
    timezone: TimeZoneName | None = Field(None, description="Own office's or interpreter's zone.")
    availability: list[tuple[UTCTime, UTCTime]] | None = Field(
        None, max_length=100, description="Windows [start, end); None: whenever open."
    )

    @model_validator(mode="after")
    def _windows_in_order(self) -> PartyPlanWrite:
        for start, end in self.availability or []:
            if end <= start:
                raise ValueError("each availability window must end after it starts")
        return self


class PartyPlanRead(ReadModel):
    mission_id: int
    party_kind: PartyKind
    party_id: int
    venue_id: int | None
    timezone: str
    availability: list[list[str]] | None


class AgendaItemRead(BaseModel):
    request_id: int
    meeting_id: int | None
    starts_at: datetime
    ends_at: datetime
    local_start: str = Field(description="Wall-clock time in the agenda's zone, with offset.")
    local_end: str
    company: str
    buyer: str
    booth: str
    room: str
    interpreter: str
    languages: str
    join_url: str | None


class AgendaRead(BaseModel):
    kind: str
    party_id: int
    name: str
    timezone: str
    items: list[AgendaItemRead]

