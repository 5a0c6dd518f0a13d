"""Pydantic building blocks shared by the record schemas: strict bases, codes, a page."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from babel import Locale
from babel.core import get_global
from fastapi import Path
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

# ISO 3166-1 user-assigned and exceptionally reserved codes CLDR lists beside real countries.
_NOT_COUNTRIES = frozenset({"AA", "EU", "EZ", "UN", "ZZ"} | {f"Q{c}" for c in "MNOPQRSTUVWXYZ"})
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$")
_LANGUAGE_PAIR = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})$")
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (CLDR territories that are countries)."""
    return frozenset(
        code
        for code in map(str, Locale("en").territories)
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        and not code.startswith("X")
    )


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 codes of currencies legal tender somewhere today (no DEM, no ESP)."""
    return frozenset(
        code
        for history in get_global("territory_currencies").values()
        for code, _start, end, tender in history
        if end is None and tender
    )


@cache
def language_codes() -> frozenset[str]:
    """ISO 639 codes (two or three letters) CLDR knows by name."""
    codes = map(str, Locale("en").languages)
    return frozenset(code for code in codes if code.isalpha() and code.islower())


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _country(value: str) -> str:
    if value not in country_codes():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code, e.g. 'KR', 'ID'")
    return value


def _currency(value: str) -> str:
    if value not in currency_codes():
        raise ValueError(f"{value!r} is not a current ISO 4217 currency code, e.g. 'USD', 'KRW'")
    return value


def _language(value: str) -> str:
    if value not in language_codes():
        raise ValueError(f"{value!r} is not an ISO 639 language code, e.g. 'ko', 'id', 'en'")
    return value


def _language_pair(value: str) -> str:
    match = _LANGUAGE_PAIR.match(value)
    if match is None or match[1] == match[2]:
        raise ValueError(f"{value!r} is not a language pair like 'ko-id' (two different codes)")
    for code in match.groups():
        _language(code)
    return value


def _time_zone(value: str) -> str:
    if value not in time_zone_names():
        raise ValueError(f"{value!r} is not an IANA time zone, e.g. 'Asia/Seoul', 'Asia/Jakarta'")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _email_or_blank(value: str) -> str:
    return value and _email(value)


def _website(value: str) -> str:
    if value:
        _HTTP_URL.validate_python(value)
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+01:00 has no UTC equivalent
        raise ValueError("time out of range once converted to UTC") from exc


CountryCode = Annotated[
    str, StringConstraints(min_length=2, max_length=2), AfterValidator(_country)
]
CurrencyCode = Annotated[
    str, StringConstraints(min_length=3, max_length=3), AfterValidator(_currency)
]
LanguageCode = Annotated[
    str, StringConstraints(min_length=2, max_length=3), AfterValidator(_language)
]
LanguagePair = Annotated[
    str, StringConstraints(min_length=5, max_length=7), AfterValidator(_language_pair)
]
TimeZoneName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_time_zone)
]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]
EmailOrBlank = Annotated[
    str, StringConstraints(max_length=254), AfterValidator(_email_or_blank)
]
Website = Annotated[str, StringConstraints(max_length=300), AfterValidator(_website)]
UTCTime = Annotated[AwareDatetime, AfterValidator(_utc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=200)]
City = Annotated[str, StringConstraints(max_length=100)]
Industry = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Phone = Annotated[str, StringConstraints(max_length=50, pattern=r"^[0-9+()\-. ]*$")]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
MAX_ID = 2**31 - 1  # PostgreSQL integer keys; larger numbers would be a driver error
PrimaryKey = Annotated[int, Field(gt=0, le=MAX_ID)]
PathId = Annotated[int, Path(gt=0, le=MAX_ID)]


class StrictModel(BaseModel):
    """A request body: unknown fields are refused, surrounding blanks dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UpdateModel(StrictModel):
    """A PATCH body: every field optional; an explicit null only where the column allows it."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_allowed(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: `total` counts every row that matches the filters."""

    items: list[T]
    total: int
    limit: int
    offset: int
