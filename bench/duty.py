"""The interpreters' duty log timed at expo scale: one mission, 2,700 meetings, 40 interpreters
each with a booth partner, four handovers per meeting on two channels (21,600 stretches).

    .venv/bin/python -m bench.duty [--meetings N] [--repeat R]

Prints wall and CPU seconds for the JSON log, the CSV and the XLSX (the exports run in a
worker thread in the service; here they run inline so their own cost shows).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from app.database import create_engine, create_sessionmaker
from app.interpreting.exports import to_csv, to_xlsx
from app.interpreting.models import InterpreterDuty
from app.interpreting.service import duty_log
from app.meetings.models import Meeting, MeetingStatus
from app.migrations import upgrade
from app.missions.models import Mission, MissionStatus
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter
from rooms.seats import Seat

INTERPRETERS = 40
SIDES = 100
SLOTS_PER_DAY = 18


async def _fill(url: str, meetings: int) -> int:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rng = random.Random(1)
    async with sessions() as session:
        organisation = Organisation(name="Bench district office")
        session.add(organisation)
        await session.flush()
        mission = Mission(
            organisation_id=organisation.id,
            name="Expo",
            target_countries=["ID"],
            target_cities=["Jakarta"],
            start_date=date(2026, 3, 10),
            end_date=date(2026, 3, 11),
            timezone="Asia/Seoul",
            currency="USD",
            status=MissionStatus.SCHEDULED,
        )
        session.add(mission)
        await session.flush()
        companies = [
            Company(mission_id=mission.id, name=f"Company {i}", industry="food", languages=["ko"])
            for i in range(SIDES)
        ]
        buyers = [
            Buyer(
                mission_id=mission.id,
                name=f"Buyer {i}",
                company_name=f"PT {i}",
                country="ID",
                languages=["id"],
            )
            for i in range(SIDES)
        ]
        interpreters = [
            Interpreter(mission_id=mission.id, name=f"Interpreter {i}", language_pairs=["ko-id"])
            for i in range(INTERPRETERS)
        ]
        session.add_all([*companies, *buyers, *interpreters])
        await session.flush()
        stretches = 0
        day_start = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
        for k in range(meetings):
            starts = day_start + timedelta(minutes=30 * (k % SLOTS_PER_DAY))
            first, partner = interpreters[k % INTERPRETERS], interpreters[(k + 1) % INTERPRETERS]
            meeting = Meeting(
                mission_id=mission.id,
                company_id=companies[k % SIDES].id,
                buyer_id=buyers[(k * 7) % SIDES].id,
                interpreter_id=first.id,
                partner_interpreter_id=partner.id,
                language_pair="ko-id",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                status=MeetingStatus.COMPLETED,
            )
            session.add(meeting)
            await session.flush()
            at = starts
            for turn in range(4):
                seat, who = (Seat.INTERPRETER, first) if turn % 2 == 0 else (Seat.PARTNER, partner)
                for channel in ("ko", "id"):
                    length = timedelta(minutes=7, seconds=rng.randint(0, 59))
                    session.add(
                        InterpreterDuty(
                            meeting_id=meeting.id,
                            interpreter_id=who.id,
                            seat=seat,
                            channel=channel,
                            started_at=at,
                            ended_at=at + length,
                        )
                    )
                    stretches += 1
                at += timedelta(minutes=7, seconds=30)
        await session.commit()
        mission_id = mission.id
    await engine.dispose()
    print(f"{meetings} meetings, {stretches} stretches")
    return mission_id


async def _time(url: str, mission_id: int, repeat: int) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    for _ in range(repeat):
        async with sessions() as session:
            mission = await session.get_one(Mission, mission_id)
            wall, cpu = time.perf_counter(), time.process_time()
            log = await duty_log(session=session, mission=mission)
            figures = [("json", time.perf_counter() - wall, time.process_time() - cpu)]
        for name, export in (("csv", to_csv), ("xlsx", to_xlsx)):
            wall, cpu = time.perf_counter(), time.process_time()
            export(log)
            figures.append((name, time.perf_counter() - wall, time.process_time() - cpu))
        print(
            f"{len(log.rows)} rows: "
            + ", ".join(f"{name} {w:.2f} s (CPU {c:.2f} s)" for name, w, c in figures)
        )
    await engine.dispose()
    # The last run's figures; CPU seconds beside wall ones, since the machine may be loaded.
    print(
        f"rows={len(log.rows)} "
        + " ".join(f"{name}_s={w:.3f} {name}_cpu_s={c:.3f}" for name, w, c in figures)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=2700)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'duty.db'}"
        upgrade(url)  # runs its own event loop: before ours
        mission_id = asyncio.run(_fill(url, args.meetings))
        asyncio.run(_time(url, mission_id, args.repeat))


if __name__ == "__main__":
    main()
