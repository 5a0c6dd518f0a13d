"""Pydantic types for currencies, amounts and exchange rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.money.currencies import AmountError, check_currency, decimal_places, integer_digits
from app.money.currencies import parse_decimal as _parse_decimal
from app.outcomes.actors import Role

CurrencyCode = Annotated[str, BeforeValidator(check_currency)]
# Shape checks only (finite, not negative, no float); the currency's minor unit is checked by
# the model that knows the currency (see app/outcomes/schemas.py).
PlainAmount = Annotated[Decimal, BeforeValidator(_parse_decimal)]

MAX_RATE_PLACES = 10
MAX_RATE_INTEGER_DIGITS = 12


def _rate(value: object) -> Decimal:
    number = _parse_decimal(value)
    if number == 0:
        raise AmountError("a rate must be greater than zero")
    if decimal_places(number) > MAX_RATE_PLACES:
        raise AmountError(f"a rate has at most {MAX_RATE_PLACES} decimal places")
    if integer_digits(number) > MAX_RATE_INTEGER_DIGITS:
        raise AmountError(f"a rate has at most {MAX_RATE_INTEGER_DIGITS} digits before the point")
    return number.normalize()


Rate = Annotated[Decimal, BeforeValidator(_rate)]


class ExchangeRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency: CurrencyCode = Field(description="ISO 4217 code; not USD (1 by definition).")
    rate_date: date
    units_per_usd: Rate = Field(
        description='Units of the currency one US dollar buys that day, e.g. "1380.50" for KRW.'
    )


class ExchangeRatesIn(BaseModel):
    """Rates to add or correct; rows with the same currency and date are replaced."""

    model_config = ConfigDict(extra="forbid")

    entered_by: str = Field(min_length=1, max_length=200)
    role: Role = Field(Role.ORGANISER, description="Only the organiser enters rates.")
    rates: list[ExchangeRateIn] = Field(min_length=1, max_length=1000)


class ExchangeRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    currency: str
    rate_date: date
    units_per_usd: Decimal
    entered_by: str
    entered_at: datetime


class Conversion(BaseModel):
    """The rates used to report an amount in USD and KRW, stored beside it.

    The KRW rate is None when the table has none for the day: the amount is then reported in
    USD, and its KRW figure waits for a KRW rate (only needed to show KRW).
    """

    usd_rate: Decimal = Field(description="Units of the amount's currency per US dollar.")
    usd_rate_date: date | None = Field(description="None when the amount is in USD.")
    krw_per_usd: Decimal | None = None
    krw_rate_date: date | None = None
