"""The report's figures, aggregated by the database: one GROUP BY query per breakdown.

Each query reads meetings joined to their outcome's head row, which holds the current
version's amounts already in USD (1e-6) and KRW (1e-4) integer units (app/money/conversion.py),
so the database counts and sums everything; Python only rounds the sums, half-even, to the
cent and the won, and names the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidRequest, NotFound
from app.followups.models import FollowUp, FollowUpStage
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, Venue
from app.money.conversion import krw_from_units, usd_from_units
from app.money.currencies import minor_unit
from app.outcomes.models import Outcome
from app.participants.models import Buyer, Company
from app.places import city_ko
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
    MissingRate,
    MissionRef,
    PressRelease,
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
    "deals": "On-site contracts and MOUs count held meetings whose amount is above zero; "
    "an amount of 0 is no deal.",
    "no_show_rate": "no-shows / (held + no-shows); cancelled meetings are left out.",
    "companies_buyers": "Distinct companies and buyers that took part in a held consultation.",
    "interpreter_minutes": "Scheduled length (end - start) of held meetings with an interpreter.",
    "currency": "Amounts are stored as entered with the rates used: the mission's rate dated "
    "on or before the meeting's local day. USD = amount / (units per USD); KRW = USD x KRW per "
    "USD of the same table (a cross rate through USD).",
    "rounding": "Decimal arithmetic. Each amount's USD and KRW values are kept to 1e-6 USD and "
    "1e-4 KRW (half-even) when entered; totals are exact sums of those, rounded once at report "
    "time, ROUND_HALF_EVEN, to the cent and the won; rates to 4 places.",
    "signed_later": "Contracts signed in follow-up count from their signing date on, up to "
    "as_of, as a separate line; contracts_total adds the two rounded lines, so the printed "
    "figures add up.",
    "day": "The meeting's start date in the mission's time zone.",
    "krw": "An amount is reported in USD once its own currency has a rate; its KRW value also "
    "needs a KRW rate dated on or before its day. A total with any amount still lacking one "
    "has krw = null, and missing_rates names those days; entering the KRW rate fills them in.",
    "places": "Countries are named by their ISO code (Korean names from CLDR); cities by the "
    "buyer's record, in Korean by the record's city_ko, else the name Korean press uses.",
}


def _amount(usd_units: Any, krw_units: Any, krw_missing: Any = 0) -> Amount:
    """A total; its KRW figure is None when `krw_missing` of its amounts have no KRW value."""
    krw = None if int(krw_missing or 0) else krw_from_units(krw_units)
    return Amount(usd=usd_from_units(usd_units), krw=krw)


def _rate(part: int, whole: int) -> Decimal | None:
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_EVEN)


def _figures(values: Sequence[Any]) -> Figures:
    """Figures from one result row's aggregate columns, in the order `_aggregates` makes them."""
    (
        meetings, held, no_shows, companies, buyers, seconds,
        cv_usd, cv_krw, ex_usd, ex_krw,
        onsite_n, onsite_usd, onsite_krw, mou_n, mou_usd, mou_krw,
        cv_no_krw, ex_no_krw, onsite_no_krw, mou_no_krw,
    ) = values  # fmt: skip
    held, no_shows = int(held or 0), int(no_shows or 0)
    return Figures(
        meetings=int(meetings),
        consultations=held,
        no_shows=no_shows,
        no_show_rate=_rate(no_shows, held + no_shows),
        companies=int(companies),
        buyers=int(buyers),
        interpreter_minutes=int(
            (Decimal(int(seconds or 0)) / 60).quantize(WON, rounding=ROUND_HALF_EVEN)
        ),
        consultation_value=_amount(cv_usd, cv_krw, cv_no_krw),
        expected_contract_value=_amount(ex_usd, ex_krw, ex_no_krw),
        onsite_contracts=Deals(
            count=int(onsite_n or 0), value=_amount(onsite_usd, onsite_krw, onsite_no_krw)
        ),
        mous=Deals(count=int(mou_n or 0), value=_amount(mou_usd, mou_krw, mou_no_krw)),
    )


EMPTY = (0,) * 20


# --- the SQL -------------------------------------------------------------------------------


def _seconds(session: AsyncSession) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Meeting.ends_at - Meeting.starts_at)
    return func.strftime("%s", Meeting.ends_at) - func.strftime("%s", Meeting.starts_at)


def _local_day(session: AsyncSession, missions: Sequence[Mission]) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        zones = {mission.timezone for mission in missions}
        if len(zones) == 1:  # the usual case: no join to missions, one zone for every row
            return func.date(func.timezone(zones.pop(), Meeting.starts_at))
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


