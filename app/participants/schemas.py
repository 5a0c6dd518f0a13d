"""Request and response bodies for companies, buyers and interpreters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from app.schemas import (
    City,
    CountryCode,
    EmailOrBlank,
    Industry,
    LanguageCode,
    LanguagePair,
    LongText,
    Name,
    Phone,
    ReadModel,
    ShortText,
    StrictModel,
    UpdateModel,
    Website,
)


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


Products = Annotated[list[ShortText], Field(max_length=50)]
Industries = Annotated[list[Industry], Field(max_length=20)]
Languages = Annotated[list[LanguageCode], Field(max_length=10), AfterValidator(_unique)]
LanguagePairs = Annotated[
    list[LanguagePair], Field(min_length=1, max_length=10), AfterValidator(_unique)
]


class CompanyCreate(StrictModel):
    name: Name
    industry: Industry
    products: Products = []
    contact_name: ShortText = ""
    contact_email: EmailOrBlank = ""
    contact_phone: Phone = ""
    languages: Languages = ["ko"]
    website: Website = ""
    description: LongText = ""


class CompanyUpdate(UpdateModel):
    name: Name | None = None
    industry: Industry | None = None
    products: Products | None = None
    contact_name: ShortText | None = None
    contact_email: EmailOrBlank | None = None
    contact_phone: Phone | None = None
    languages: Languages | None = None
    website: Website | None = None
    description: LongText | None = None


class CompanyRead(ReadModel):
    id: int
    mission_id: int
    name: str
    industry: str
    products: list[str]
    contact_name: str
    contact_email: str
    contact_phone: str
    languages: list[str]
    website: str
    description: str
    created_at: datetime


class BuyerCreate(StrictModel):
    name: Name
    company_name: Name
    country: CountryCode
    city: City = ""
    city_ko: City = Field(
        "", description="The city's Korean name for Korean reports (e.g. 알마티); blank: the "
        "built-in name where known, else `city`."
    )
    industries_sought: Industries = []
    products_sought: Products = []
    languages: Languages = []
    contact_email: EmailOrBlank = ""


class BuyerUpdate(UpdateModel):
    name: Name | None = None
    company_name: Name | None = None
    country: CountryCode | None = None
    city: City | None = None
    city_ko: City | None = None
    industries_sought: Industries | None = None
    products_sought: Products | None = None
    languages: Languages | None = None
    contact_email: EmailOrBlank | None = None


class BuyerRead(ReadModel):
    id: int
    mission_id: int
    name: str
    company_name: str
    country: str
    city: str
    city_ko: str
    industries_sought: list[str]
    products_sought: list[str]
    languages: list[str]
    contact_email: str
    created_at: datetime


class InterpreterCreate(StrictModel):
    name: Name
    language_pairs: LanguagePairs
    contact_email: EmailOrBlank = ""


class InterpreterUpdate(UpdateModel):
    name: Name | None = None
    language_pairs: LanguagePairs | None = None
    contact_email: EmailOrBlank | None = None


class InterpreterRead(ReadModel):
    id: int
    mission_id: int
    name: str
    language_pairs: list[str]
    contact_email: str
    created_at: datetime
