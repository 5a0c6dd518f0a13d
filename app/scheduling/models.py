"""Scheduling records: where and when each party of a mission can meet."""

from __future__ import annotations

import enum

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base
from app.missions.models import _enum


class PartyKind(enum.StrEnum):
    COMPANY = "company"
    BUYER = "buyer"
    INTERPRETER = "interpreter"


class PartyPlan(Base):
    """A party's venue, zone and availability for the scheduler; a party without one
    gets the defaults (see docs/scheduling.md, "Records")."""

    __tablename__ = "schedule_parties"
    __table_args__ = (
        UniqueConstraint("mission_id", "party_kind", "party_id", name="uq_schedule_parties_party"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    party_kind: Mapped[PartyKind] = mapped_column(_enum(PartyKind))
    party_id: Mapped[int] = mapped_column(Integer)
    # Company: one booth of the group it uses; buyer: one room of its business centre
    # (None: its own office). Interpreters have none.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    # Own office or interpreter's zone; "" = derived (venue's zone, country's only zone)
    timezone: Mapped[str] = mapped_column(String(64), default="")
    # [[start, end], ...] as UTC ISO strings; None = whenever its venue is open
    availability: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)
