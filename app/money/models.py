"""A mission's dated exchange-rate table, entered by the organiser."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.money.columns import DecimalText


class ExchangeRate(Base):
    """How many units of `currency` one US dollar buys on `rate_date` (KRW 1380.5, VND 25400).

    USD is 1 by definition and never stored; KRW figures go through USD (cross rate), so a
    KRW row is needed for every date a KRW figure is reported from.
    """

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("mission_id", "currency", "rate_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    rate_date: Mapped[date] = mapped_column(Date)
    units_per_usd: Mapped[Decimal] = mapped_column(DecimalText())
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
