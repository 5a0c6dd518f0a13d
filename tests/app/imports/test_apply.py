"""Applying an import is one transaction on each backend: a failure half-way writes nothing,
and two organisers confirming the same file at once write it once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.models import AuditEvent
from app.imports import apply
from app.imports.columns import MAX_BYTES
from app.imports.context import load_context
from app.imports.exceptions import ImportChanged
from app.imports.meetings import build_plan
from app.imports.models import MeetingKey
from app.imports.tables import Cell, read_cells
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.money.models import ExchangeRate
from app.outcomes.actors import Actor, Role
from app.outcomes.models import Outcome, OutcomeVersion
from tests import factories
from tests.app.imports.missionfile import MissionFile, cis_mission, to_xlsx

NOW = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
ACTOR = Actor(name="Organiser Kim", role=Role.ORGANISER, audit="user:1 kim@namdong.example")


async def _mission(sessions: async_sessionmaker[AsyncSession], file: MissionFile) -> int:
    async with sessions() as session:
        mission = await factories.mission(
            session, start_date=file.start, end_date=file.end, target_countries=["KZ", "RU"]
        )
        for company in file.companies:
            await factories.company(session, mission_=mission, name=company["name"],
                                    industry=company["industry"])
        for buyer in file.buyers:
            await factories.buyer(session, mission_=mission, **buyer)
        for currency, day, rate in file.rates:
            session.add(ExchangeRate(mission_id=mission.id, currency=currency,
                                     rate_date=datetime.fromisoformat(day).date(),
                                     units_per_usd=Decimal(rate), entered_by="Organiser Kim"))
        await session.commit()
        return mission.id


async def _state(sessions: async_sessionmaker[AsyncSession], mission_id: int) -> dict[str, int]:
    async with sessions() as session:
        counts = {}
        for name, model, column in (
            ("meetings", Meeting, Meeting.mission_id),
            ("keys", MeetingKey, MeetingKey.mission_id),
            ("outcomes", Outcome, Outcome.mission_id),
            ("audit", AuditEvent, AuditEvent.mission_id),
        ):
            counts[name] = int(await session.scalar(
                select(func.count()).select_from(model).where(column == mission_id)) or 0)
        counts["versions"] = int(await session.scalar(
            select(func.count()).select_from(OutcomeVersion)
            .join(Meeting, Meeting.id == OutcomeVersion.meeting_id)
            .where(Meeting.mission_id == mission_id)) or 0)  # fmt: skip
        return counts


def _cells(file: MissionFile) -> list[list[Cell]]:
    return read_cells("meetings.xlsx", to_xlsx(file.rows), max_bytes=MAX_BYTES)


async def _confirm(
    sessions: async_sessionmaker[AsyncSession], mission_id: int, cells: list[list[Cell]],
    **options: Any,
) -> apply.Applied:
    async with sessions() as session:
        return await apply.confirm(
            session=session, mission_id=mission_id, cells=cells, actor=ACTOR, now=NOW, **options
        )


async def test_a_failure_half_way_through_writes_nothing(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = cis_mission(meetings=40, companies=8, buyers=12, no_shows=4, corrections=3)
    mission_id = await _mission(sessions, file)
    empty = await _state(sessions, mission_id)
    written_before_failure: list[int] = []
    real = apply._write_outcomes

    async def disk_full(session: AsyncSession, *args: Any) -> None:
        # The meetings and their keys are in the transaction when the outcomes fail.
        written_before_failure.append(int(await session.scalar(
            select(func.count()).select_from(Meeting).where(Meeting.mission_id == mission_id)
        ) or 0))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(apply, "_write_outcomes", disk_full)
    with pytest.raises(OSError):
        await _confirm(sessions, mission_id, _cells(file))
    assert written_before_failure == [40]
    assert await _state(sessions, mission_id) == empty

    monkeypatch.setattr(apply, "_write_outcomes", real)
    applied = await _confirm(sessions, mission_id, _cells(file))
    state = await _state(sessions, mission_id)
    assert (state["meetings"], state["keys"], state["outcomes"]) == (40, 40, 36)
    assert state["versions"] == applied.plan.counts()["outcome_versions"] == len(file.rows) - 4
    async with sessions() as session:
        mission = await session.get_one(Mission, mission_id)
        context = await load_context(session=session, mission=mission)
    again = build_plan(cells=_cells(file), context=context, now=NOW)
    assert not again.changes_anything


async def test_two_confirms_of_one_preview_at_once_write_it_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    file = cis_mission(meetings=40, companies=8, buyers=12, no_shows=4, corrections=3)
    mission_id = await _mission(sessions, file)
    async with sessions() as session:
        mission = await session.get_one(Mission, mission_id)
        preview = build_plan(cells=_cells(file),
                             context=await load_context(session=session, mission=mission),
                             now=NOW)
    digest = preview.digest()
    results = await asyncio.gather(
        _confirm(sessions, mission_id, _cells(file), expected_digest=digest),
        _confirm(sessions, mission_id, _cells(file), expected_digest=digest),
        return_exceptions=True,
    )
    applied = [r for r in results if isinstance(r, apply.Applied)]
    stale = [r for r in results if isinstance(r, ImportChanged)]
    assert (len(applied), len(stale)) == (1, 1), results
    state = await _state(sessions, mission_id)
    assert (state["meetings"], state["keys"], state["versions"]) == (40, 40, len(file.rows) - 4)

    # Without a preview to hold to, a second organiser's confirm finds it all done.
    results = await asyncio.gather(
        *(_confirm(sessions, mission_id, _cells(file)) for _ in range(2))
    )
    assert all(not r.plan.changes_anything for r in results)
    assert await _state(sessions, mission_id) == state
