"""The report's JSON shape (also what the web page's charts will read)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class Amount(BaseModel):
    """One figure in both report currencies, rounded half-even (USD to cents, KRW to won)."""

    usd: Decimal
    krw: Decimal | None = Field(
        description="None when an amount in this total has no KRW rate for its day yet (the "
        "report's `missing_rates` names the days); the USD figure is complete."
    )


class Deals(BaseModel):
    count: int
    value: Amount


class Figures(BaseModel):
    meetings: int = Field(description="Meetings scheduled, whatever their status.")
    consultations: int = Field(description="Meetings held (status completed).")
    no_shows: int
    no_show_rate: Decimal | None = Field(
        description="no_shows / (consultations + no_shows), 4 places; None when both are 0."
    )
    companies: int = Field(description="Distinct companies in held consultations.")
    buyers: int = Field(description="Distinct buyers in held consultations.")
    interpreter_minutes: int = Field(description="Scheduled minutes of held, interpreted meetings.")
    consultation_value: Amount
    expected_contract_value: Amount
    onsite_contracts: Deals
    mous: Deals


class BreakdownRow(BaseModel):
    key: str = Field(description="Stable key: country code, 'KZ/Almaty', company id, ISO date.")
    label: str = Field(description="'Almaty, Kazakhstan'")
    label_ko: str = Field(description="'카자흐스탄 알마티': Korean names of countries and cities")
    name: str = Field("", description="The short name: 'Almaty' (for a city), else the label.")
    name_ko: str = Field("", description="'알마티' (for a city), else label_ko.")
    figures: Figures


class MissionRef(BaseModel):
    id: int
    name: str
    start_date: date
    end_date: date
    status: str


class LaterContract(BaseModel):
    meeting_id: int
    company: str
    buyer: str
    buyer_company: str
    signed_on: date
    amount: Decimal
    currency: str
    value: Amount


class SignedLater(BaseModel):
    """Contracts concluded in follow-up, counted from their signing date on (up to `as_of`)."""

    count: int
    value: Amount
    contracts: list[LaterContract]


class MissingRate(BaseModel):
    """A day whose amounts cannot be shown in `currency` yet: no rate dated on or before it."""

    currency: str
    on: date
    meetings: int = Field(description="Held meetings (or contracts signed later) of that day.")
    totals: list[str] = Field(
        description="The totals left without a figure in `currency`, e.g. "
        "'consultation_value', 'onsite_contracts', 'signed_later'."
    )


class PressRelease(BaseModel):
    en: str
    ko: str


BREAKDOWNS = ("country", "city", "industry", "company", "buyer", "day")


class Report(BaseModel):
    missions: list[MissionRef]
    as_of: date
    rules: dict[str, str]
    summary: Figures
    contracts_total: Deals = Field(description="On-site contracts plus contracts signed later.")
    signed_later: SignedLater
    breakdowns: dict[str, list[BreakdownRow]] = Field(
        description="country, city, industry, company, buyer, day"
    )
    press_release: PressRelease
    missing_rates: list[MissingRate] = Field(
        default_factory=list,
        description="Days whose amounts have no KRW rate yet: their KRW totals are None. "
        "Enter a KRW rate dated on or before each day to complete them.",
    )


class Change(BaseModel):
    """Relative change from the previous mission in the comparison, 4 places; None from 0."""

    consultations: Decimal | None
    consultation_value_usd: Decimal | None
    onsite_contracts: Decimal | None
    mous: Decimal | None
    expected_contract_value_usd: Decimal | None


class ComparisonRow(BaseModel):
    mission: MissionRef
    figures: Figures
    change: Change | None = Field(description="Against the row before (e.g. the previous year).")


class Comparison(BaseModel):
    rows: list[ComparisonRow]
