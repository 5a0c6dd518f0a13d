"""Outcome versions: an edit appends a version; nothing is overwritten."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime, utcnow
from app.missions.models import _enum
from app.money.columns import DecimalText
from app.outcomes.actors import Role


class InterestLevel(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Outcome(Base):
    """A meeting's outcome: which version is current. Its `version` is the optimistic lock.

    It also carries the current version's amounts in the report currencies (USD in 1e-6,
    KRW in 1e-4 units, see app/money/conversion.py), written with the version in the same
    transaction, so reports sum one narrow table. None = no on-site contract / no MOU; a KRW
    column None beside a USD value = no KRW rate yet for the meeting's day (filled in when the
    organiser enters one, app/money/service.py).
    """

    __tablename__ = "outcomes"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    # The meeting's mission, copied so a mission's report reads its outcomes by index.
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("outcome_versions.id"), unique=True
    )
    consultation_usd_e6: Mapped[int] = mapped_column(BigInteger, default=0)
    consultation_krw_e4: Mapped[int | None] = mapped_column(BigInteger)
    expected_usd_e6: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_krw_e4: Mapped[int | None] = mapped_column(BigInteger)
    onsite_usd_e6: Mapped[int | None] = mapped_column(BigInteger)
    onsite_krw_e4: Mapped[int | None] = mapped_column(BigInteger)
    mou_usd_e6: Mapped[int | None] = mapped_column(BigInteger)
    mou_krw_e4: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutcomeVersion(Base):
    """One version of a meeting's outcome, in one ISO 4217 currency, with the rates it used.

    Amounts are integer minor units of `currency` (KRW won, USD cents, BHD fils): exact and
    summable by the database on SQLite as on PostgreSQL. None = no on-site contract / no MOU.
    """

    __tablename__ = "outcome_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    consultation_value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    expected_contract_value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    onsite_contract_minor: Mapped[int | None] = mapped_column(BigInteger)
    mou_minor: Mapped[int | None] = mapped_column(BigInteger)
    usd_rate: Mapped[Decimal] = mapped_column(DecimalText())
    usd_rate_date: Mapped[date | None] = mapped_column(Date)
    # None: the table had no KRW rate for the meeting's day (only USD is needed to report);
    # set once, when a KRW rate is entered later (app/money/service.py).
    krw_per_usd: Mapped[Decimal | None] = mapped_column(DecimalText())
    krw_rate_date: Mapped[date | None] = mapped_column(Date)
    interest_level: Mapped[InterestLevel] = mapped_column(
        _enum(InterestLevel), default=InterestLevel.NONE
    )
    samples: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_by_role: Mapped[Role] = mapped_column(_enum(Role))
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
