"""Amounts written the way organisers publish them (figures from their 2024 CIS mission)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.reports.press import krw_ko, usd_en, usd_ko


@pytest.mark.parametrize(
    ("usd", "english", "korean"),
    [
        ("32340000", "US$32.34 million", "3,234만 달러"),
        ("1060000", "US$1.06 million", "106만 달러"),
        ("15750000", "US$15.75 million", "1,575만 달러"),
        ("1806000", "US$1.81 million", "181만 달러"),
        ("157500000", "US$157.50 million", "1억 5,750만 달러"),
        ("300000000", "US$300.00 million", "3억 달러"),
        ("65000", "US$65,000", "6만 5,000달러"),
        ("10000", "US$10,000", "1만 달러"),
        ("8500.49", "US$8,500", "8,500달러"),
        ("1005000", "US$1.00 million", "100만 달러"),  # half-even: 1.005 -> 1.00, 100.5 -> 100
    ],
)
def test_usd_in_the_organisers_words(usd: str, english: str, korean: str) -> None:
    assert usd_en(Decimal(usd)) == english
    assert usd_ko(Decimal(usd)) == korean


@pytest.mark.parametrize(
    ("krw", "korean"),
    [("44600000000", "약 446억 원"), ("242000009", "약 2억 원"), ("14500000", "약 1,450만 원")],
)
def test_krw_in_korean(krw: str, korean: str) -> None:
    assert krw_ko(Decimal(krw)) == korean
