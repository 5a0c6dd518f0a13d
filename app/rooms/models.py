"""Seat links and the attendance log of consultation rooms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum
from rooms.seats import Seat


class SeatLink(Base):
    """The current join link of one seat of one meeting.

    Tokens are not stored: they are signed from (meeting, seat, generation, expires_at), so
    bumping `generation` is what makes every earlier token stop working.
    """

    __tablename__ = "seat_links"
    __table_args__ = (UniqueConstraint("meeting_id", "seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    seat: Mapped[Seat] = mapped_column(_enum(Seat))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Attendance(Base):
    """One continuous stay of a seat in a room; a reconnect within the grace period continues it."""

    __tablename__ = "room_attendance"
    __table_args__ = (Index("ix_room_attendance_meeting_seat", "meeting_id", "seat"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    seat: Mapped[Seat] = mapped_column(_enum(Seat))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    left_reason: Mapped[str] = mapped_column(String(40), default="")
    reconnects: Mapped[int] = mapped_column(Integer, default=0)
    device: Mapped[str] = mapped_column(String(100), default="")
