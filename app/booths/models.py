"""Booth links (a kiosk's credential for one venue) and the kiosks' self-test reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum
from rooms.seats import Seat


class BoothLink(Base):
    """The current kiosk link of one venue (a booth or a business-centre room).

    Like seat links, tokens are not stored: they are signed from (venue, mission, seat,
    generation, expires_at); bumping `generation` makes every earlier token stop working.
    """

    __tablename__ = "booth_links"
    __table_args__ = (UniqueConstraint("venue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    seat: Mapped[Seat] = mapped_column(_enum(Seat))  # the side the kiosk sits on
    generation: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The kiosk joins this many seconds before each slot; None = the service's setting.
    join_lead_seconds: Mapped[int | None] = mapped_column(Integer)


class BoothCheck(Base):
    """One self-test a kiosk ran and reported: each check's result and the verdict."""

    __tablename__ = "booth_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ready: Mapped[bool] = mapped_column(Boolean)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    checks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    device: Mapped[str] = mapped_column(String(200), default="")
