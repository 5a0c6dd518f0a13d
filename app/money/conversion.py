"""Converting an entered amount to the report currencies, USD and KRW, as stored integers.

USD = amount / (units per USD); KRW = USD x (KRW per USD), computed at 60 significant digits
and stored once, when the amount is entered, rounded half-even to 1e-6 USD and 1e-4 KRW
("micro-dollars", "1/10,000 won"): the database then sums integers, exactly, on SQLite and on
PostgreSQL. Published figures are those sums rounded half-even to the cent and the won.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from app.money.schemas import Conversion

USD_PLACES = 6
KRW_PLACES = 4
_ONE = Decimal(1)


def to_report_units(
    amount: Decimal, currency: str, conversion: Conversion
) -> tuple[int, int | None]:
    """(USD in 1e-6 units, KRW in 1e-4 units) of `amount` of `currency`; KRW is None when
    the conversion has no KRW rate (and the amount is not in KRW)."""
    with localcontext() as context:
        context.prec = 60
        usd = amount if currency == "USD" else amount / conversion.usd_rate
        if currency == "KRW":
            krw: Decimal | None = amount
        elif conversion.krw_per_usd is None:
            krw = None
        else:
            krw = usd * conversion.krw_per_usd
        return (
            int(usd.scaleb(USD_PLACES).quantize(_ONE, rounding=ROUND_HALF_EVEN)),
            None
            if krw is None
            else int(krw.scaleb(KRW_PLACES).quantize(_ONE, rounding=ROUND_HALF_EVEN)),
        )


def usd_from_units(units: object) -> Decimal:
    """A sum of USD units as published: to the cent, half-even."""
    return (
        Decimal(int(units or 0))  # type: ignore[call-overload]
        .scaleb(-USD_PLACES)
        .quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    )


def krw_from_units(units: object) -> Decimal:
    """A sum of KRW units as published: to the won, half-even."""
    return (
        Decimal(int(units or 0))  # type: ignore[call-overload]
        .scaleb(-KRW_PLACES)
        .quantize(_ONE, rounding=ROUND_HALF_EVEN)
    )
