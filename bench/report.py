"""Mission reports timed on PostgreSQL holding 100,000 meetings with outcomes in 50 missions."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import asyncpg
from sqlalchemy import JSON, Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

import app.models  # noqa: F401  (every table)
from app.database import Base, create_engine
from app.migrations import upgrade
from app.money.conversion import to_report_units
from app.money.currencies import minor_unit
from app.money.schemas import Conversion
from app.reports.schemas import Report
from app.reports.service import build_report

ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
MISSIONS = 50
MEETINGS = 100_000
COMPANIES_PER_MISSION = 40
BUYERS_PER_MISSION = 50
INTERPRETERS_PER_MISSION = 10
DAYS = 3
# (country, city, currency, units per USD): the markets of the domain brief
MARKETS = [
    ("VN", "Hanoi", "VND", "25400"),
    ("ID", "Jakarta", "IDR", "16250"),
    ("KZ", "Almaty", "KZT", "505.3"),
    ("RU", "Moscow", "RUB", "92.15"),
    ("AE", "Dubai", "AED", "3.6725"),
    ("JP", "Tokyo", "JPY", "151.2"),
    ("MY", "Kuala Lumpur", "MYR", "4.71"),
    ("TH", "Bangkok", "THB", "36.4"),
]
INDUSTRIES = ["cosmetics", "food", "machinery", "electronics", "software", "furniture"]
STATUSES = ["completed"] * 85 + ["no_show"] * 7 + ["cancelled"] * 5 + ["scheduled"] * 3


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(admin_url: str, sql: str) -> None:
    connection = await asyncpg.connect(_dsn(admin_url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _records(
    table: Table, rows: Iterable[dict[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows as COPY records; columns left out get the model's default (or NULL)."""
    columns = list(table.columns)
    fill: dict[str, Any] = {}
    for column in columns:
        default = column.default
        if default is None:
            fill[column.name] = None
        elif default.is_scalar:
            fill[column.name] = default.arg  # type: ignore[attr-defined]
        else:
            fill[column.name] = default.arg(None)  # type: ignore[attr-defined]
    records = []
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column.name, fill[column.name])
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(column.type, JSON):
                value = json.dumps(value)
            elif isinstance(value, Decimal):
                value = format(value.normalize(), "f")  # DecimalText columns hold text
            values.append(value)
        records.append(tuple(values))
    return [column.name for column in columns], records


async def _copy(connection: asyncpg.Connection, name: str, rows: Sequence[dict[str, Any]]) -> None:
    columns, records = _records(Base.metadata.tables[name], rows)
    await connection.copy_records_to_table(name, records=records, columns=columns)


