"""A mission's rate table in memory: the rate that applies on a day, for many amounts at once."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from app.money.schemas import Conversion

USD = "USD"
KRW = "KRW"


class DatedRate(Protocol):
    @property
    def currency(self) -> str: ...

    @property
    def rate_date(self) -> date: ...

    @property
    def units_per_usd(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class Rate:
    currency: str
    rate_date: date
    units_per_usd: Decimal


class RateTable:
    """Rates by currency, each list in date order; `on(currency, day)` is the one dated on
    or before `day` (the latest such), the rule app/money/service.py applies in SQL."""

    def __init__(self, rates: Iterable[DatedRate]) -> None:
        by_currency: dict[str, list[Rate]] = {}
        for row in rates:
            by_currency.setdefault(row.currency, []).append(
                Rate(row.currency, row.rate_date, row.units_per_usd)
            )
        self._rates = {
            c: sorted(rows, key=lambda r: r.rate_date) for c, rows in by_currency.items()
        }
        self._dates = {c: [r.rate_date for r in rows] for c, rows in self._rates.items()}

    def on(self, currency: str, day: date) -> Rate | None:
        dates = self._dates.get(currency)
        if not dates:
            return None
        index = bisect.bisect_right(dates, day)
        return self._rates[currency][index - 1] if index else None

    def has(self, currency: str, day: date) -> bool:
        """Whether an amount in `currency` on `day` can be reported in USD."""
        return currency == USD or self.on(currency, day) is not None

    def conversion(self, currency: str, day: date) -> Conversion | None:
        """The conversion of an amount in `currency` on `day`; None without the rate its USD
        value needs (the KRW rate is optional, see Conversion)."""
        if not self.has(currency, day):
            return None
        krw = self.on(KRW, day)
        own = None if currency == USD else self.on(currency, day)
        return self.conversion_of(currency, own=own, krw=krw)

    @staticmethod
    def conversion_of(currency: str, *, own: DatedRate | None, krw: DatedRate | None) -> Conversion:
        """A Conversion from the amount's own rate (None for USD) and the day's KRW rate."""
        if currency == USD or own is None:
            usd_rate, usd_rate_date = Decimal(1), None
        else:
            usd_rate, usd_rate_date = own.units_per_usd, own.rate_date
        return Conversion(
            usd_rate=usd_rate,
            usd_rate_date=usd_rate_date,
            krw_per_usd=None if krw is None else krw.units_per_usd,
            krw_rate_date=None if krw is None else krw.rate_date,
        )
