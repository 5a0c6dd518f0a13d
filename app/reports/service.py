"""The report's figures, aggregated by the database (GROUP BY), converted with Decimal.

Per breakdown two queries run: one counts meetings (consultations, no-shows, distinct
companies and buyers, interpreter time), one sums the current outcome versions' amounts grouped
by currency and by the rates stored with them. Python then folds those few currency rows per
key into USD and KRW (converting each group once, at 50 significant digits) and rounds only the
final figures, ROUND_HALF_EVEN: USD to the cent, KRW to the won.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidRequest, NotFound
from app.followups.models import FollowUp, FollowUpStage
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.money.currencies import minor_unit
from app.money.service import KRW, USD
from app.outcomes.models import Outcome, OutcomeVersion
from app.participants.models import Buyer, Company
from app.reports.press import press_release
from app.reports.schemas import (
    BREAKDOWNS,
    Amount,
    BreakdownRow,
    Change,
    Comparison,
    ComparisonRow,
    Deals,
    Figures,
    LaterContract,
    MissionRef,
    Report,
    SignedLater,
)

CENT = Decimal("0.01")
WON = Decimal(1)
RATE_PLACES = Decimal("0.0001")

RULES = {
    "consultations": "Meetings with status 'completed' (held). Scheduled, live, no-show and "
    "cancelled meetings are not consultations; only held meetings' outcomes count.",
    "outcome": "The current (latest) version of each held meeting's outcome.",
    "no_show_rate": "no-shows / (held + no-shows); cancelled meetings are left out.",
    "companies_buyers": "Distinct companies and buyers that took part in a held consultation.",
    "interpreter_minutes": "Scheduled length (end - start) of held meetings with an interpreter.",
    "currency": "Amounts are stored as entered with the rates used: the mission's rate dated "
    "on or before the meeting's local day. USD = amount / (units per USD); KRW = USD x KRW per "
    "USD of the same table (a cross rate through USD).",
    "rounding": "Decimal arithmetic; each total is rounded once, at report time, "
    "ROUND_HALF_EVEN: USD to the cent, KRW to the won; rates of change to 4 places.",
    "signed_later": "Contracts signed in follow-up count from their signing date on, up to "
    "as_of, as a separate line; contracts_total adds the two rounded lines, so the printed "
    "figures add up.",
    "day": "The meeting's start date in the mission's time zone.",
}


@dataclass
class _Money:
    usd: Decimal = Decimal(0)
    krw: Decimal = Decimal(0)

    def amount(self) -> Amount:
        return Amount(
            usd=self.usd.quantize(CENT, rounding=ROUND_HALF_EVEN),
            krw=self.krw.quantize(WON, rounding=ROUND_HALF_EVEN),
        )


@dataclass
class _Totals:
    meetings: int = 0
    consultations: int = 0
    no_shows: int = 0
    companies: int = 0
    buyers: int = 0
    interpreter_seconds: int = 0
    onsite_count: int = 0
    mou_count: int = 0
    money: dict[str, _Money] = field(default_factory=lambda: defaultdict(_Money))

    def figures(self) -> Figures:
        seen = self.consultations + self.no_shows
        rate = (
            None
            if seen == 0
            else (Decimal(self.no_shows) / Decimal(seen)).quantize(
                RATE_PLACES, rounding=ROUND_HALF_EVEN
            )
        )
        return Figures(
            meetings=self.meetings,
            consultations=self.consultations,
            no_shows=self.no_shows,
            no_show_rate=rate,
            companies=self.companies,
            buyers=self.buyers,
            interpreter_minutes=int(
                (Decimal(self.interpreter_seconds) / 60).quantize(WON, rounding=ROUND_HALF_EVEN)
            ),
            consultation_value=self.money["consultation"].amount(),
            expected_contract_value=self.money["expected"].amount(),
            onsite_contracts=Deals(count=self.onsite_count, value=self.money["onsite"].amount()),
            mous=Deals(count=self.mou_count, value=self.money["mou"].amount()),
        )


def convert(minor: Any, currency: str, usd_rate: Decimal, krw_per_usd: Decimal) -> _Money:
    """A sum of minor units in USD and KRW, unrounded (50 significant digits)."""
    with localcontext() as context:
        context.prec = 50
        amount = Decimal(int(minor or 0)).scaleb(-minor_unit(currency))
        usd = amount if currency == USD else amount / usd_rate
        krw = amount if currency == KRW else usd * krw_per_usd
        return _Money(usd=+usd, krw=+krw)


def _add(into: _Money, other: _Money) -> None:
    with localcontext() as context:
        context.prec = 50
        into.usd += other.usd
        into.krw += other.krw


# --- the SQL -------------------------------------------------------------------------------


def _seconds(session: AsyncSession) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Meeting.ends_at - Meeting.starts_at)
    return func.strftime("%s", Meeting.ends_at) - func.strftime("%s", Meeting.starts_at)


def _local_day(session: AsyncSession, missions: Sequence[Mission]) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(Mission.timezone, Meeting.starts_at))
    # SQLite has no time-zone database: each mission's UTC offset on its first day is used
    # (missions last days, not across a DST change, in practice).
    offsets = {
        mission.id: _offset_modifier(mission.timezone, mission.start_date) for mission in missions
    }
    return func.date(Meeting.starts_at, case(offsets, value=Meeting.mission_id, else_="+0 minutes"))


def _offset_modifier(timezone: str, day: date) -> str:
    offset = datetime.combine(day, time(12), ZoneInfo(timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"{minutes:+d} minutes"


def _keys(dimension: str, day: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    return {
        "summary": [],
        "mission": [Meeting.mission_id],
        "country": [Buyer.country],
        "city": [Buyer.country, Buyer.city],
        "industry": [Company.industry],
        "company": [Company.id, Company.name],
        "buyer": [Buyer.id, Buyer.name, Buyer.company_name, Buyer.country],
        "day": [day.label("day")],
    }[dimension]


def _joined(stmt: Select[Any], dimension: str, mission_ids: Sequence[int]) -> Select[Any]:
    if dimension in ("country", "city", "buyer"):
        stmt = stmt.join(Buyer, Buyer.id == Meeting.buyer_id)
    if dimension in ("industry", "company"):
        stmt = stmt.join(Company, Company.id == Meeting.company_id)
    if dimension == "day":
        stmt = stmt.join(Mission, Mission.id == Meeting.mission_id)
    return stmt.where(Meeting.mission_id.in_(mission_ids))


async def _aggregate(
    *,
    session: AsyncSession,
    dimension: str,
    missions: Sequence[Mission],
) -> dict[tuple[Any, ...], _Totals]:
    mission_ids = [mission.id for mission in missions]
    keys = _keys(dimension, _local_day(session, missions))
    held = Meeting.status == MeetingStatus.COMPLETED
    counts = select(
        *keys,
        func.count().label("meetings"),
        func.sum(case((held, 1), else_=0)),
        func.sum(case((Meeting.status == MeetingStatus.NO_SHOW, 1), else_=0)),
        func.count(distinct(case((held, Meeting.company_id)))),
        func.count(distinct(case((held, Meeting.buyer_id)))),
        func.sum(
            case((and_(held, Meeting.interpreter_id.is_not(None)), _seconds(session)), else_=0)
        ),
    ).select_from(Meeting)
    counts = _joined(counts, dimension, mission_ids).group_by(*keys)

    money = (
        select(
            *keys,
            OutcomeVersion.currency,
            OutcomeVersion.usd_rate,
            OutcomeVersion.krw_per_usd,
            func.sum(OutcomeVersion.consultation_value_minor),
            func.sum(OutcomeVersion.expected_contract_value_minor),
            func.count(OutcomeVersion.onsite_contract_minor),
            func.sum(OutcomeVersion.onsite_contract_minor),
            func.count(OutcomeVersion.mou_minor),
            func.sum(OutcomeVersion.mou_minor),
        )
        .select_from(Meeting)
        .join(Outcome, Outcome.meeting_id == Meeting.id)
        .join(OutcomeVersion, OutcomeVersion.id == Outcome.current_version_id)
        .where(held)
    )
    money = _joined(money, dimension, mission_ids).group_by(
        *keys, OutcomeVersion.currency, OutcomeVersion.usd_rate, OutcomeVersion.krw_per_usd
    )

    width = len(keys)
    totals: dict[tuple[Any, ...], _Totals] = defaultdict(_Totals)
    for row in await session.execute(counts):
        key = _normalise_key(tuple(row[:width]))
        meetings, held_count, no_shows, companies, buyers, seconds = row[width:]
        t = totals[key]
        t.meetings, t.consultations, t.no_shows = int(meetings), int(held_count), int(no_shows)
        t.companies, t.buyers = int(companies), int(buyers)
        t.interpreter_seconds = int(seconds or 0)
    for row in await session.execute(money):
        key = _normalise_key(tuple(row[:width]))
        currency, usd_rate, krw_per_usd = row[width : width + 3]
        consultation, expected, onsite_n, onsite, mou_n, mou = row[width + 3 :]
        t = totals[key]
        t.onsite_count += int(onsite_n)
        t.mou_count += int(mou_n)
        for name, minor in (
            ("consultation", consultation),
            ("expected", expected),
            ("onsite", onsite),
            ("mou", mou),
        ):
            _add(t.money[name], convert(minor, currency, usd_rate, krw_per_usd))
    return totals


def _normalise_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    # PostgreSQL gives a date for the day, SQLite its ISO text.
    return tuple(value.isoformat() if isinstance(value, date) else value for value in key)


# --- labels ----------------------------------------------------------------------------------

_EN = Locale("en")
_KO = Locale("ko")


def country_name(code: str, locale: Locale = _EN) -> str:
    return str(locale.territories.get(code, code))


def _row(dimension: str, key: tuple[Any, ...], totals: _Totals) -> BreakdownRow:
    figures = totals.figures()
    if dimension == "country":
        (code,) = key
        return BreakdownRow(
            key=code, label=country_name(code), label_ko=country_name(code, _KO), figures=figures
        )
    if dimension == "city":
        code, city = key
        return BreakdownRow(
            key=f"{code}/{city}",
            label=f"{city}, {country_name(code)}",
            label_ko=f"{country_name(code, _KO)} {city}",
            figures=figures,
        )
    if dimension == "industry":
        (industry,) = key
        return BreakdownRow(key=industry, label=industry, label_ko=industry, figures=figures)
    if dimension == "company":
        company_id, name = key
        return BreakdownRow(key=str(company_id), label=name, label_ko=name, figures=figures)
    if dimension == "buyer":
        buyer_id, name, company_name, code = key
        label = f"{company_name} ({name}, {country_name(code)})"
        return BreakdownRow(key=str(buyer_id), label=label, label_ko=label, figures=figures)
    (day,) = key  # "day"
    return BreakdownRow(key=str(day), label=str(day), label_ko=str(day), figures=figures)


def _sort_key(row: BreakdownRow, dimension: str) -> tuple[Any, ...]:
    if dimension == "day":
        return (row.key,)
    # Largest first, as organisers list them; the key breaks ties so the order is stable.
    return (-row.figures.consultations, -row.figures.consultation_value.usd, row.key)


# --- the report ------------------------------------------------------------------------------


async def load_missions(*, session: AsyncSession, mission_ids: Sequence[int]) -> list[Mission]:
    if not mission_ids:
        raise InvalidRequest("name at least one mission", field="mission_id")
    missions = list(
        await session.scalars(
            select(Mission).where(Mission.id.in_(mission_ids)).order_by(Mission.start_date)
        )
    )
    missing = sorted(set(mission_ids) - {mission.id for mission in missions})
    if missing:
        raise NotFound(f"mission(s) {missing} not found", mission_ids=missing)
    return missions


def _ref(mission: Mission) -> MissionRef:
    return MissionRef(
        id=mission.id,
        name=mission.name,
        start_date=mission.start_date,
        end_date=mission.end_date,
        status=str(mission.status),
    )


async def summary_figures(*, session: AsyncSession, missions: Sequence[Mission]) -> Figures:
    totals = await _aggregate(session=session, dimension="summary", missions=missions)
    return totals.get((), _Totals()).figures()


async def breakdown(
    *, session: AsyncSession, missions: Sequence[Mission], dimension: str
) -> list[BreakdownRow]:
    if dimension not in BREAKDOWNS:
        raise InvalidRequest(f"no breakdown {dimension!r}; one of {', '.join(BREAKDOWNS)}")
    totals = await _aggregate(session=session, dimension=dimension, missions=missions)
    rows = [_row(dimension, key, t) for key, t in totals.items()]
    return sorted(rows, key=lambda row: _sort_key(row, dimension))


async def signed_later(
    *, session: AsyncSession, missions: Sequence[Mission], as_of: date
) -> SignedLater:
    mission_ids = [mission.id for mission in missions]
    signed = and_(
        FollowUp.stage == FollowUpStage.CONTRACT_SIGNED,
        FollowUp.contract_signed_on <= as_of,
        Meeting.mission_id.in_(mission_ids),
    )
    grouped = (
        select(
            FollowUp.contract_currency,
            FollowUp.usd_rate,
            FollowUp.krw_per_usd,
            func.count(),
            func.sum(FollowUp.contract_minor),
        )
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(signed)
        .group_by(FollowUp.contract_currency, FollowUp.usd_rate, FollowUp.krw_per_usd)
    )
    total, count = _Money(), 0
    for currency, usd_rate, krw_per_usd, n, minor in await session.execute(grouped):
        count += int(n)
        _add(total, convert(minor, currency, usd_rate, krw_per_usd))
    listing = (
        select(FollowUp, Company.name, Buyer.name, Buyer.company_name)
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .join(Company, Company.id == Meeting.company_id)
        .join(Buyer, Buyer.id == Meeting.buyer_id)
        .where(signed)
        .order_by(FollowUp.contract_signed_on, FollowUp.meeting_id)
    )
    contracts = []
    for follow_up, company, buyer, buyer_company in await session.execute(listing):
        assert follow_up.contract_currency and follow_up.usd_rate and follow_up.krw_per_usd
        assert follow_up.contract_minor is not None and follow_up.contract_signed_on
        value = convert(
            follow_up.contract_minor,
            follow_up.contract_currency,
            follow_up.usd_rate,
            follow_up.krw_per_usd,
        )
        contracts.append(
            LaterContract(
                meeting_id=follow_up.meeting_id,
                company=company,
                buyer=buyer,
                buyer_company=buyer_company,
                signed_on=follow_up.contract_signed_on,
                amount=Decimal(follow_up.contract_minor).scaleb(
                    -minor_unit(follow_up.contract_currency)
                ),
                currency=follow_up.contract_currency,
                value=value.amount(),
            )
        )
    return SignedLater(count=count, value=total.amount(), contracts=contracts)


async def build_report(
    *, session: AsyncSession, mission_ids: Sequence[int], as_of: date, organiser: str = ""
) -> Report:
    """Summary, every breakdown, contracts signed later and the press paragraphs."""
    missions = await load_missions(session=session, mission_ids=mission_ids)
    summary = await summary_figures(session=session, missions=missions)
    breakdowns = {
        dimension: await breakdown(session=session, missions=missions, dimension=dimension)
        for dimension in BREAKDOWNS
    }
    later = await signed_later(session=session, missions=missions, as_of=as_of)
    contracts_total = Deals(
        count=summary.onsite_contracts.count + later.count,
        value=Amount(
            usd=summary.onsite_contracts.value.usd + later.value.usd,
            krw=summary.onsite_contracts.value.krw + later.value.krw,
        ),
    )
    report = Report(
        missions=[_ref(mission) for mission in missions],
        as_of=as_of,
        rules=RULES,
        summary=summary,
        contracts_total=contracts_total,
        signed_later=later,
        breakdowns=breakdowns,
        press_release={"en": "", "ko": ""},
    )
    report.press_release = press_release(report, organiser=organiser)
    return report


async def compare(*, session: AsyncSession, mission_ids: Sequence[int]) -> Comparison:
    """Missions side by side, oldest first, each with its change from the one before."""
    missions = await load_missions(session=session, mission_ids=mission_ids)
    totals = await _aggregate(session=session, dimension="mission", missions=missions)
    rows: list[ComparisonRow] = []
    previous: Figures | None = None
    for mission in missions:
        figures = totals.get((mission.id,), _Totals()).figures()
        change = None if previous is None else _change(previous, figures)
        rows.append(ComparisonRow(mission=_ref(mission), figures=figures, change=change))
        previous = figures
    return Comparison(rows=rows)


def _relative(before: Decimal | int, after: Decimal | int) -> Decimal | None:
    if before == 0:
        return None
    return ((Decimal(after) - Decimal(before)) / Decimal(before)).quantize(
        RATE_PLACES, rounding=ROUND_HALF_EVEN
    )


def _change(before: Figures, after: Figures) -> Change:
    return Change(
        consultations=_relative(before.consultations, after.consultations),
        consultation_value_usd=_relative(
            before.consultation_value.usd, after.consultation_value.usd
        ),
        onsite_contracts=_relative(before.onsite_contracts.count, after.onsite_contracts.count),
        mous=_relative(before.mous.count, after.mous.count),
        expected_contract_value_usd=_relative(
            before.expected_contract_value.usd, after.expected_contract_value.usd
        ),
    )
