"""ISO 4217 currencies with their minor units, and the validation of entered amounts."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache

import iso4217

# Amounts are stored as integer minor units in a BIGINT, so at most 18 digits in minor units
# (< 2**63 ~ 9.2e18): a KRW amount may have 18 integer digits, a USD amount 16.
MAX_MINOR_DIGITS = 18

_DECIMAL_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class AmountError(ValueError):
    """An entered amount that is not a valid, exact, non-negative amount of its currency."""


@cache
def minor_units() -> dict[str, int]:
    """ISO 4217 alphabetic code -> minor unit (decimal places), for codes that have one.

    Entries without a minor unit (gold XAU, SDR XDR, test code XTS, XXX) are not money a
    contract is written in, so they are left out.
    """
    units: dict[str, int] = {}
    for code, entry in iso4217.raw_table.items():
        minor = entry["CcyMnrUnts"]
        if code and isinstance(minor, str) and minor.isdigit():
            units[code] = int(minor)
    return units


def is_currency(code: str) -> bool:
    return code in minor_units()


def minor_unit(currency: str) -> int:
    try:
        return minor_units()[currency]
    except KeyError:
        raise AmountError(
            f"{currency!r} is not an ISO 4217 currency code, e.g. 'USD', 'KRW'"
        ) from None


def check_currency(code: object) -> str:
    if not isinstance(code, str) or not is_currency(code):
        raise AmountError(f"{code!r} is not an ISO 4217 currency code, e.g. 'USD', 'KRW', 'VND'")
    return code


def parse_decimal(value: object) -> Decimal:
    """A finite, non-negative Decimal from a string, an int or a Decimal (never a float).

    JSON numbers reach here as Decimal because the API parses request bodies with
    `parse_float=Decimal` (app/money/json.py): what the client typed, not a binary float.
    """
    if isinstance(value, bool | float):
        raise AmountError(
            'give amounts as a decimal string like "1250.50" or a JSON number, not a binary float'
        )
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
            raise AmountError(f"{value!r} is not a finite amount")
        if not _DECIMAL_TEXT.fullmatch(text):
            raise AmountError(f'{value!r} is not a decimal amount like "1250.50"')
        try:
            number = Decimal(text)
        except InvalidOperation:  # the pattern admits only what Decimal parses; kept for safety
            raise AmountError(f"{value!r} is not a decimal amount") from None
    else:
        raise AmountError('an amount is a decimal string like "1250.50" or a number')
    if not number.is_finite():
        raise AmountError("amount must be finite (no NaN or Infinity)")
    if number.is_signed() and number != 0:
        raise AmountError("amount must not be negative")
    return abs(number)  # abs: -0 becomes 0


def decimal_places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite numbers only
    return max(0, -exponent)


def integer_digits(number: Decimal) -> int:
    return max(0, number.adjusted() + 1) if number != 0 else 0


def parse_amount(value: object, currency: str) -> Decimal:
    """A valid amount of `currency`: finite, non-negative, within its minor unit, storable."""
    number = parse_decimal(value)
    places = minor_unit(currency)
    if decimal_places(number) > places:
        raise AmountError(
            f"{currency} amounts have at most {places} decimal place(s) (ISO 4217 minor unit); "
            f"{value} has {decimal_places(number)}"
        )
    if integer_digits(number) > MAX_MINOR_DIGITS - places:
        raise AmountError(
            f"amount too large: {currency} amounts have at most {MAX_MINOR_DIGITS - places} "
            "digits before the decimal point"
        )
    return number.quantize(Decimal(1).scaleb(-places))


def to_minor(amount: Decimal, currency: str) -> int:
    """Integer minor units of an amount already checked by `parse_amount` (exact)."""
    return int(amount.scaleb(minor_unit(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    places = minor_unit(currency)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))
