"""The duty log: one row per stretch an interpreter seat was live on a language channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum
from rooms.seats import Seat


class InterpreterDuty(Base):
    """An interpreter live on `channel` of a meeting from `started_at` to `ended_at` (UTC).

    Written by the room when the seat stops being live (handover, leave, drop, close). The
    person is resolved from the seat when the row is written, so a later change of the
    meeting's interpreters does not move minutes already worked.
    """

    __tablename__ = "interpreter_duty"
    __table_args__ = (
        CheckConstraint("started_at < ended_at", name="started_before_ended"),
        # The same stretch reported twice is one row (see service.record_duty).
        UniqueConstraint(
            "meeting_id",
            "interpreter_id",
            "channel",
            "started_at",
            name="uq_interpreter_duty_stretch",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    interpreter_id: Mapped[int] = mapped_column(ForeignKey("interpreters.id"), index=True)
    seat: Mapped[Seat] = mapped_column(_enum(Seat))
    channel: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
