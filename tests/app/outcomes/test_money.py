"""Amount validation: exact decimals within the currency's ISO 4217 minor unit, nothing else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.money.conversion import krw_from_units, to_report_units, usd_from_units
from app.money.currencies import (
    AmountError,
    from_minor,
    is_currency,
    minor_unit,
    parse_amount,
    to_minor,
)
from app.money.schemas import Conversion


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


def _conversion(usd_rate: str, krw_per_usd: str = "1400") -> Conversion:
    return Conversion(
        usd_rate=Decimal(usd_rate),
        usd_rate_date=date(2026, 3, 9),
        krw_per_usd=Decimal(krw_per_usd),
        krw_rate_date=date(2026, 3, 9),
    )


@pytest.mark.parametrize(
    ("amount", "currency", "usd_rate", "usd_units", "krw_units"),
    [
        # 25,000,000 / 500 = 50,000 USD; x 1400 = 70,000,000 KRW
        ("25000000", "KZT", "500", 50_000_000_000, 700_000_000_000),
        # 1,000,000.50 / 80 = 12,500.00625 USD; x 1400 = 17,500,008.75 KRW: both exact
        ("1000000.50", "RUB", "80", 12_500_006_250, 175_000_087_500),
        # 1 / 3 = 0.333333|33 USD -> 333,333 micro-dollars; x 1400 = 466.666666|7 -> 4,666,667
        ("1", "AED", "3", 333_333, 4_666_667),
        # ties go to the even unit: 0.01 / 20000 = 0.0000005 -> 0; 0.03 / 20000 -> 2 (1.5)
        ("0.01", "KZT", "20000", 0, 7),
        ("0.03", "KZT", "20000", 2, 21),
        # USD and KRW amounts are taken as they are
        ("1250.50", "USD", "1", 1_250_500_000, 17_507_000_000),
        ("14500000", "KRW", "1450", 10_000_000_000, 145_000_000_000),
    ],
)
def test_conversion_to_report_units(
    amount: str, currency: str, usd_rate: str, usd_units: int, krw_units: int
) -> None:
    conversion = _conversion(usd_rate, "1450" if currency == "KRW" else "1400")
    assert to_report_units(Decimal(amount), currency, conversion) == (usd_units, krw_units)


def test_published_figures_round_half_even_to_the_cent_and_the_won() -> None:
    assert usd_from_units(12_500_006_250) == Decimal("12500.01")  # .00625 -> .01
    assert usd_from_units(5_000) == Decimal("0.00")  # 0.005 -> 0.00 (even)
    assert usd_from_units(15_000) == Decimal("0.02")  # 0.015 -> 0.02 (even)
    assert krw_from_units(5_000) == Decimal("0")  # 0.5 won -> 0
    assert krw_from_units(15_000) == Decimal("2")  # 1.5 won -> 2
    assert krw_from_units(None) == Decimal("0")
