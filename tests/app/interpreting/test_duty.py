"""The duty log: stretches reported through the room's store, read as JSON, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.auth.models import UserRole
from app.interpreting.models import InterpreterDuty
from app.meetings.models import Meeting
from app.missions.models import Mission
from app.rooms.service import DatabaseRoomStore
from app.settings import Settings
from rooms.seats import Seat
from tests import factories, principals
from tests.app.interpreting.stores import store_on
from tests.factories import seoul


@dataclass
class Duty:
    mission: int
    kim: int
    lee: int
    first: Meeting
    second: Meeting


@pytest.fixture
async def duty(session: AsyncSession) -> Duty:
    """Two meetings of one mission: Kim with booth partner Lee, then Kim alone; their
    stretches live as the room would report them."""
    mission = await factories.mission(session)
    company = await factories.company(session, mission_=mission, name="Haneul Foods")
    buyer = await factories.buyer(session, mission_=mission, company_name="PT Sinar")
    kim = await factories.interpreter(session, mission_=mission, name="Kim Ji-won")
    # A control character typed into a name: JSON keeps it, the exports drop it.
    lee = await factories.interpreter(session, mission_=mission, name="Lee\x07 Seo-yeon")
    first = await factories.meeting(
        session,
        mission_=mission,
        company_=company,
        buyer_=buyer,
        interpreter_id=kim.id,
        partner_interpreter_id=lee.id,
        starts_at=seoul(factories.MISSION_DAY, 9),
    )
    second = await factories.meeting(
        session,
        mission_=mission,
        company_=company,
        buyer_=buyer,
        interpreter_id=kim.id,
        starts_at=seoul(factories.MISSION_DAY, 10),
    )
    store = store_on(session)

    async def live(meeting: Meeting, seat: Seat, channel: str, start: float, end: float) -> None:
        await store.interpreter_duty(
            meeting_id=meeting.id,
            seat=seat,
            channel=channel,
            started_at=meeting.starts_at + timedelta(seconds=start),
            ended_at=meeting.starts_at + timedelta(seconds=end),
        )

    # Consecutive: Kim is live on both channels of the pair, then hands ko over to Lee.
    await live(first, Seat.INTERPRETER, "ko", 0, 600)
    await live(first, Seat.INTERPRETER, "ko", 0, 600)  # reported twice: one stretch
    await live(first, Seat.INTERPRETER, "id", 0, 600)
    await live(first, Seat.PARTNER, "ko", 600, 1230)
    await live(first, Seat.INTERPRETER, "ko", 1230, 1500)
    await live(first, Seat.INTERPRETER, "ko", 1440, 1560)  # overlaps the last by a minute
    await live(first, Seat.INTERPRETER, "ko", 1600, 1600)  # empty: ignored
    await live(first, Seat.ORGANISER, "ko", 0, 60)  # not an interpreter seat: ignored
    await live(second, Seat.PARTNER, "ko", 0, 60)  # nobody in the seat: ignored
    await live(second, Seat.INTERPRETER, "ko", 0, 195)
    return Duty(mission.id, kim.id, lee.id, first, second)


def expected_rows(duty: Duty) -> list[tuple[int, int, str, int, float]]:
    """(interpreter, meeting, channel, stretches, minutes), in the log's order."""
    return [
        (duty.kim, duty.first.id, "id", 1, 10.0),
        (duty.kim, duty.first.id, "ko", 3, 15.5),  # 600 + 270 + 60 s
        (duty.kim, duty.second.id, "ko", 1, 3.2),  # 3.25 rounds to even
        (duty.lee, duty.first.id, "ko", 1, 10.5),
    ]


# Kim: 930 s in the first meeting (ko and id at once count once) + 195 s = 18.75 min.
EXPECTED_TOTALS = {"kim": (2, 18.8), "lee": (1, 10.5)}
EXPECTED_ALL = 29.2  # 1755 s = 29.25 min


