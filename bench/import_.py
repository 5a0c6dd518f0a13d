"""A 10,000-row meetings import timed on SQLite and PostgreSQL: read, preview, confirm, again.

The file is what an expo's organiser re-enters: 10,000 meetings of 120 companies with 400
buyers over five days, outcomes in USD, KZT, RUB and VND, 5 % no-shows and 1 % corrected by
a later row, as an XLSX workbook. Each backend gets a fresh database (SQLite: a file in a
temporary folder; PostgreSQL: a new database on 127.0.0.1:5432, dropped afterwards). Timed:
reading the workbook, the preview (reading the mission's records and checking every row,
nothing written), the confirm (checked again under lock, then written in one transaction),
and importing the same file again (nothing to write). Ends with one line of key=value pairs.

    python -m bench.import_ [--rows 10000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import app.models  # noqa: F401  (every table)
from app.database import create_engine, create_sessionmaker
from app.imports import apply
from app.imports.columns import MAX_BYTES
from app.imports.context import load_context
from app.imports.meetings import build_plan
from app.imports.tables import read_cells
from app.meetings.models import Meeting
from app.migrations import upgrade
from app.missions.models import Mission, MissionStatus
from app.money.models import ExchangeRate
from app.organisations.models import Organisation
from app.outcomes.actors import Actor, Role
from app.outcomes.models import OutcomeVersion
from app.participants.models import Buyer, Company
from app.reports.service import build_report

ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
START = date(2025, 5, 12)
DAYS = 5
COMPANIES = 120
BUYERS = 400
# (country, city, currency, units per USD)
MARKETS = [("KZ", "Almaty", "KZT", 500), ("RU", "Moscow", "RUB", 80), ("VN", "Hanoi", "VND", 25000),
           ("ID", "Jakarta", "USD", 1)]  # fmt: skip
ACTOR = Actor(name="bench", role=Role.ORGANISER, audit="system:bench")
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def workbook(rows: int, seed: int = 18) -> bytes:
    """The organiser's file: one row per meeting, corrections after them."""
    rng = random.Random(seed)
    sheet_rows: list[list[Any]] = []
    number = slot = 0
    while number < rows * 99 // 100:
        day = START + timedelta(days=slot % DAYS)
        minutes = 8 * 60 + 30 * (slot // DAYS)
        for c in range(COMPANIES):
            if number >= rows * 99 // 100:
                break
            b = (c + slot * 7) % BUYERS
            number += 1
            currency = MARKETS[b % len(MARKETS)][2]
            rate = MARKETS[b % len(MARKETS)][3]
            held = rng.random() > 0.05
            value = Decimal(rng.randint(1_000, 500_000) * rate)
            sheet_rows.append([
                f"EXPO-{number:05d}", f"Company {c + 1:03d}", f"Buyer {b + 1:03d} Trading",
                day, f"{minutes // 60:02d}:{minutes % 60:02d}",
                "held" if held else "no-show", currency if held else "",
                float(value) if held else None,
                float(value / 2) if held and rng.random() < 0.5 else None,
                float(value / 5) if held and rng.random() < 0.05 else None,
            ])  # fmt: skip
        slot += 1
    held_rows = [row for row in sheet_rows if row[5] == "held"]
    for row in rng.sample(held_rows, rows - len(sheet_rows)):
        sheet_rows.append([row[0], None, None, None, None, None, row[6],
                           float(Decimal(str(row[7])) + 1000), None, None])  # fmt: skip
    book = Workbook()
    sheet = book.active
    sheet.append(["key", "company", "buyer company", "date", "start", "status", "currency",
                  "consultation value", "expected contract value", "on-site contract"])
    for row in sheet_rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _admin(sql: str, admin_url: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
    finally:
        await engine.dispose()


async def _mission(url: str) -> int:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            organisation = Organisation(name="Bench Expo Office", kind="city", country="KR",
                                        city="Suwon")
            session.add(organisation)
            await session.flush()
            mission = Mission(organisation_id=organisation.id, name="Bench expo", start_date=START,
                              end_date=START + timedelta(days=DAYS - 1), timezone="Asia/Seoul",
                              currency="USD", slot_minutes=30, status=MissionStatus.SCHEDULED)
            session.add(mission)
            await session.flush()
            session.add_all([
                *[Company(mission_id=mission.id, name=f"Company {n:03d}", industry="machinery",
                          products=[], languages=["ko"]) for n in range(1, COMPANIES + 1)],
                *[Buyer(mission_id=mission.id, name=f"Buyer {n:03d}",
                        company_name=f"Buyer {n:03d} Trading", country=MARKETS[(n - 1) % 4][0],
                        city=MARKETS[(n - 1) % 4][1]) for n in range(1, BUYERS + 1)],
                *[ExchangeRate(mission_id=mission.id, currency=currency,
                               rate_date=START - timedelta(days=7), units_per_usd=Decimal(rate),
                               entered_by="bench")
                  for _, _, currency, rate in MARKETS if currency != "USD"],
            ])  # fmt: skip
            await session.commit()
            return mission.id
    finally:
        await engine.dispose()


async def run(url: str, content: bytes) -> dict[str, float]:
    mission_id = await _mission(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    timings: dict[str, float] = {}
    try:
        started = time.perf_counter()
        cells = read_cells("expo.xlsx", content, max_bytes=MAX_BYTES)
        timings["read_s"] = time.perf_counter() - started

        started = time.perf_counter()
        async with sessionmaker() as session:
            mission = await session.get_one(Mission, mission_id)
            plan = build_plan(cells=cells,
                              context=await load_context(session=session, mission=mission),
                              now=NOW)
        timings["preview_s"] = time.perf_counter() - started
        assert plan.ok, [p for row in plan.bad[:3] for p in row.problems]
        counts = plan.counts()

        started = time.perf_counter()
        async with sessionmaker() as session:
            applied = await apply.confirm(session=session, mission_id=mission_id, cells=cells,
                                          actor=ACTOR, now=NOW, expected_digest=plan.digest())
        timings["confirm_s"] = time.perf_counter() - started
        assert applied.plan.counts() == counts

        started = time.perf_counter()
        async with sessionmaker() as session:
            again = await apply.confirm(session=session, mission_id=mission_id, cells=cells,
                                        actor=ACTOR, now=NOW)
        timings["reimport_s"] = time.perf_counter() - started
        assert not again.plan.changes_anything

        async with sessionmaker() as session:
            meetings = await session.scalar(select(func.count()).select_from(Meeting))
            versions = await session.scalar(select(func.count()).select_from(OutcomeVersion))
            started = time.perf_counter()
            report = await build_report(session=session, mission_ids=[mission_id],
                                        as_of=START + timedelta(days=30))
            timings["report_s"] = time.perf_counter() - started
        print(
            f"  {counts['rows']} rows: {meetings} meetings ({counts['held']} held, "
            f"{counts['no_shows']} no-shows), {versions} outcome versions; report: "
            f"{report.summary.consultations} consultations, "
            f"US${report.summary.consultation_value.usd:,}"
        )
    finally:
        await engine.dispose()
    return timings


async def on_postgres(admin_url: str, content: bytes) -> dict[str, float]:
    name = f"tradebooth_bench_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"', admin_url)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        return await run(url, content)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)


async def on_sqlite(content: bytes) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        return await run(url, content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL maintenance database")
    args = parser.parse_args()
    started = time.perf_counter()
    content = workbook(args.rows)
    print(f"workbook: {args.rows} rows, {len(content) / 1e6:.2f} MB, made in "
          f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}")
    results: dict[str, dict[str, float]] = {}
    for backend in ("sqlite", "postgres"):
        if args.backend not in (backend, "both"):
            continue
        print(f"{backend}:")
        timing = asyncio.run(
            on_sqlite(content) if backend == "sqlite" else on_postgres(args.admin_url, content)
        )
        results[backend] = timing
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in timing.items()))
    pairs = [f"rows={args.rows}"] + [
        f"{backend}_{key}={value:.2f}"
        for backend, timing in results.items()
        for key, value in timing.items()
    ]
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
