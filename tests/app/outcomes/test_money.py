"""Amount validation: exact decimals within the currency's ISO 4217 minor unit, nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.money.currencies import (
    AmountError,
    from_minor,
    is_currency,
    minor_unit,
    parse_amount,
    to_minor,
)


def test_the_iso_4217_list_and_its_minor_units() -> None:
    assert [minor_unit(code) for code in ("KRW", "USD", "VND", "IDR", "KZT", "BHD", "CLF")] == [
        0,
        2,
        0,
        2,
        2,
        3,
        4,
    ]
    assert all(is_currency(code) for code in ("RUB", "AED", "JPY", "EUR"))
    assert not any(is_currency(code) for code in ("XYZ", "usd", "DEM", "XAU", ""))


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1250.50", "USD", Decimal("1250.50")),
        ("1250.5", "USD", Decimal("1250.50")),
        (1250, "USD", Decimal("1250.00")),
        (Decimal("0.1"), "USD", Decimal("0.10")),
        ("14500000", "KRW", Decimal("14500000")),
        ("14500000.00", "KRW", Decimal("14500000")),  # trailing zeros are not places
        ("1E+3", "KRW", Decimal("1000")),
        ("0.125", "BHD", Decimal("0.125")),
        ("-0", "USD", Decimal("0.00")),
        ("999999999999999999", "KRW", Decimal("999999999999999999")),
    ],
)
def test_valid_amounts(value: object, currency: str, expected: Decimal) -> None:
    amount = parse_amount(value, currency)
    assert amount == expected and str(amount) == str(expected)
    assert from_minor(to_minor(amount, currency), currency) == amount


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        ("-1", "USD", "negative"),
        (-5, "KRW", "negative"),
        ("1e309", "USD", "too large"),
        (Decimal("1E+309"), "USD", "too large"),
        ("NaN", "USD", "finite"),
        ("Infinity", "USD", "finite"),
        (Decimal("Infinity"), "USD", "finite"),
        (Decimal("NaN"), "USD", "finite"),
        (0.1, "USD", "binary float"),
        (True, "USD", "binary float"),
        (Decimal("0.30000000000000004"), "USD", "at most 2 decimal"),
        ("10.5", "KRW", "at most 0 decimal"),
        ("1.234", "USD", "at most 2 decimal"),
        ("1,000", "USD", "not a decimal"),
        ("1_000", "USD", "not a decimal"),
        ("", "USD", "not a decimal"),
        ("12 USD", "USD", "not a decimal"),
        ("1000000000000000000", "KRW", "too large"),
        ("10000000000000000", "USD", "too large"),
        (None, "USD", "decimal string"),
        ("5", "XYZ", "ISO 4217"),
    ],
)
def test_invalid_amounts(value: object, currency: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        parse_amount(value, currency)
