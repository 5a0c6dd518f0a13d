"""Async factories for rows: each adds a valid row (unique names) and commits it.

Pass any column as a keyword to override it; parents left out are created too. In the
`session` fixture a commit only releases a savepoint, so the test's rollback still removes
the rows, while a request that fails and rolls back cannot take them with it.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter

SEOUL = ZoneInfo("Asia/Seoul")
MISSION_DAY = date(2026, 3, 10)
_numbers = itertools.count(1)
R = TypeVar("R")


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    """A Seoul wall-clock time as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SEOUL).astimezone(UTC)


async def _save(session: AsyncSession, row: R) -> R:
    session.add(row)
    await session.commit()
    return row


async def organisation(session: AsyncSession, **overrides: Any) -> Organisation:
    fields: dict[str, Any] = {
        "name": f"Test District Office {next(_numbers)}",
        "kind": "district_office",
        "country": "KR",
        "city": "Incheon",
    }
    return await _save(session, Organisation(**fields | overrides))


async def mission(
    session: AsyncSession, *, organisation_: Organisation | None = None, **overrides: Any
) -> Mission:
    host = organisation_ or await organisation(session)
    fields: dict[str, Any] = {
        "organisation_id": host.id,
        "name": f"Video export consultation {next(_numbers)}",
        "target_countries": ["ID"],
        "target_cities": ["Jakarta"],
        "start_date": MISSION_DAY,
        "end_date": MISSION_DAY + timedelta(days=4),
        "timezone": "Asia/Seoul",
        "currency": "USD",
        "status": MissionStatus.SCHEDULED,
    }
    return await _save(session, Mission(**fields | overrides))


async def venue(session: AsyncSession, *, mission_: Mission, **overrides: Any) -> Venue:
    fields: dict[str, Any] = {
        "mission_id": mission_.id,
        "name": f"Booth {next(_numbers)}",
        "kind": VenueKind.BOOTH,
        "city": "Incheon",
        "country": "KR",
        "timezone": "Asia/Seoul",
    }
    return await _save(session, Venue(**fields | overrides))


async def company(session: AsyncSession, *, mission_: Mission, **overrides: Any) -> Company:
    fields: dict[str, Any] = {
        "mission_id": mission_.id,
        "name": f"Test Cosmetics Co. {next(_numbers)}",
        "industry": "cosmetics",
        "products": ["sheet masks"],
        "languages": ["ko"],
    }
    return await _save(session, Company(**fields | overrides))


async def buyer(session: AsyncSession, *, mission_: Mission, **overrides: Any) -> Buyer:
    number = next(_numbers)
    fields: dict[str, Any] = {
        "mission_id": mission_.id,
        "name": f"Buyer {number}",
        "company_name": f"PT Test Trading {number}",
        "country": "ID",
        "city": "Jakarta",
        "industries_sought": ["cosmetics"],
        "languages": ["id"],
    }
    return await _save(session, Buyer(**fields | overrides))


async def interpreter(session: AsyncSession, *, mission_: Mission, **overrides: Any) -> Interpreter:
    fields: dict[str, Any] = {
        "mission_id": mission_.id,
        "name": f"Interpreter {next(_numbers)}",
        "language_pairs": ["ko-id"],
    }
    return await _save(session, Interpreter(**fields | overrides))


async def meeting(
    session: AsyncSession,
    *,
    mission_: Mission | None = None,
    company_: Company | None = None,
    buyer_: Buyer | None = None,
    **overrides: Any,
) -> Meeting:
    """A 30-minute meeting at 09:00 Seoul on the mission's first day, written as is.

    It goes straight to the table, without the booking rules: use the API or
    `app.meetings.service.book` to test those.
    """
    owner = mission_ or await mission(session)
    starts_at = overrides.pop("starts_at", seoul(owner.start_date, 9))
    fields: dict[str, Any] = {
        "mission_id": owner.id,
        "company_id": (company_ or await company(session, mission_=owner)).id,
        "buyer_id": (buyer_ or await buyer(session, mission_=owner)).id,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=owner.slot_minutes),
        "status": MeetingStatus.SCHEDULED,
    }
    return await _save(session, Meeting(**fields | overrides))
