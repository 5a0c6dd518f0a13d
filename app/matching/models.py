"""Matching records: what each side wants beyond its participant record, and meeting requests."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum


class CompanyWantsRecord(Base):
    """A company's wishes about buyers, and where it makes its products."""

    __tablename__ = "company_match_profiles"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    origin_country: Mapped[str] = mapped_column(String(2), default="KR")
    buyer_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    buyer_industries: Mapped[list[str]] = mapped_column(JSON, default=list)


class BuyerWantsRecord(Base):
    """A buyer's own trade and the origins it wants, beside the buyer's *_sought fields."""

    __tablename__ = "buyer_match_profiles"

    buyer_id: Mapped[int] = mapped_column(
        ForeignKey("buyers.id", ondelete="CASCADE"), primary_key=True
    )
    industries: Mapped[list[str]] = mapped_column(JSON, default=list)
    origin_countries: Mapped[list[str]] = mapped_column(JSON, default=list)


class RequestedBy(enum.StrEnum):
    COMPANY = "company"
    BUYER = "buyer"
    ORGANISER = "organiser"


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"  # one side (or the organiser) asked
    ACCEPTED = "accepted"  # the other side said yes
    DECLINED = "declined"  # the other side, or the organiser, said no
    APPROVED = "approved"  # on the organiser's final list: the scheduler places these


class MeetingRequest(Base):
    """A wish for one company and one buyer to meet, scored, and (once approved) scheduled."""

    __tablename__ = "meeting_requests"
    __table_args__ = (
        UniqueConstraint("company_id", "buyer_id", name="uq_meeting_requests_company_buyer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("buyers.id"), index=True)
    requested_by: Mapped[RequestedBy] = mapped_column(_enum(RequestedBy))
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus), default=RequestStatus.REQUESTED
    )
    priority: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    # [{"name", "side", "weight", "earned", "wanted", "matched"}, ...] and readable lines
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    explanation: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "ko-id" when company and buyer share no language (an interpreter is needed), else ""
    language_pair: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    # The meeting the scheduler booked for it (the latest one, if it was re-placed)
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meetings.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
