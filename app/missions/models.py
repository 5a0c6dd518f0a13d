"""Mission and venue records."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow


class MissionStatus(enum.StrEnum):
    DRAFT = "draft"
    RECRUITING = "recruiting"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class VenueKind(enum.StrEnum):
    BOOTH = "booth"  # a consultation booth at the district office (company side)
    BUSINESS_CENTRE = "business_centre"  # a room at an overseas business centre (buyer side)
    REMOTE = "remote"  # a participant's own office


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Mission(Base):
    """One trade mission or day(s) of video export consultations."""

    __tablename__ = "missions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name", name="uq_missions_organisation_name"),
        CheckConstraint("start_date <= end_date", name="dates_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    target_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_cities: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    slot_minutes: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[MissionStatus] = mapped_column(_enum(MissionStatus), default=MissionStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Venue(Base):
    """A place a seat joins from: a district-office booth or an overseas business-centre room."""

    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("mission_id", "name", name="uq_venues_mission_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[VenueKind] = mapped_column(_enum(VenueKind))
    city: Mapped[str] = mapped_column(String(100), default="")
    city_ko: Mapped[str] = mapped_column(String(100), default="")  # see Buyer.city_ko
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
