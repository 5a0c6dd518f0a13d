"""Request and response bodies for match profiles, suggestions and meeting requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from app.matching.models import RequestedBy, RequestStatus
from app.schemas import CountryCode, Industry, LanguagePair, PrimaryKey, ReadModel, StrictModel

Priority = Annotated[int, Field(ge=0, le=100, description="Higher wins when slots run out.")]


class CompanyWants(StrictModel):
    origin_country: CountryCode = "KR"
    buyer_countries: list[CountryCode] = Field(default_factory=list, max_length=50)
    buyer_industries: list[Industry] = Field(default_factory=list, max_length=50)


class CompanyWantsRead(ReadModel):
    company_id: int
    origin_country: str
    buyer_countries: list[str]
    buyer_industries: list[str]


class BuyerWants(StrictModel):
    industries: list[Industry] = Field(
        default_factory=list, max_length=50, description="The buyer's own trade."
    )
    origin_countries: list[CountryCode] = Field(default_factory=list, max_length=50)


class BuyerWantsRead(ReadModel):
    buyer_id: int
    industries: list[str]
    origin_countries: list[str]


class Criterion(ReadModel):
    name: str
    side: str
    weight: float
    earned: float
    wanted: list[str]
    matched: list[str]


class Suggestion(ReadModel):
    company_id: int
    buyer_id: int
    score: float
    criteria: list[Criterion]
    explanation: list[str]
    language_pair: str


class RequestCreate(StrictModel):
    company_id: PrimaryKey
    buyer_id: PrimaryKey
    requested_by: RequestedBy
    priority: Priority = 1
    language_pair: LanguagePair | Literal[""] | None = Field(
        None, description="Leave out to derive it from the two sides' languages."
    )
    note: Annotated[str, Field(max_length=500)] = ""


class Approve(StrictModel):
    priority: Priority | None = Field(None, description="Leave out to keep the priority.")


class RequestRead(ReadModel):
    id: int
    mission_id: int
    company_id: int
    buyer_id: int
    requested_by: RequestedBy
    status: RequestStatus
    priority: int
    score: float
    criteria: list[dict[str, Any]]
    explanation: list[str]
    language_pair: str
    note: str
    meeting_id: int | None
    created_at: datetime
    updated_at: datetime
