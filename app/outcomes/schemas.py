"""Request and response bodies of the outcomes API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.money.currencies import from_minor, parse_amount
from app.money.schemas import CurrencyCode, PlainAmount
from app.outcomes.actors import Actor, Role
from app.outcomes.models import InterestLevel, OutcomeVersion

AMOUNT_FIELDS = (
    "consultation_value",
    "expected_contract_value",
    "onsite_contract_amount",
    "mou_amount",
)


class OutcomeIn(BaseModel):
    """A whole outcome as the recorder states it; amounts as decimal strings or JSON numbers."""

    model_config = ConfigDict(extra="forbid")

    recorded_by: str = Field(min_length=1, max_length=200, description="Who records it.")
    role: Role = Field(description="company_seat, interpreter or organiser.")
    reason: str = Field("", max_length=2000, description="Required once the mission is closed.")
    currency: CurrencyCode = Field(description="ISO 4217 code of every amount below.")
    consultation_value: PlainAmount = Field(Decimal(0), description="Deal value discussed.")
    expected_contract_value: PlainAmount = Field(Decimal(0), description="Pipeline value.")
    onsite_contract_amount: PlainAmount | None = Field(None, description="None: no contract.")
    mou_amount: PlainAmount | None = Field(None, description="None: no MOU signed.")
    interest_level: InterestLevel = InterestLevel.NONE
    samples: str = Field("", max_length=5000)
    next_steps: str = Field("", max_length=5000)
    notes: str = Field("", max_length=20000)

    @field_validator(*AMOUNT_FIELDS)
    @classmethod
    def _within_the_currency(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        currency = info.data.get("currency")
        if value is None or currency is None:  # a bad currency is reported on its own field
            return value
        return parse_amount(value, currency)

    @property
    def actor(self) -> Actor:
        return Actor(name=self.recorded_by, role=self.role)


class OutcomeEdit(OutcomeIn):
    """A new version of the whole outcome, based on `expected_version`."""

    expected_version: int = Field(ge=1, description="The version this edit was made from.")


class OutcomeVersionOut(BaseModel):
    meeting_id: int
    version: int
    currency: str
    consultation_value: Decimal
    expected_contract_value: Decimal
    onsite_contract_amount: Decimal | None
    mou_amount: Decimal | None
    usd_rate: Decimal = Field(description="Units of `currency` per US dollar used.")
    usd_rate_date: date | None
    krw_per_usd: Decimal | None = Field(
        description="KRW per US dollar used for the KRW figures; None until the mission's "
        "table has a KRW rate for the meeting's day (only needed to show KRW)."
    )
    krw_rate_date: date | None
    interest_level: InterestLevel
    samples: str
    next_steps: str
    notes: str
    recorded_by: str
    role: Role
    reason: str
    recorded_at: datetime

    @classmethod
    def of(cls, row: OutcomeVersion) -> OutcomeVersionOut:
        def money(minor: int | None) -> Decimal | None:
            return None if minor is None else from_minor(minor, row.currency)

        return cls(
            meeting_id=row.meeting_id,
            version=row.version,
            currency=row.currency,
            consultation_value=from_minor(row.consultation_value_minor, row.currency),
            expected_contract_value=from_minor(row.expected_contract_value_minor, row.currency),
            onsite_contract_amount=money(row.onsite_contract_minor),
            mou_amount=money(row.mou_minor),
            usd_rate=row.usd_rate,
            usd_rate_date=row.usd_rate_date,
            krw_per_usd=row.krw_per_usd,
            krw_rate_date=row.krw_rate_date,
            interest_level=row.interest_level,
            samples=row.samples,
            next_steps=row.next_steps,
            notes=row.notes,
            recorded_by=row.recorded_by,
            role=row.recorded_by_role,
            reason=row.reason,
            recorded_at=row.recorded_at,
        )


class MissionClose(BaseModel):
    model_config = ConfigDict(extra="forbid")

    closed_by: str = Field(min_length=1, max_length=200)
    role: Role = Role.ORGANISER
