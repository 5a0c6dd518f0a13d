"""Request and response bodies for meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator

from app.meetings.models import MarkSource, MeetingStatus
from app.schemas import LanguagePair, PrimaryKey, ReadModel, StrictModel, UpdateModel, UTCTime

MAX_MEETING = timedelta(hours=12)
Priority = Annotated[int, Field(ge=0, le=100, description="Higher is matched/kept first.")]
PairOrBlank = LanguagePair | Literal[""]


def check_times(starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a meeting's slot is refused, or None."""
    if ends_at <= starts_at:
        return "ends_at must be after starts_at"
    if ends_at - starts_at > MAX_MEETING:
        return f"a meeting lasts at most {MAX_MEETING}"
    return None


class MeetingCreate(StrictModel):
    company_id: PrimaryKey
    buyer_id: PrimaryKey
    interpreter_id: PrimaryKey | None = None
    partner_interpreter_id: PrimaryKey | None = Field(
        None, description="A second interpreter (booth partner); not the same as interpreter_id."
    )
    company_venue_id: PrimaryKey | None = Field(None, description="The company's booth.")
    buyer_venue_id: PrimaryKey | None = Field(None, description="The buyer's room, if any.")
    language_pair: PairOrBlank = Field("", description="e.g. 'ko-id'; the interpreter's pair.")
    starts_at: UTCTime = Field(description="With a UTC offset; stored in UTC.")
    ends_at: UTCTime
    priority: Priority = 0

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and (problem := check_times(starts_at, ends_at)):
            raise ValueError(problem)
        return ends_at


class MeetingUpdate(UpdateModel):
    """A move (new times, booth, interpreter...) or a status change; checked like a booking."""

    nullable: ClassVar[frozenset[str]] = frozenset(
        {"interpreter_id", "partner_interpreter_id", "company_venue_id", "buyer_venue_id"}
    )

    company_id: PrimaryKey | None = None
    buyer_id: PrimaryKey | None = None
    interpreter_id: PrimaryKey | None = None
    partner_interpreter_id: PrimaryKey | None = None
    company_venue_id: PrimaryKey | None = None
    buyer_venue_id: PrimaryKey | None = None
    language_pair: PairOrBlank | None = None
    starts_at: UTCTime | None = None
    ends_at: UTCTime | None = None
    status: MeetingStatus | None = Field(
        None,
        description="`completed` (held) or `no_show` is a person's mark, as POST "
        "/meetings/{id}/attendance (give `reason`); `cancelled` frees the slot; `scheduled` "
        "reinstates a meeting and hands its status back to the rooms; `live` is the rooms' own.",
    )
    reason: str | None = Field(
        None, max_length=500, description="Why the status changes (kept with the mark)."
    )
    priority: Priority | None = None


class AttendanceMarkIn(StrictModel):
    """A person's mark: the meeting was held, or a no-show, and why."""

    status: Literal[MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW] = Field(
        description="`completed`: the consultation was held (in the room or elsewhere); "
        "`no_show`: it was not."
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why, e.g. 'held at the hotel in Almaty', 'the room failed; held by phone'.",
    )

    @field_validator("reason")
    @classmethod
    def _reason_said(cls, reason: str) -> str:
        if not reason.strip():
            raise ValueError("say why the meeting is marked so")
        return reason.strip()


class AttendanceMarkRead(ReadModel):
    id: int
    meeting_id: int
    status: MeetingStatus
    previous_status: MeetingStatus
    source: MarkSource
    actor: str
    reason: str
    at: datetime


class MeetingRead(ReadModel):
    id: int
    mission_id: int
    company_id: int
    buyer_id: int
    interpreter_id: int | None
    partner_interpreter_id: int | None
    company_venue_id: int | None
    buyer_venue_id: int | None
    language_pair: str
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus
    status_marked_by: str | None = Field(
        description="Who marked the meeting held or no-show; null while the status is the "
        "rooms' own."
    )
    priority: int
    created_at: datetime
    updated_at: datetime
