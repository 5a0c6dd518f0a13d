"""A meeting's follow-up track; a contract signed later counts in the results from its date."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum
from app.money.columns import DecimalText
from app.outcomes.actors import Role


class FollowUpStage(enum.StrEnum):
    CONTACTED = "contacted"
    SAMPLES_SENT = "samples_sent"
    NEGOTIATING = "negotiating"
    CONTRACT_SIGNED = "contract_signed"
    DROPPED = "dropped"

    @property
    def is_open(self) -> bool:
        return self not in (FollowUpStage.CONTRACT_SIGNED, FollowUpStage.DROPPED)


class FollowUp(Base):
    """Where a meeting's lead stands now; the contract fields are set when it is signed."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_stage_due_on", "stage", "due_on"),)

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    stage: Mapped[FollowUpStage] = mapped_column(_enum(FollowUpStage))
    due_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    contract_currency: Mapped[str | None] = mapped_column(String(3))
    contract_minor: Mapped[int | None] = mapped_column(BigInteger)
    contract_signed_on: Mapped[date | None] = mapped_column(Date)
    usd_rate: Mapped[Decimal | None] = mapped_column(DecimalText())
    krw_per_usd: Mapped[Decimal | None] = mapped_column(DecimalText())
    contract_usd_e6: Mapped[int | None] = mapped_column(BigInteger)
    contract_krw_e4: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_by_role: Mapped[Role] = mapped_column(_enum(Role))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
