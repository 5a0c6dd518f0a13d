"""Outcome versions: an edit appends a version; nothing is overwritten."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum

# 20 integer digits hold VND/IDR amounts of large contracts; 4 decimals hold any currency's minor units.
Money = Numeric(24, 4)


class InterestLevel(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class OutcomeVersion(Base):
    """One version of a meeting's outcome, in one ISO 4217 currency."""

    __tablename__ = "outcome_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    consultation_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    expected_contract_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    onsite_contract_amount: Mapped[Decimal | None] = mapped_column(Money)
    mou_amount: Mapped[Decimal | None] = mapped_column(Money)
    interest_level: Mapped[InterestLevel] = mapped_column(
        _enum(InterestLevel), default=InterestLevel.NONE
    )
    samples: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_by_role: Mapped[str] = mapped_column(String(40), default="organiser")
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
