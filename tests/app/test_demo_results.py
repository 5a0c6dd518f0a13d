"""The demo's finished mission: the 2024 CIS mission as Namdong-gu published it, created
once (also when two first starts race), its report the published figures."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.demo_results import MISSION, ensure_finished_mission
from app.meetings.models import Meeting
from app.missions.models import Mission, MissionStatus
from app.outcomes.models import OutcomeVersion
from app.reports.service import build_report


async def _count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_finished_mission_reports_the_published_figures(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    racing = await asyncio.gather(*(ensure_finished_mission(sessions) for _ in range(2)))
    assert len({finished.mission.id for finished in racing}) == 1
    assert [finished.created for finished in racing].count(True) == 1
    again = await ensure_finished_mission(sessions)
    assert (again.created, again.mission.id) == (False, racing[0].mission.id)
    assert await _count(sessions, Mission) == 1
    assert await _count(sessions, Meeting) == 214
    assert await _count(sessions, OutcomeVersion) == 205 + 6  # six corrected values

    async with sessions() as session:
        mission = await session.get_one(Mission, again.mission.id)
        assert (mission.name, mission.status) == (MISSION, MissionStatus.CLOSED)
        assert mission.end_date < date(2025, 1, 1)
        report = await build_report(
            session=session, mission_ids=[mission.id], as_of=date(2024, 12, 31),
            organiser="인천 남동구",
        )
    s = report.summary
    assert (s.consultations, s.no_shows, s.companies) == (205, 9, 18)
    assert s.consultation_value.usd == 32_340_000
    assert (s.onsite_contracts.count, s.onsite_contracts.value.usd) == (6, 1_060_000)
    assert (s.mous.count, s.mous.value.usd) == (10, 15_750_000)
    assert s.expected_contract_value.usd == 12_550_000
    cities = {row.name: row.figures for row in report.breakdowns["city"]}
    assert (cities["Almaty"].consultations, cities["Almaty"].consultation_value.usd) == (
        128, 18_410_000)  # fmt: skip
    assert (cities["Moscow"].consultations, cities["Moscow"].consultation_value.usd) == (
        77, 13_930_000)  # fmt: skip
    assert cities["Moscow"].expected_contract_value.usd == 12_550_000
    assert "상담액 3,234만 달러(약 446억 원)" in report.press_release.ko
    assert "알마티 128건(1,841만 달러), 모스크바 77건(1,393만 달러)" in report.press_release.ko
    assert "US$32.34 million" in report.press_release.en