async def test_json_log_per_interpreter_meeting_and_channel(
    client: httpx.AsyncClient, duty: Duty, session: AsyncSession
) -> None:
    response = await client.get(f"/api/v1/missions/{duty.mission}/interpreter-duty")
    assert response.status_code == 200, response.text
    log = response.json()
    assert [
        (r["interpreter_id"], r["meeting_id"], r["channel"], r["stretches"], r["minutes"])
        for r in log["rows"]
    ] == expected_rows(duty)
    assert log["rows"][1]["seconds"] == 930.0
    assert log["rows"][1]["company"] == "Haneul Foods"
    assert log["rows"][1]["buyer"] == "PT Sinar"
    assert log["rows"][3]["interpreter"] == "Lee\x07 Seo-yeon"
    assert [(t["interpreter_id"], t["meetings"], t["minutes"]) for t in log["totals"]] == [
        (duty.kim, *EXPECTED_TOTALS["kim"]),
        (duty.lee, *EXPECTED_TOTALS["lee"]),
    ]
    assert log["totals"][0]["seconds"] == 1125.0
    assert log["total_minutes"] == EXPECTED_ALL
    stored = await session.scalar(select(func.count()).select_from(InterpreterDuty))
    assert stored == 6  # not the duplicate, the empty one, the organiser's, the empty seat's


async def test_csv_export(client: httpx.AsyncClient, duty: Duty) -> None:
    response = await client.get(f"/api/v1/missions/{duty.mission}/interpreter-duty.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        f"mission-{duty.mission}-interpreter-duty.csv" in (response.headers["content-disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    duty_rows = [r for r in rows if r["row"] == "duty"]
    assert [
        (
            int(r["interpreter_id"]),
            int(r["meeting_id"]),
            r["channel"],
            int(r["stretches"]),
            float(r["minutes"]),
        )
        for r in duty_rows
    ] == expected_rows(duty)
    assert [r["minutes"] for r in duty_rows] == ["10.0", "15.5", "3.2", "10.5"]
    assert duty_rows[3]["interpreter"] == "Lee Seo-yeon"
    assert duty_rows[0]["meeting_starts_at_utc"] == duty.first.starts_at.isoformat()
    totals = [(r["interpreter"], r["minutes"]) for r in rows if r["row"] == "total"]
    assert totals == [
        ("Kim Ji-won", "18.8"),
        ("Lee Seo-yeon", "10.5"),
        ("all interpreters", "29.2"),
    ]


async def test_xlsx_export(client: httpx.AsyncClient, duty: Duty) -> None:
    response = await client.get(f"/api/v1/missions/{duty.mission}/interpreter-duty.xlsx")
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Duty", "Totals"]
    sheet = workbook["Duty"]
    header = [cell.value for cell in sheet[1]]
    assert header[-1] == "minutes"
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[0], r[2], r[6], r[7], float(r[8])) for r in values] == expected_rows(duty)
    assert values[3][1] == "Lee Seo-yeon"
    assert values[0][3] == duty.first.starts_at.replace(tzinfo=None)
    assert sheet.cell(row=2, column=9).number_format == "#,##0.0"
    totals = [[cell.value for cell in row] for row in workbook["Totals"].iter_rows(min_row=2)]
    assert [(r[1], r[2], float(r[3])) for r in totals] == [
        ("Kim Ji-won", 2, 18.8),
        ("Lee Seo-yeon", 1, 10.5),
        ("all interpreters", None, 29.2),
    ]


async def test_minutes_stay_with_who_worked_them(
    client: httpx.AsyncClient, duty: Duty, session: AsyncSession
) -> None:
    """Changing the meeting's partner afterwards does not move the minutes Lee worked."""
    other = await factories.interpreter(
        session, mission_=await session.get_one(Mission, duty.mission)
    )
    duty.first.partner_interpreter_id = other.id
    await session.flush()
    log = (await client.get(f"/api/v1/missions/{duty.mission}/interpreter-duty")).json()
    assert {t["interpreter_id"] for t in log["totals"]} == {duty.kim, duty.lee}