def _keys(dimension: str, day: ColumnElement[Any]) -> list[Any]:
    keys: dict[str, list[Any]] = {  # columns and labelled expressions
        "summary": [],
        "mission": [Meeting.mission_id],
        "country": [Buyer.country],
        "city": [Buyer.country, Buyer.city],
        "industry": [Company.industry],
        "company": [Company.id, Company.name],
        "buyer": [Buyer.id, Buyer.name, Buyer.company_name, Buyer.country],
        "day": [day.label("day")],
    }
    return keys[dimension]


def _joined(
    stmt: Select[Any], dimension: str, mission_ids: Sequence[int], *, zone_per_mission: bool
) -> Select[Any]:
    if dimension in ("country", "city", "buyer"):
        stmt = stmt.join(Buyer, Buyer.id == Meeting.buyer_id)
    if dimension in ("industry", "company"):
        stmt = stmt.join(Company, Company.id == Meeting.company_id)
    if dimension == "day" and zone_per_mission:
        stmt = stmt.join(Mission, Mission.id == Meeting.mission_id)
    return stmt.where(Meeting.mission_id.in_(mission_ids))


def _aggregates(session: AsyncSession) -> list[ColumnElement[Any]]:
    held = Meeting.status == MeetingStatus.COMPLETED

    def held_sum(column: Any) -> ColumnElement[Any]:
        return func.sum(case((held, column)))

    def held_deals(column: Any) -> ColumnElement[Any]:
        # A deal is an amount above zero: 0 (or none) recorded is no contract, no MOU.
        return func.count(case((and_(held, column > 0), 1)))

    def held_without_krw(usd: Any, krw: Any) -> ColumnElement[Any]:
        # An amount whose day had no KRW rate yet: its total has no KRW figure.
        return func.count(case((and_(held, usd.is_not(None), krw.is_(None)), 1)))

    return [
        func.count(),
        func.sum(case((held, 1), else_=0)),
        func.sum(case((Meeting.status == MeetingStatus.NO_SHOW, 1), else_=0)),
        func.count(distinct(case((held, Meeting.company_id)))),
        func.count(distinct(case((held, Meeting.buyer_id)))),
        func.sum(
            case((and_(held, Meeting.interpreter_id.is_not(None)), _seconds(session)), else_=0)
        ),
        held_sum(Outcome.consultation_usd_e6),
        held_sum(Outcome.consultation_krw_e4),
        held_sum(Outcome.expected_usd_e6),
        held_sum(Outcome.expected_krw_e4),
        held_deals(Outcome.onsite_usd_e6),
        held_sum(Outcome.onsite_usd_e6),
        held_sum(Outcome.onsite_krw_e4),
        held_deals(Outcome.mou_usd_e6),
        held_sum(Outcome.mou_usd_e6),
        held_sum(Outcome.mou_krw_e4),
        held_without_krw(Outcome.consultation_usd_e6, Outcome.consultation_krw_e4),
        held_without_krw(Outcome.expected_usd_e6, Outcome.expected_krw_e4),
        held_without_krw(Outcome.onsite_usd_e6, Outcome.onsite_krw_e4),
        held_without_krw(Outcome.mou_usd_e6, Outcome.mou_krw_e4),
    ]


async def _aggregate(
    *,
    session: AsyncSession,
    dimension: str,
    missions: Sequence[Mission],
) -> dict[tuple[Any, ...], Figures]:
    """Figures per key of `dimension`; only held meetings' current outcomes are summed."""
    mission_ids = [mission.id for mission in missions]
    keys = _keys(dimension, _local_day(session, missions))
    stmt = (
        select(*keys, *_aggregates(session))
        .select_from(Meeting)
        .outerjoin(
            Outcome,
            # The mission condition is implied by the meeting's; it lets the database read
            # only this report's outcomes through their mission index.
            and_(Outcome.meeting_id == Meeting.id, Outcome.mission_id.in_(mission_ids)),
        )
    )
    zone_per_mission = (
        session.get_bind().dialect.name == "postgresql"
        and len({mission.timezone for mission in missions}) > 1
    )
    stmt = _joined(stmt, dimension, mission_ids, zone_per_mission=zone_per_mission)
    stmt = stmt.group_by(*keys)
    width = len(keys)
    return {
        _normalise_key(tuple(row[:width])): _figures(row[width:])
        for row in await session.execute(stmt)
    }


