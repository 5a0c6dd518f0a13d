"""Request and response bodies for missions and venues."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from app.missions.models import MissionStatus, VenueKind
from app.schemas import (
    City,
    CountryCode,
    CurrencyCode,
    LongText,
    Name,
    PrimaryKey,
    ReadModel,
    StrictModel,
    TimeZoneName,
    UpdateModel,
)

MAX_MISSION_DAYS = 366


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


Countries = Annotated[list[CountryCode], Field(max_length=50), AfterValidator(_unique)]
Cities = Annotated[list[City], Field(max_length=50)]
SlotMinutes = Annotated[int, Field(ge=5, le=240)]
Capacity = Annotated[int, Field(ge=1, le=1000, description="People the room seats.")]


def check_dates(start_date: date, end_date: date) -> str | None:
    """Why the dates are refused, or None."""
    if end_date < start_date:
        return "end_date must not be before start_date"
    if end_date - start_date > timedelta(days=MAX_MISSION_DAYS):
        return f"a mission lasts at most {MAX_MISSION_DAYS} days"
    return None


class MissionCreate(StrictModel):
    organisation_id: PrimaryKey
    name: Name
    description: LongText = ""
    target_countries: Countries = []
    target_cities: Cities = []
    start_date: date
    end_date: date
    timezone: TimeZoneName = Field("Asia/Seoul", description="The organiser's time zone.")
    currency: CurrencyCode = Field("USD", description="ISO 4217 currency results are kept in.")
    slot_minutes: SlotMinutes = 30
    status: MissionStatus = MissionStatus.DRAFT

    @field_validator("end_date")
    @classmethod
    def _dates_in_order(cls, end_date: date, info: ValidationInfo) -> date:
        start_date = info.data.get("start_date")
        if start_date is not None and (problem := check_dates(start_date, end_date)):
            raise ValueError(problem)
        return end_date


class MissionUpdate(UpdateModel):
    name: Name | None = None
    description: LongText | None = None
    target_countries: Countries | None = None
    target_cities: Cities | None = None
    start_date: date | None = None
    end_date: date | None = None
    timezone: TimeZoneName | None = None
    currency: CurrencyCode | None = None
    slot_minutes: SlotMinutes | None = None
    status: MissionStatus | None = None


class MissionRead(ReadModel):
    id: int
    organisation_id: int
    name: str
    description: str
    target_countries: list[str]
    target_cities: list[str]
    start_date: date
    end_date: date
    timezone: str
    currency: str
    slot_minutes: int
    status: MissionStatus
    created_at: datetime
    updated_at: datetime


class VenueCreate(StrictModel):
    name: Name
    kind: VenueKind
    city: City = ""
    city_ko: City = Field("", description="The city's Korean name (e.g. 알마티); blank: built-in.")
    country: CountryCode
    timezone: TimeZoneName
    capacity: Capacity = 1


class VenueUpdate(UpdateModel):
    name: Name | None = None
    kind: VenueKind | None = None
    city: City | None = None
    city_ko: City | None = None
    country: CountryCode | None = None
    timezone: TimeZoneName | None = None
    capacity: Capacity | None = None


class VenueRead(ReadModel):
    id: int
    mission_id: int
    name: str
    kind: VenueKind
    city: str
    city_ko: str
    country: str
    timezone: str
    capacity: int
