"""Setting up a mission for an import test through the API, and sending files."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import Mission
from tests import factories
from tests.app.imports.missionfile import MissionFile, to_xlsx
from tests.app.outcomes.helpers import put_rates

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def mission_for(
    session: AsyncSession,
    client: httpx.AsyncClient,
    file: MissionFile,
    *,
    rates: list[tuple[str, str, str]] | None = None,
) -> Mission:
    """A mission over the file's days with its companies and buyers (through the API)."""
    mission = await factories.mission(
        session, start_date=file.start, end_date=file.end, timezone="Asia/Seoul",
        target_countries=["KZ", "RU"],
    )
    for company in file.companies:
        response = await client.post(f"/api/v1/missions/{mission.id}/companies", json=company)
        assert response.status_code == 201, response.text
    for buyer in file.buyers:
        response = await client.post(f"/api/v1/missions/{mission.id}/buyers", json=buyer)
        assert response.status_code == 201, response.text
    if rates := file.rates if rates is None else rates:
        await put_rates(client, mission, rates)
    return mission


async def send(
    client: httpx.AsyncClient,
    mission_id: int,
    content: bytes,
    *,
    preview: bool = False,
    name: str = "meetings.xlsx",
    **form: str,
) -> httpx.Response:
    path = f"/api/v1/missions/{mission_id}/imports/meetings" + ("/preview" if preview else "")
    kind = XLSX if name.endswith(".xlsx") else "text/csv"
    return await client.post(path, files={"file": (name, content, kind)}, data=form)


async def send_rows(
    client: httpx.AsyncClient, mission_id: int, rows: list[dict[str, Any]], **options: Any
) -> httpx.Response:
    return await send(client, mission_id, to_xlsx(rows), **options)


def problems(body: dict[str, Any]) -> set[tuple[int, str, str]]:
    """(line, field, code) of each problem an answer names."""
    return {(p["line"], p["field"], p["code"]) for p in body["problems"]}