def _normalise_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    # PostgreSQL gives a date for the day, SQLite its ISO text.
    return tuple(value.isoformat() if isinstance(value, date) else value for value in key)


# --- labels ----------------------------------------------------------------------------------

_EN = Locale("en")
_KO = Locale("ko")


def country_name(code: str, locale: Locale = _EN) -> str:
    return str(locale.territories.get(code, code))


CityNames = dict[tuple[str, str], str]


async def korean_city_names(*, session: AsyncSession, missions: Sequence[Mission]) -> CityNames:
    """(country, city) -> the Korean name set on a buyer or venue record of these missions."""
    mission_ids = [mission.id for mission in missions]
    names: CityNames = {}
    for model in (Venue, Buyer):  # a buyer's own name wins over a venue's
        rows = await session.execute(
            select(model.country, model.city, model.city_ko)
            .where(model.mission_id.in_(mission_ids), model.city_ko != "")
            .distinct()
        )
        for country, city, korean in rows:
            names[(country, city)] = korean
    return names


def _row(
    dimension: str, key: tuple[Any, ...], figures: Figures, cities: CityNames | None = None
) -> BreakdownRow:
    if dimension == "country":
        (code,) = key
        en, ko = country_name(code), country_name(code, _KO)
        return BreakdownRow(key=code, label=en, label_ko=ko, name=en, name_ko=ko, figures=figures)
    if dimension == "city":
        code, city = key
        korean = city_ko(city, (cities or {}).get((code, city), ""))
        return BreakdownRow(
            key=f"{code}/{city}",
            label=f"{city}, {country_name(code)}",
            label_ko=f"{country_name(code, _KO)} {korean}",
            name=city,
            name_ko=korean,
            figures=figures,
        )
    if dimension == "industry":
        (industry,) = key
        return BreakdownRow(
            key=industry, label=industry, label_ko=industry, name=industry, name_ko=industry,
            figures=figures,
        )
    if dimension == "company":
        company_id, name = key
        return BreakdownRow(
            key=str(company_id), label=name, label_ko=name, name=name, name_ko=name,
            figures=figures,
        )
    if dimension == "buyer":
        buyer_id, name, company_name, code = key
        label = f"{company_name} ({name}, {country_name(code)})"
        label_ko = f"{company_name} ({name}, {country_name(code, _KO)})"
        return BreakdownRow(
            key=str(buyer_id), label=label, label_ko=label_ko, name=company_name,
            name_ko=company_name, figures=figures,
        )
    (day,) = key  # "day"
    return BreakdownRow(
        key=str(day), label=str(day), label_ko=str(day), name=str(day), name_ko=str(day),
        figures=figures,
    )


def _sort_key(row: BreakdownRow, dimension: str) -> tuple[Any, ...]:
    if dimension == "day":
        return (row.key,)
    # Largest first, as organisers list them; the key breaks ties so the order is stable.
    return (-row.figures.consultations, -row.figures.consultation_value.usd, row.key)


# --- the report ------------------------------------------------------------------------------