async def fill(url: str, seed: int = 8) -> list[int]:
    """Writes the missions with COPY; returns their ids."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    missions: list[dict[str, Any]] = []
    companies: list[dict[str, Any]] = []
    buyers: list[dict[str, Any]] = []
    interpreters: list[dict[str, Any]] = []
    rates: list[dict[str, Any]] = []
    meetings: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    per_mission = MEETINGS // MISSIONS
    company_id = buyer_id = interpreter_id = rate_id = meeting_id = version_id = 0
    for m in range(1, MISSIONS + 1):
        year = 2022 + (m - 1) // 10
        start = date(year, 3, 2) + timedelta(days=7 * ((m - 1) % 10))
        markets = rng.sample(MARKETS, 2)
        missions.append(
            {
                "id": m,
                "organisation_id": 1,
                "name": f"Export mission {year}-{m:02d}",
                "target_countries": [market[0] for market in markets],
                "target_cities": [market[1] for market in markets],
                "start_date": start,
                "end_date": start + timedelta(days=DAYS - 1),
                "status": "closed",
                "created_at": now,
                "updated_at": now,
            }
        )
        first_company = company_id + 1
        for _ in range(COMPANIES_PER_MISSION):
            company_id += 1
            companies.append(
                {
                    "id": company_id,
                    "mission_id": m,
                    "name": f"Company {company_id}",
                    "industry": rng.choice(INDUSTRIES),
                    "created_at": now,
                }
            )
        first_buyer = buyer_id + 1
        buyer_market = {}
        for _ in range(BUYERS_PER_MISSION):
            buyer_id += 1
            market = rng.choice(markets)
            buyer_market[buyer_id] = market
            buyers.append(
                {
                    "id": buyer_id,
                    "mission_id": m,
                    "name": f"Buyer {buyer_id}",
                    "company_name": f"Trading {buyer_id}",
                    "country": market[0],
                    "city": market[1],
                    "created_at": now,
                }
            )
        first_interpreter = interpreter_id + 1
        for _ in range(INTERPRETERS_PER_MISSION):
            interpreter_id += 1
            interpreters.append(
                {
                    "id": interpreter_id,
                    "mission_id": m,
                    "name": f"Interp {interpreter_id}",
                    "created_at": now,
                }
            )
        day_rates: dict[tuple[str, date], Decimal] = {}
        for offset in range(DAYS):
            on = start + timedelta(days=offset)
            wobble = Decimal(1) + Decimal(rng.randint(-200, 200)) / 10_000
            for currency, base in [("KRW", "1380.50")] + [(mk[2], mk[3]) for mk in markets]:
                rate = (Decimal(base) * wobble).quantize(Decimal("0.0001"))
                day_rates[(currency, on)] = rate
                rate_id += 1
                rates.append(
                    {
                        "id": rate_id,
                        "mission_id": m,
                        "currency": currency,
                        "rate_date": on,
                        "units_per_usd": rate,
                        "entered_by": "bench",
                        "entered_at": now,
                    }
                )
        for n in range(per_mission):
            meeting_id += 1
            day = start + timedelta(days=n % DAYS)
            slot = (n // DAYS) % 18
            # 09:00 Seoul = 00:00 UTC; 30-minute slots
            starts_at = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
                minutes=30 * slot
            )
            b = rng.randint(first_buyer, buyer_id)
            meetings.append(
                {
                    "id": meeting_id,
                    "mission_id": m,
                    "company_id": rng.randint(first_company, company_id),
                    "buyer_id": b,
                    "interpreter_id": (
                        rng.randint(first_interpreter, interpreter_id)
                        if rng.random() < 0.8
                        else None
                    ),
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(minutes=30),
                    "status": rng.choice(STATUSES),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            currency = rng.choice(["USD", "KRW", buyer_market[b][2]])
            krw = day_rates[("KRW", day)]
            usd_rate = Decimal(1) if currency == "USD" else day_rates[(currency, day)]
            scale = Decimal(1) / usd_rate if currency != "USD" else Decimal(1)
            for version in (1, 2) if rng.random() < 0.1 else (1,):
                version_id += 1

                def amount(usd: int, currency: str = currency, scale: Decimal = scale) -> int:
                    # a whole number of the currency's units, in its minor units
                    return int(Decimal(usd) / scale) * int(10 ** minor_unit(currency))

                versions.append(
                    {
                        "id": version_id,
                        "meeting_id": meeting_id,
                        "version": version,
                        "currency": currency,
                        "consultation_value_minor": amount(rng.randint(1_000, 500_000)),
                        "expected_contract_value_minor": amount(rng.randint(0, 200_000)),
                        "onsite_contract_minor": (
                            amount(rng.randint(5_000, 100_000)) if rng.random() < 0.03 else None
                        ),
                        "mou_minor": (
                            amount(rng.randint(10_000, 500_000)) if rng.random() < 0.05 else None
                        ),
                        "usd_rate": usd_rate,
                        "usd_rate_date": None if currency == "USD" else day,
                        "krw_per_usd": krw,
                        "krw_rate_date": day,
                        "interest_level": "medium",
                        "recorded_by": "bench",
                        "recorded_by_role": "company_seat" if version == 1 else "organiser",
                        "recorded_at": now,
                    }
                )
            current = versions[-1]
            conversion = Conversion(
                usd_rate=usd_rate,
                usd_rate_date=None if currency == "USD" else day,
                krw_per_usd=krw,
                krw_rate_date=day,
            )
            head = {
                "meeting_id": meeting_id,
                "mission_id": m,
                "version": current["version"],
                "current_version_id": version_id,
                "updated_at": now,
            }
            # The head carries the current amounts in USD and KRW units, as the service writes.
            for prefix, column in [
                ("consultation", "consultation_value_minor"),
                ("expected", "expected_contract_value_minor"),
                ("onsite", "onsite_contract_minor"),
                ("mou", "mou_minor"),
            ]:
                minor = current[column]
                if minor is not None:
                    entered = Decimal(minor).scaleb(-minor_unit(currency))
                    usd_units, krw_units = to_report_units(entered, currency, conversion)
                    head[f"{prefix}_usd_e6"], head[f"{prefix}_krw_e4"] = usd_units, krw_units
            heads.append(head)

    connection = await asyncpg.connect(_dsn(url))
    try:
        await _copy(
            connection,
            "organisations",
            [{"id": 1, "name": "Bench District Office", "created_at": now}],
        )
        for name, rows in [
            ("missions", missions),
            ("companies", companies),
            ("buyers", buyers),
            ("interpreters", interpreters),
            ("exchange_rates", rates),
            ("meetings", meetings),
            ("outcome_versions", versions),
            ("outcomes", heads),
        ]:
            await _copy(connection, name, rows)
            if "id" in Base.metadata.tables[name].columns:
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return [mission["id"] for mission in missions]


async def _timed(engine: Any, mission_ids: list[int]) -> tuple[float, Report]:
    started = time.perf_counter()
    async with AsyncSession(engine) as session:
        report = await build_report(
            session=session, mission_ids=mission_ids, as_of=date(2026, 12, 31)
        )
    return time.perf_counter() - started, report


async def time_reports(
    url: str, mission_ids: list[int], runs: int
) -> tuple[float, Report, float, Report]:
    """(median seconds of one mission's report, one such report, seconds of all at once, it)."""
    engine = create_engine(url)
    try:
        await _timed(engine, mission_ids[:1])  # warms the pool and the server's caches
        timings = []
        for mission_id in mission_ids[:runs]:
            seconds, report = await _timed(engine, [mission_id])
            timings.append(seconds)
        every_seconds, every = await _timed(engine, mission_ids)
        return statistics.median(timings), report, every_seconds, every
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL maintenance database")
    parser.add_argument("--runs", type=int, default=10, help="missions timed (median reported)")
    args = parser.parse_args()

    name = f"tradebooth_bench_{uuid.uuid4().hex[:10]}"
    url = make_url(args.admin_url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(args.admin_url, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(url)
        started = time.perf_counter()
        mission_ids = asyncio.run(fill(url))
        print(f"filled {MEETINGS} meetings in {time.perf_counter() - started:.1f} s")
        seconds, report, every_seconds, every = asyncio.run(
            time_reports(url, mission_ids, args.runs)
        )
        print(
            f"one mission ({report.summary.meetings} of the {MEETINGS} meetings), summary and "
            f"6 breakdowns: median {seconds:.3f} s over {min(args.runs, MISSIONS)} missions; "
            f"{report.summary.consultations} consultations, "
            f"US${report.summary.consultation_value.usd}"
        )
        print(
            f"all {MISSIONS} missions in one report ({every.summary.meetings} meetings, "
            f"{sum(len(rows) for rows in every.breakdowns.values())} breakdown rows): "
            f"{every_seconds:.3f} s"
        )
        # report_s: one mission's report (the organiser's question); all_missions_report_s: one
        # report over every meeting in the database, kept beside it so neither hides the other.
        print(
            f"meetings={MEETINGS} report_s={seconds:.3f} all_missions_report_s={every_seconds:.3f}"
        )
    finally:
        asyncio.run(_admin(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
