"""A finished past mission for the demo: Namdong-gu's 2024 CIS trade mission, re-entered.

`make run` creates it once (idempotent) next to the live demo mission, so the results page,
its charts, the exports and the press paragraph show something real on first start. Its
meetings and outcomes go in the way an organiser re-enters a mission held elsewhere: as one
spreadsheet through the meetings import (app/imports/), in KZT, RUB and USD, with
corrections and no-shows. The figures are the ones the district published (domain.md):
205 consultations worth US$32.34 million; Almaty 128 (US$18.41 million), 6 on-site
contracts (US$1.06 million), 10 MOUs (US$15.75 million, one of US$5.25 million for three
theatres); Moscow 77 (US$13.93 million), of which US$12.55 million expected to become
contracts; 9 no-shows.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.demo import ORGANISATION
from app.imports import apply
from app.imports.columns import HEADINGS
from app.meetings.models import Meeting
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.money.models import ExchangeRate
from app.organisations.models import Organisation
from app.outcomes.actors import Actor, Role
from app.participants.models import Buyer, Company, Interpreter

logger = logging.getLogger(__name__)

MISSION = "2024 CIS trade mission (Almaty, Moscow)"
TIMEZONE = "Asia/Almaty"
ALMATY_DAYS = (date(2024, 6, 10), date(2024, 6, 11))
MOSCOW_DAYS = (date(2024, 6, 13), date(2024, 6, 14))
RATES = {"KZT": Decimal(450), "RUB": Decimal(90), "KRW": Decimal(1380)}
RATE_DATE = date(2024, 6, 3)
ACTOR = Actor(name="Namdong-gu Office (demo)", role=Role.ORGANISER, audit="system:demo")

COMPANIES = (
    ("Haeum Cosmetics", "cosmetics"), ("Sobit Beauty Lab", "cosmetics"),
    ("Cheongna Skin Science", "cosmetics"), ("Gaon Nail Devices", "cosmetics"),
    ("Ara Hair Care", "cosmetics"),
    ("Namdong Precision Motors", "machinery"), ("Daeyang Fan Tech", "machinery"),
    ("Hanil Hydraulics", "machinery"), ("Seohae Pumps", "machinery"),
    ("Arirang Seating", "theatre seating"), ("Incheon Packaging Machines", "machinery"),
    ("Guwol Welding Systems", "machinery"),
    ("Soundwave AV", "electronics"), ("Nuri Networks", "electronics"),
    ("Bitgoeul Lighting", "electronics"), ("Clearflow Filters", "electronics"),
    ("Shield Soft", "electronics"), ("Namdong Sensors", "electronics"),
)  # fmt: skip
ALMATY_BUYERS = 40
MOSCOW_BUYERS = 25
NO_SHOWS = 9  # in Moscow

# The deals as published: Almaty's six on-site contracts and ten MOUs (USD).
CONTRACTS = (320_000, 250_000, 180_000, 150_000, 100_000, 60_000)
MOUS = (5_250_000, 2_100_000, 1_800_000, 1_500_000, 1_200_000, 1_000_000, 900_000, 800_000,
        700_000, 500_000)  # fmt: skip
TOTALS = {"almaty": 18_410_000, "moscow": 13_930_000, "moscow_expected": 12_550_000}


@dataclass(frozen=True)
class Finished:
    mission: Mission
    created: bool


def _split(total: int, parts: int, rng: random.Random, step: int = 1_000) -> list[int]:
    """`parts` amounts in whole `step`s, varied, adding up to exactly `total`."""
    weights = [rng.uniform(0.3, 3.0) for _ in range(parts)]
    scale = total / sum(weights)
    amounts = [max(step, round(w * scale / step) * step) for w in weights]
    amounts[amounts.index(max(amounts))] += total - sum(amounts)
    return amounts


def rows() -> list[dict[str, Any]]:
    """The mission's spreadsheet, one dict per row (a heading -> cell), as re-entered."""
    rng = random.Random(2024)
    almaty = [f"Almaty buyer {n}" for n in range(1, ALMATY_BUYERS + 1)]
    moscow = [f"Moscow buyer {n}" for n in range(1, MOSCOW_BUYERS + 1)]
    meetings: list[dict[str, Any]] = []

    def plan(days: tuple[date, ...], buyers: list[str], count: int, city: str) -> None:
        slot = 0
        while sum(1 for m in meetings if m["city"] == city) < count:
            day = days[slot % len(days)]  # alternate days, filling each from 10:00
            minutes = 10 * 60 + 40 * (slot // len(days))
            for c, (company, _) in enumerate(COMPANIES):
                if sum(1 for m in meetings if m["city"] == city) >= count:
                    break
                buyer = buyers[(c + slot * 5) % len(buyers)]
                meetings.append({"city": city, "company": company, "buyer": buyer, "day": day,
                                 "start": f"{minutes // 60:02d}:{minutes % 60:02d}"})
            slot += 1

    plan(ALMATY_DAYS, almaty, 128, "Almaty")
    plan(MOSCOW_DAYS, moscow, 77 + NO_SHOWS, "Moscow")
    in_almaty = [m for m in meetings if m["city"] == "Almaty"]
    in_moscow = [m for m in meetings if m["city"] == "Moscow"]
    for meeting, usd in zip(in_almaty, _split(TOTALS["almaty"], len(in_almaty), rng),
                            strict=True):
        meeting["usd"] = usd
    absent = set(rng.sample(range(len(in_moscow)), NO_SHOWS))
    held_moscow = [m for i, m in enumerate(in_moscow) if i not in absent]
    for i, meeting in enumerate(in_moscow):
        meeting["no_show"] = i in absent
    for meeting, usd, expected in zip(
        held_moscow,
        _split(TOTALS["moscow"], len(held_moscow), rng),
        _split(TOTALS["moscow_expected"], len(held_moscow), rng),
        strict=True,
    ):
        meeting["usd"], meeting["expected"] = usd, min(usd, expected)
    # Expected values above a meeting's consultation value are moved to the largest ones.
    short = TOTALS["moscow_expected"] - sum(m["expected"] for m in held_moscow)
    for meeting in sorted(held_moscow, key=lambda m: -m["usd"]):
        room = meeting["usd"] - meeting["expected"]
        meeting["expected"] += min(room, short)
        short -= min(room, short)
    theatre = next(m for m in in_almaty if m["company"] == "Arirang Seating")
    theatre["mou"] = MOUS[0]
    others = [m for m in in_almaty if m is not theatre]
    for meeting, amount in zip(rng.sample(others, len(MOUS) - 1), MOUS[1:], strict=True):
        meeting["mou"] = amount
    for meeting, amount in zip(rng.sample(others, len(CONTRACTS)), CONTRACTS, strict=True):
        meeting["contract"] = amount

    table: list[dict[str, Any]] = []
    for number, meeting in enumerate(meetings, start=1):
        # Almaty in tenge and Moscow in roubles, every fourth meeting in US dollars.
        currency = "USD" if number % 4 == 0 else "KZT" if meeting["city"] == "Almaty" else "RUB"
        rate = RATES.get(currency, Decimal(1))
        row: dict[str, Any] = {
            "key": f"CIS24-{number:03d}", "company": meeting["company"],
            "buyer": meeting["buyer"], "date": meeting["day"], "start": meeting["start"],
            "status": "불참" if meeting.get("no_show") else "완료",
        }  # fmt: skip
        if not meeting.get("no_show"):
            row |= {
                "currency": currency,
                "consultation_value": Decimal(meeting["usd"]) * rate,
                "expected_contract_value": Decimal(meeting.get("expected", 0)) * rate,
                "onsite_contract_amount": Decimal(meeting["contract"]) * rate
                if "contract" in meeting else None,
                "mou_amount": Decimal(meeting["mou"]) * rate if "mou" in meeting else None,
                "notes": "3개 극장(각 300석) 좌석 공급 공동 MOU" if meeting is theatre else "",
            }  # fmt: skip
        table.append(row)
    # Six values corrected after the day: first typed wrong, then corrected (a new version).
    for row in rng.sample([r for r in table if "currency" in r], 6):
        typo = dict(row)
        typo["consultation_value"] = row["consultation_value"] * 10  # one zero too many
        first = table.index(row)
        table[first] = typo
        table.append({"key": row["key"], **{k: row[k] for k in row if k not in (
            "key", "company", "buyer", "date", "start", "status")}, "reason": "상담액 오기 정정"})
    return table


FIELDS = ("key", "company", "buyer", "date", "start", "status", "currency", "consultation_value",
          "expected_contract_value", "onsite_contract_amount", "mou_amount", "notes", "reason")


def cells() -> list[list[Any]]:
    """The spreadsheet as the importer reads it: a heading row, then the rows."""
    table = rows()
    heading = [HEADINGS[name][0] for name in FIELDS]
    return [heading, *[[_cell(row.get(name)) for name in FIELDS] for row in table]]


def _cell(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


async def _find(session: AsyncSession) -> Mission | None:
    return await session.scalar(
        select(Mission)
        .join(Organisation, Organisation.id == Mission.organisation_id)
        .where(Organisation.name == ORGANISATION, Mission.name == MISSION)
    )


async def _build(session: AsyncSession) -> Mission:
    organisation = await session.scalar(
        select(Organisation).where(Organisation.name == ORGANISATION)
    )
    if organisation is None:
        organisation = Organisation(
            name=ORGANISATION, kind="district_office", country="KR", city="Incheon"
        )
        session.add(organisation)
        await session.flush()
    mission = Mission(
        organisation_id=organisation.id,
        name=MISSION,
        description=(
            "Namdong-gu's CIS trade mission: 18 district companies (5 beauty, 13 machinery "
            "and electronics) met buyers at a hotel in Almaty and in Moscow, with Korean-Russian "
            "interpreters. Held off the platform and re-entered from the office's spreadsheet."
        ),
        target_countries=["KZ", "RU"],
        target_cities=["Almaty", "Moscow"],
        start_date=ALMATY_DAYS[0],
        end_date=MOSCOW_DAYS[-1],
        timezone=TIMEZONE,
        currency="USD",
        slot_minutes=40,
        status=MissionStatus.SCHEDULED,
    )
    session.add(mission)
    await session.flush()
    session.add_all([
        Venue(mission_id=mission.id, name="Almaty hotel business centre",
              kind=VenueKind.BUSINESS_CENTRE, city="Almaty", city_ko="알마티", country="KZ",
              timezone="Asia/Almaty", capacity=18),
        Venue(mission_id=mission.id, name="Moscow hotel business centre",
              kind=VenueKind.BUSINESS_CENTRE, city="Moscow", city_ko="모스크바", country="RU",
              timezone="Europe/Moscow", capacity=18),
        *[Company(mission_id=mission.id, name=name, industry=industry, products=[],
                  languages=["ko"]) for name, industry in COMPANIES],
        *[Buyer(mission_id=mission.id, name=f"Almaty buyer {n}",
                company_name=f"Almaty Trading {n} LLP", country="KZ", city="Almaty",
                languages=["ru"]) for n in range(1, ALMATY_BUYERS + 1)],
        *[Buyer(mission_id=mission.id, name=f"Moscow buyer {n}",
                company_name=f"Moscow Import {n} LLC", country="RU", city="Moscow",
                languages=["ru"]) for n in range(1, MOSCOW_BUYERS + 1)],
        *[Interpreter(mission_id=mission.id, name=name, language_pairs=["ko-ru"])
          for name in ("Kim Alina", "Park Sergei", "Lee Dana", "Choi Irina")],
        *[ExchangeRate(mission_id=mission.id, currency=currency, rate_date=RATE_DATE,
                       units_per_usd=rate, entered_by=ACTOR.name)
          for currency, rate in RATES.items()],
    ])  # fmt: skip
    await session.flush()
    return mission


async def ensure_finished_mission(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime | None = None
) -> Finished:
    """The finished mission, created and imported the first time, found after that."""
    async with sessionmaker() as session:
        found = await _find(session)
        if found is not None and await _has_meetings(session, found):
            return Finished(found, created=False)
    async with sessionmaker() as session:
        # A writing session: on SQLite a racing first run waits here for the write lock
        # (BEGIN IMMEDIATE, app/database.py), then finds the mission.
        mission = await _find(session)
        try:
            if mission is None:
                mission = await _build(session)
            await session.commit()
        except IntegrityError:  # PostgreSQL: the racing first run committed first
            await session.rollback()
            mission = await _find(session)
            if mission is None:
                raise
        if await _has_meetings(session, mission):
            await session.commit()
            return Finished(mission, created=False)
        await session.commit()
        applied = await apply.confirm(
            session=session,
            mission_id=mission.id,
            cells=cells(),
            actor=ACTOR,
            now=now or clock.now(),
            source="2024 CIS 수출개척단 상담일지.xlsx (demo)",
        )
        mission = await session.get_one(Mission, mission.id)
        mission.status = MissionStatus.CLOSED
        await session.commit()
    # Two first starts racing both get here; the import is idempotent, so the second one
    # finds everything written and writes nothing.
    created = applied.plan.changes_anything
    if created:
        logger.info("finished demo mission %s: %s", mission.id, applied.plan.counts())
    return Finished(mission, created=created)


async def _has_meetings(session: AsyncSession, mission: Mission) -> bool:
    count = await session.scalar(
        select(func.count()).select_from(Meeting).where(Meeting.mission_id == mission.id)
    )
    return bool(count)

