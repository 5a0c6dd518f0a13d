"""The key a spreadsheet gives each meeting, so that importing it again updates, not adds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow


class MeetingKey(Base):
    """A meeting's key in the organiser's spreadsheet ("No.", "상담번호"), one per meeting."""

    __tablename__ = "meeting_keys"
    __table_args__ = (UniqueConstraint("mission_id", "key", name="uq_meeting_keys_mission_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
