"""Request and response bodies of the follow-up API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.followups.models import FollowUp, FollowUpStage
from app.money.currencies import from_minor, parse_amount
from app.money.schemas import CurrencyCode, PlainAmount
from app.outcomes.actors import Actor, Role


class FollowUpIn(BaseModel):
    """The track's new state; a signed contract needs its amount, currency and date."""

    model_config = ConfigDict(extra="forbid")

    updated_by: str = Field(min_length=1, max_length=200)
    role: Role = Role.ORGANISER
    stage: FollowUpStage
    due_on: date | None = Field(None, description="When the organiser should next act.")
    note: str = Field("", max_length=5000)
    contract_amount: PlainAmount | None = None
    contract_currency: CurrencyCode | None = None
    contract_signed_on: date | None = None

    @model_validator(mode="after")
    def _contract_fields(self) -> FollowUpIn:
        signed = self.stage is FollowUpStage.CONTRACT_SIGNED
        given = [
            self.contract_amount is not None,
            self.contract_currency is not None,
            self.contract_signed_on is not None,
        ]
        if signed and not all(given):
            raise ValueError(
                "a signed contract needs contract_amount, contract_currency and contract_signed_on"
            )
        if not signed and any(given):
            raise ValueError("contract fields are only given with stage 'contract_signed'")
        if self.contract_amount is not None and self.contract_currency is not None:
            self.contract_amount = parse_amount(self.contract_amount, self.contract_currency)
        return self

    @property
    def actor(self) -> Actor:
        return Actor(name=self.updated_by, role=self.role)


class FollowUpOut(BaseModel):
    meeting_id: int
    stage: FollowUpStage
    due_on: date | None
    note: str
    contract_amount: Decimal | None
    contract_currency: str | None
    contract_signed_on: date | None
    usd_rate: Decimal | None
    krw_per_usd: Decimal | None
    updated_by: str
    role: Role
    updated_at: datetime

    @classmethod
    def of(cls, row: FollowUp) -> FollowUpOut:
        amount = (
            None
            if row.contract_minor is None or row.contract_currency is None
            else from_minor(row.contract_minor, row.contract_currency)
        )
        return cls(
            meeting_id=row.meeting_id,
            stage=row.stage,
            due_on=row.due_on,
            note=row.note,
            contract_amount=amount,
            contract_currency=row.contract_currency,
            contract_signed_on=row.contract_signed_on,
            usd_rate=row.usd_rate,
            krw_per_usd=row.krw_per_usd,
            updated_by=row.updated_by,
            role=row.updated_by_role,
            updated_at=row.updated_at,
        )


class Reminder(BaseModel):
    meeting_id: int
    company: str
    buyer: str
    buyer_company: str
    stage: FollowUpStage
    due_on: date
    state: Literal["overdue", "due"] = Field(description="overdue: due before `on`.")
    days_overdue: int
    note: str