async def _roomy_sorts(session: AsyncSession) -> None:
    """Lets PostgreSQL hash and sort 100,000 meetings in memory (4 MB spills to disk)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL work_mem = '32MB'"))


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
    return totals.get((), _figures(EMPTY))


async def breakdown(
    *, session: AsyncSession, missions: Sequence[Mission], dimension: str
) -> list[BreakdownRow]:
    if dimension not in BREAKDOWNS:
        raise InvalidRequest(f"no breakdown {dimension!r}; one of {', '.join(BREAKDOWNS)}")
    totals = await _aggregate(session=session, dimension=dimension, missions=missions)
    cities = (
        await korean_city_names(session=session, missions=missions) if dimension == "city" else {}
    )
    rows = [_row(dimension, key, figures, cities) for key, figures in totals.items()]
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
    count, usd, krw, no_krw = (
        await session.execute(
            select(
                func.count(),
                func.sum(FollowUp.contract_usd_e6),
                func.sum(FollowUp.contract_krw_e4),
                func.count(case((FollowUp.contract_krw_e4.is_(None), 1))),
            )
            .join(Meeting, Meeting.id == FollowUp.meeting_id)
            .where(signed)
        )
    ).one()
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
        assert follow_up.contract_currency and follow_up.contract_signed_on
        assert follow_up.contract_minor is not None
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
                value=_amount(
                    follow_up.contract_usd_e6,
                    follow_up.contract_krw_e4,
                    follow_up.contract_krw_e4 is None,
                ),
            )
        )
    return SignedLater(count=int(count), value=_amount(usd, krw, no_krw), contracts=contracts)


_TOTALS = (
    ("consultation_value", Outcome.consultation_usd_e6, Outcome.consultation_krw_e4),
    ("expected_contract_value", Outcome.expected_usd_e6, Outcome.expected_krw_e4),
    ("onsite_contracts", Outcome.onsite_usd_e6, Outcome.onsite_krw_e4),
    ("mous", Outcome.mou_usd_e6, Outcome.mou_krw_e4),
)


async def missing_krw_rates(
    *, session: AsyncSession, missions: Sequence[Mission], as_of: date
) -> list[MissingRate]:
    """The days whose counted amounts have no KRW value yet, and which totals that leaves
    without a KRW figure: held meetings' outcomes by local day, later contracts by signing day."""
    mission_ids = [mission.id for mission in missions]
    day = _local_day(session, missions)
    zone_per_mission = (
        session.get_bind().dialect.name == "postgresql"
        and len({mission.timezone for mission in missions}) > 1
    )
    lacking = [
        func.count(case((and_(usd.is_not(None), krw.is_(None)), 1))) for _, usd, krw in _TOTALS
    ]
    stmt = (
        select(day.label("day"), func.count(), *lacking)
        .select_from(Meeting)
        .join(Outcome, Outcome.meeting_id == Meeting.id)
        .where(
            Meeting.mission_id.in_(mission_ids),
            Meeting.status == MeetingStatus.COMPLETED,
            Outcome.current_version_id.is_not(None),
            Outcome.consultation_krw_e4.is_(None),
        )
        .group_by(day)
    )
    if zone_per_mission:
        stmt = stmt.join(Mission, Mission.id == Meeting.mission_id)
    found: dict[date, MissingRate] = {}
    for on, meetings, *counts in await session.execute(stmt):
        on = on if isinstance(on, date) else date.fromisoformat(str(on))
        totals = [name for (name, _, _), n in zip(_TOTALS, counts, strict=True) if n]
        found[on] = MissingRate(currency="KRW", on=on, meetings=int(meetings), totals=totals)
    later = await session.execute(
        select(FollowUp.contract_signed_on, func.count())
        .join(Meeting, Meeting.id == FollowUp.meeting_id)
        .where(
            Meeting.mission_id.in_(mission_ids),
            FollowUp.stage == FollowUpStage.CONTRACT_SIGNED,
            FollowUp.contract_signed_on <= as_of,
            FollowUp.contract_krw_e4.is_(None),
        )
        .group_by(FollowUp.contract_signed_on)
    )
    for on, contracts in later:
        entry = found.setdefault(on, MissingRate(currency="KRW", on=on, meetings=0, totals=[]))
        entry.meetings += int(contracts)
        entry.totals.append("signed_later")
    return [found[on] for on in sorted(found)]


async def build_report(
    *, session: AsyncSession, mission_ids: Sequence[int], as_of: date, organiser: str = ""
) -> Report:
    """Summary, every breakdown, contracts signed later and the press paragraphs."""
    missions = await load_missions(session=session, mission_ids=mission_ids)
    await _roomy_sorts(session)
    summary = await summary_figures(session=session, missions=missions)
    breakdowns = {
        dimension: await breakdown(session=session, missions=missions, dimension=dimension)
        for dimension in BREAKDOWNS
    }
    later = await signed_later(session=session, missions=missions, as_of=as_of)
    onsite_krw, later_krw = summary.onsite_contracts.value.krw, later.value.krw
    contracts_total = Deals(
        count=summary.onsite_contracts.count + later.count,
        value=Amount(
            usd=summary.onsite_contracts.value.usd + later.value.usd,
            krw=None if onsite_krw is None or later_krw is None else onsite_krw + later_krw,
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
        press_release=PressRelease(en="", ko=""),
        missing_rates=await missing_krw_rates(session=session, missions=missions, as_of=as_of),
    )
    report.press_release = press_release(report, organiser=organiser)
    return report


async def compare(*, session: AsyncSession, mission_ids: Sequence[int]) -> Comparison:
    """Missions side by side, oldest first, each with its change from the one before."""
    missions = await load_missions(session=session, mission_ids=mission_ids)
    await _roomy_sorts(session)
    totals = await _aggregate(session=session, dimension="mission", missions=missions)
    rows: list[ComparisonRow] = []
    previous: Figures | None = None
    for mission in missions:
        figures = totals.get((mission.id,), _figures(EMPTY))
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