async def test_an_empty_log_and_missions_not_shown(
    client: httpx.AsyncClient,
    anonymous_client: httpx.AsyncClient,
    duty: Duty,
    session: AsyncSession,
    settings: Settings,
) -> None:
    quiet = await factories.mission(session)
    empty = await client.get(f"/api/v1/missions/{quiet.id}/interpreter-duty")
    assert empty.status_code == 200, empty.text
    assert empty.json()["rows"] == empty.json()["totals"] == []
    assert empty.json()["total_minutes"] == 0.0
    csv_rows = (await client.get(f"/api/v1/missions/{quiet.id}/interpreter-duty.csv")).text
    assert csv_rows.splitlines()[1:] == ["total,,all interpreters,,,,,,,0.0"]

    # An organiser of another organisation: the mission is not theirs, so it "does not exist".
    stranger = await principals.user(
        session, role=UserRole.ORGANISER, organisation_id=quiet.organisation_id
    )
    headers = await principals.headers(session, settings, stranger)
    for suffix in ("", ".csv", ".xlsx"):
        url = f"/api/v1/missions/{{}}/interpreter-duty{suffix}"
        assert (await client.get(url.format(99999))).status_code == 404
        foreign = await anonymous_client.get(url.format(duty.mission), headers=headers)
        assert foreign.status_code == 404, foreign.text
        own = await anonymous_client.get(url.format(quiet.id), headers=headers)
        assert own.status_code == 200, own.text
        assert (await anonymous_client.get(url.format(duty.mission))).status_code == 401


async def test_the_log_is_written_in_committed_transactions(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The store as the running service uses it: each report in its own committed session."""
    async with sessions() as session:
        mission = await factories.mission(session)
        kim = await factories.interpreter(session, mission_=mission)
        meeting = await factories.meeting(session, mission_=mission, interpreter_id=kim.id)
        await session.commit()
        meeting_id, starts_at = meeting.id, meeting.starts_at
    store = DatabaseRoomStore(sessions)
    for _ in range(2):
        await store.interpreter_duty(
            meeting_id=meeting_id,
            seat=Seat.INTERPRETER,
            channel="id",
            started_at=starts_at,
            ended_at=starts_at + timedelta(minutes=7),
        )
    # Reported again with a later end (a stretch cut short, then reported whole): the later end.
    await store.interpreter_duty(
        meeting_id=meeting_id,
        seat=Seat.INTERPRETER,
        channel="id",
        started_at=starts_at,
        ended_at=starts_at + timedelta(minutes=8),
    )
    async with sessions() as session:
        rows: list[Any] = list(await session.scalars(select(InterpreterDuty)))
    assert [(r.interpreter_id, r.seat, r.channel, r.ended_at - r.started_at) for r in rows] == [
        (kim.id, Seat.INTERPRETER, "id", timedelta(minutes=8))
    ]


async def test_an_interpreter_with_logged_minutes_is_kept(
    client: httpx.AsyncClient, duty: Duty, session: AsyncSession
) -> None:
    """Lee left the meeting's partner seat after working in it: the minutes keep Lee."""
    cleared = await client.patch(
        f"/api/v1/meetings/{duty.first.id}", json={"partner_interpreter_id": None}
    )
    assert cleared.status_code == 200, cleared.text
    refused = await client.delete(f"/api/v1/interpreters/{duty.lee}")
    assert refused.status_code == 409, refused.text
    assert refused.json()["meeting_ids"] == [duty.first.id]


async def test_names_that_look_like_formulas_stay_text(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    name = '=HYPERLINK("https://example.invalid","pay")'
    interpreter = await factories.interpreter(session, mission_=mission, name=name)
    meeting = await factories.meeting(session, mission_=mission, interpreter_id=interpreter.id)
    await store_on(session).interpreter_duty(
        meeting_id=meeting.id,
        seat=Seat.INTERPRETER,
        channel="ko",
        started_at=meeting.starts_at,
        ended_at=meeting.starts_at + timedelta(minutes=1),
    )
    url = f"/api/v1/missions/{mission.id}/interpreter-duty"
    assert (await client.get(url)).json()["rows"][0]["interpreter"] == name

    rows = list(csv.DictReader(io.StringIO((await client.get(f"{url}.csv")).text)))
    assert rows[0]["interpreter"] == "'" + name
    assert rows[0]["minutes"] == "1.0"

    workbook = load_workbook(io.BytesIO((await client.get(f"{url}.xlsx")).content))
    cell = workbook["Duty"].cell(row=2, column=2)
    assert (cell.value, cell.data_type) == (name, "s")
