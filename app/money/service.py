"""The exchange-rate table: entering rates and finding the one that applies on a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from app.missions.models import Mission
from app.money.exceptions import RateMissing
from app.money.krw import fill_missing_krw
from app.money.models import ExchangeRate
from app.money.rates import KRW, USD, RateTable
from app.money.schemas import Conversion, ExchangeRateIn
from app.outcomes.actors import Actor


async def get_mission(*, session: AsyncSession, mission_id: int) -> Mission:
    mission = await session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(f"mission {mission_id} not found", mission_id=mission_id)
    return mission


async def list_rates(*, session: AsyncSession, mission_id: int) -> Sequence[ExchangeRate]:
    await get_mission(session=session, mission_id=mission_id)
    result = await session.scalars(
        select(ExchangeRate)
        .where(ExchangeRate.mission_id == mission_id)
        .order_by(ExchangeRate.currency, ExchangeRate.rate_date)
    )
    return result.all()


async def set_rates(
    *, session: AsyncSession, mission_id: int, rates: Sequence[ExchangeRateIn], actor: Actor
) -> Sequence[ExchangeRate]:
    """Add or replace rates (same currency and date). Stored outcomes keep the rate they used;
    those still without a KRW value get one from a new KRW rate of their day (app/money/krw.py)."""
    if not actor.is_organiser:
        raise PermissionDenied("only the organiser enters exchange rates", role=actor.role.value)
    await get_mission(session=session, mission_id=mission_id)
    keys = [(rate.currency, rate.rate_date) for rate in rates]
    if len(set(keys)) != len(keys):
        raise InvalidRequest("a currency appears twice for the same date")
    if any(rate.currency == USD for rate in rates):
        raise InvalidRequest("USD is 1 by definition and has no row in the table", field="currency")
    existing = {
        (row.currency, row.rate_date): row
        for row in await session.scalars(
            select(ExchangeRate).where(ExchangeRate.mission_id == mission_id)
        )
    }
    for rate in rates:
        row = existing.get((rate.currency, rate.rate_date))
        if row is None:
            session.add(
                ExchangeRate(
                    mission_id=mission_id,
                    currency=rate.currency,
                    rate_date=rate.rate_date,
                    units_per_usd=rate.units_per_usd,
                    entered_by=actor.name,
                )
            )
        else:
            row.units_per_usd = rate.units_per_usd
            row.entered_by = actor.name
    if any(rate.currency == KRW for rate in rates):
        await session.flush()
        await fill_missing_krw(session=session, mission_id=mission_id)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict("the rate table changed meanwhile; send the rates again") from None
    return await list_rates(session=session, mission_id=mission_id)


async def rate_on(
    *, session: AsyncSession, mission_id: int, currency: str, on: date
) -> ExchangeRate | None:
    """The rate dated on or before `on` (the latest such), or None."""
    return await session.scalar(
        select(ExchangeRate)
        .where(
            ExchangeRate.mission_id == mission_id,
            ExchangeRate.currency == currency,
            ExchangeRate.rate_date <= on,
        )
        .order_by(ExchangeRate.rate_date.desc())
        .limit(1)
    )


async def conversion_on(
    *, session: AsyncSession, mission_id: int, currency: str, on: date, field: str = "currency"
) -> Conversion:
    """The rates an amount in `currency` dated `on` is reported with, or RateMissing (422).

    Only the rate that gives the amount's USD value is required (none for USD; KRW's own for
    KRW). Without a KRW rate for the day, the conversion has none and the KRW figure waits
    for one (`fill_missing_krw`): a USD, KZT or RUB mission needs no KRW rate to report in USD.
    """
    krw = await rate_on(session=session, mission_id=mission_id, currency=KRW, on=on)
    if currency == KRW and krw is None:
        raise RateMissing(mission_id=mission_id, currency=KRW, on=on, field=field)
    own = None
    if currency not in (USD, KRW):
        own = await rate_on(session=session, mission_id=mission_id, currency=currency, on=on)
        if own is None:
            raise RateMissing(mission_id=mission_id, currency=currency, on=on, field=field)
    return RateTable.conversion_of(currency, own=own if currency != KRW else krw, krw=krw)
