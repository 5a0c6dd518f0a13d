"""Meeting records."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class Meeting(Base):
    """A 1:1 consultation: company and buyer, optionally one or two interpreters, in a UTC slot."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_mission_starts", "mission_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    interpreter_id: Mapped[int | None] = mapped_column(ForeignKey("interpreters.id"), index=True)
    # The booth partner: a second interpreter taking turns with the first (seat "partner").
    partner_interpreter_id: Mapped[int | None] = mapped_column(
        ForeignKey("interpreters.id"), index=True
    )
    company_venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    buyer_venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    language_pair: Mapped[str] = mapped_column(String(20), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[MeetingStatus] = mapped_column(
        _enum(MeetingStatus), default=MeetingStatus.SCHEDULED
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Set when a person marked the meeting held or no-show (app/meetings/attendance.py): the
    # automatic settling then leaves it alone. NULL while the status is the system's.
    status_marked_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class MarkSource(enum.StrEnum):
    PERSON = "person"  # an organiser, through the API or the console
    SYSTEM = "system"  # the rooms settling a meeting at its end


class AttendanceMark(Base):
    """One decision that a meeting was held or a no-show: by a person or by the system."""

    __tablename__ = "attendance_marks"
    __table_args__ = (Index("ix_attendance_marks_meeting", "meeting_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus))
    previous_status: Mapped[MeetingStatus] = mapped_column(_enum(MeetingStatus))
    source: Mapped[MarkSource] = mapped_column(_enum(MarkSource))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
