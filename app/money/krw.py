"""KRW figures that waited for a KRW rate, filled in once the organiser enters one.

An amount is reported in USD as soon as its own currency has a rate; its KRW value needs the
KRW rate of its day too, which many missions (USD-only, KZT/RUB) do not state. Such amounts
are stored with KRW None; when a KRW rate that applies to their day is entered, their KRW
value is computed exactly as it would have been at entry (amount / its stored USD rate x the
KRW rate), and the rate is noted on the version where it was blank. Nothing already set is
changed: a stored KRW value keeps the rate it was made with.
"""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.followups.models import FollowUp, FollowUpStage
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.money.conversion import to_report_units
from app.money.currencies import from_minor
from app.money.models import ExchangeRate
from app.money.rates import KRW, RateTable
from app.money.schemas import Conversion
from app.outcomes.models import Outcome, OutcomeVersion

logger = logging.getLogger(__name__)

_AMOUNTS = (
    ("consultation", "consultation_value_minor"),
    ("expected", "expected_contract_value_minor"),
    ("onsite", "onsite_contract_minor"),
    ("mou", "mou_minor"),
)


async def fill_missing_krw(*, session: AsyncSession, mission_id: int) -> int:
    """Give KRW values to the mission's current outcomes and signed follow-up contracts that
    lack one and now have a KRW rate for their day; returns how many rows were filled.
    Runs in the caller's transaction (the caller commits)."""
    mission = await session.get(Mission, mission_id)
    if mission is None:
        return 0
    zone = ZoneInfo(mission.timezone)
    table = RateTable(
        await session.scalars(
            select(ExchangeRate).where(
                ExchangeRate.mission_id == mission_id, ExchangeRate.currency == KRW
            )
        )
    )
    filled = 0
    waiting = await session.execute(
        select(OutcomeVersion, Meeting.starts_at)
        .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
        .join(Meeting, Meeting.id == Outcome.meeting_id)
        .where(Outcome.mission_id == mission_id, Outcome.consultation_krw_e4.is_(None))
    )
    for version, starts_at in waiting:
        krw = table.on(KRW, starts_at.astimezone(zone).date())
        if krw is None:
            continue
        conversion = _with_krw(
            version.usd_rate, version.usd_rate_date, krw.units_per_usd, krw.rate_date
        )
        values: dict[str, int | None] = {}
        for prefix, column in _AMOUNTS:
            minor = getattr(version, column)
            if minor is None:
                continue
            _, values[f"{prefix}_krw_e4"] = to_report_units(
                from_minor(minor, version.currency), version.currency, conversion
            )
        await session.execute(
            update(Outcome).where(Outcome.meeting_id == version.meeting_id).values(**values)
        )
        if version.krw_per_usd is None:
            version.krw_per_usd, version.krw_rate_date = krw.units_per_usd, krw.rate_date
        filled += 1
    contracts = await session.scalars(
        select(FollowUp)
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(
            Meeting.mission_id == mission_id,
            FollowUp.stage == FollowUpStage.CONTRACT_SIGNED,
            FollowUp.contract_krw_e4.is_(None),
        )
    )
    for contract in contracts:
        if (
            contract.contract_signed_on is None
            or contract.contract_currency is None
            or contract.contract_minor is None
            or contract.usd_rate is None
        ):
            continue
        krw = table.on(KRW, contract.contract_signed_on)
        if krw is None:
            continue
        conversion = _with_krw(contract.usd_rate, None, krw.units_per_usd, krw.rate_date)
        _, contract.contract_krw_e4 = to_report_units(
            from_minor(contract.contract_minor, contract.contract_currency),
            contract.contract_currency,
            conversion,
        )
        contract.krw_per_usd = krw.units_per_usd
        filled += 1
    if filled:
        await session.flush()
        logger.info("mission %s: KRW values filled in for %s rows", mission_id, filled)
    return filled


def _with_krw(
    usd_rate: object, usd_rate_date: date | None, krw: object, krw_date: date
) -> Conversion:
    return Conversion.model_validate(
        {
            "usd_rate": usd_rate,
            "usd_rate_date": usd_rate_date,
            "krw_per_usd": krw,
            "krw_rate_date": krw_date,
        }
    )
