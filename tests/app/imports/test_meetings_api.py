"""The meetings import through the API, on SQLite and PostgreSQL: every bad row and field
named, nothing written until a clean confirm, idempotent re-import, a version per change."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import httpx
import openpyxl
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.imports.models import MeetingKey
from app.meetings.models import AttendanceMark, MarkSource, Meeting, MeetingStatus
from app.outcomes.models import OutcomeVersion
from tests import factories
from tests.app.imports.helpers import mission_for, problems, send, send_rows
from tests.app.imports.missionfile import (
    MissionFile,
    cis_mission,
    expected_figures,
    to_csv,
    to_xlsx,
)
from tests.app.outcomes.helpers import outcome, put_rates


def small(**options: Any) -> MissionFile:
    settings = {"meetings": 30, "companies": 6, "buyers": 9, "no_shows": 3, "corrections": 3}
    return cis_mission(**(settings | options))


async def _count(session: AsyncSession, model: Any, mission_id: int) -> int:
    column = OutcomeVersion.meeting_id if model is OutcomeVersion else model.mission_id
    statement = select(func.count()).select_from(model)
    if model is OutcomeVersion:
        statement = statement.join(Meeting, Meeting.id == column).where(
            Meeting.mission_id == mission_id
        )
    else:
        statement = statement.where(column == mission_id)
    return int((await session.execute(statement)).scalar_one())


async def _state(session: AsyncSession, mission_id: int) -> tuple[int, int, int, int]:
    """(meetings, keys, outcome versions, audit events) of the mission."""
    return (
        await _count(session, Meeting, mission_id),
        await _count(session, MeetingKey, mission_id),
        await _count(session, OutcomeVersion, mission_id),
        await _count(session, AuditEvent, mission_id),
    )


async def _summary(client: httpx.AsyncClient, mission_id: int) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/missions/{mission_id}/report", params={"as_of": "2024-12-31"}
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["summary"])


def _published(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("meetings", "consultations", "no_shows", "consultation_value",
            "expected_contract_value", "onsite_contracts", "mous")  # fmt: skip
    return {key: summary[key] for key in keys}


async def test_a_mission_imports_once_and_a_second_import_changes_nothing(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small()
    mission = await mission_for(
        session, client, file, rates=[*small().rates, ("KRW", "2024-06-01", "1380")]
    )
    mission_id = mission.id
    before = await _state(session, mission_id)
    preview = await send(client, mission_id, to_xlsx(file.rows), preview=True)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["ok"], body["applied"], body["problems"]) == (True, False, [])
    assert body["counts"]["meetings_created"] == 30
    assert body["counts"]["outcome_versions"] == len(file.rows) - 3  # all but the no-shows
    assert await _state(session, mission_id) == before  # a preview writes nothing

    response = await send(client, mission_id, to_xlsx(file.rows),
                          preview_digest=body["digest"])
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == body["counts"]
    assert _published(await _summary(client, mission_id)) == expected_figures(file)
    written = await _state(session, mission_id)
    assert written[:3] == (30, 30, len(file.rows) - 3)

    # The same meetings again, as CSV this time: nothing changes, nothing is written.
    again = await send(client, mission_id, to_csv(file.rows), name="meetings.csv")
    assert again.status_code == 200, again.text
    counts = again.json()["counts"]
    assert (counts["meetings_unchanged"], counts["meetings_created"]) == (30, 0)
    assert (counts["meetings_updated"], counts["outcome_versions"]) == (0, 0)
    assert await _state(session, mission_id) == written


async def test_a_changed_value_adds_one_version_and_a_moved_meeting_is_updated(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0)
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    assert (await send_rows(client, mission_id, file.rows)).status_code == 200
    rows = [dict(row) for row in file.rows]
    held = [row for row in rows if row["status"] != "불참"]
    held[0]["consultation_value"] = "123456.78"
    held[1]["start"] = "17:30"  # moved to a free slot
    held[1]["end"] = "18:00"
    response = await send_rows(client, mission_id, rows, reason="as corrected by the office")
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert (counts["meetings_updated"], counts["meetings_unchanged"]) == (1, 29)
    assert (counts["outcome_versions"], counts["outcomes_changed"]) == (1, 1)

    key = await session.scalar(select(MeetingKey).where(
        MeetingKey.mission_id == mission_id, MeetingKey.key == held[0]["key"]))  # fmt: skip
    assert key is not None
    versions = (await client.get(f"/api/v1/meetings/{key.meeting_id}/outcome/versions")).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["consultation_value"] == "123456.78"
    assert versions[1]["reason"] == "as corrected by the office"
    assert versions[1]["role"] == "organiser"
    events = (await client.get("/api/v1/audit", params={
        "entity": "outcome", "entity_id": str(key.meeting_id), "action": "outcome.update"})).json()
    assert events["total"] == 1
    assert events["items"][0]["before"]["consultation_value_minor"] != 12345678
    assert events["items"][0]["after"]["consultation_value_minor"] == 12345678


async def test_every_bad_row_and_field_is_named_and_nothing_is_written(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0, no_shows=0)
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    # A meeting already in the mission (booked on the platform), which the file does not list.
    booked_buyer = file.buyers[8]
    buyers = (await client.get(f"/api/v1/missions/{mission_id}/buyers",
                               params={"limit": 100})).json()["items"]
    buyer_id = next(b["id"] for b in buyers if b["company_name"] == booked_buyer["company_name"])
    companies = (await client.get(f"/api/v1/missions/{mission_id}/companies",
                                  params={"limit": 100})).json()["items"]
    interpreter = await client.post(f"/api/v1/missions/{mission_id}/interpreters",
                                    json={"name": "Kim Alina", "language_pairs": ["ko-ru"]})
    assert interpreter.status_code == 201, interpreter.text
    booked = await client.post(f"/api/v1/missions/{mission_id}/meetings", json={
        "company_id": companies[-1]["id"], "buyer_id": buyer_id,
        "interpreter_id": interpreter.json()["id"], "language_pair": "ko-ru",
        "starts_at": factories.seoul(file.start, 17).isoformat(),
        "ends_at": factories.seoul(file.start, 17, 30).isoformat()})  # fmt: skip
    assert booked.status_code == 201, booked.text
    before = await _state(session, mission_id)

    rows = [dict(row) for row in file.rows]
    spoil: dict[int, dict[str, Any]] = {
        0: {"company": "Nonexistent Motors"},
        1: {"buyer_company": "Nobody LLP", "buyer": "Nobody"},
        2: {"consultation_value": "12,34"},
        3: {"expected_contract_value": "-5"},
        4: {"currency": "XYZ"},
        5: {"currency": "EUR"},  # no EUR rate in the mission's table
        6: {"date": "2024-06-20"},
        7: {"date": "31/31/2024"},
        8: {"start": "25:00"},
        9: {"status": "불참"},  # a no-show with outcome values
        10: {"status": "maybe"},
        11: {"currency": "USD", "consultation_value": "100.555"},  # cents at most
        12: {"key": rows[13]["key"]},  # another meeting's key
        14: {"start": "17:00", "end": "17:30", "buyer_company": booked_buyer["company_name"],
             "buyer": booked_buyer["name"], "date": file.start.isoformat()},
        15: {"start": "17:00", "date": file.end.isoformat(), "end": "17:30"},
        16: {"start": "17:00", "date": file.end.isoformat(), "end": "17:30"},
        17: {"interest_level": "very keen"},
    }
    for index, changes in spoil.items():
        rows[index] |= changes
    # Rows 15 and 16 are the same company at the same time on the last day: they clash.
    rows[16]["company"] = rows[15]["company"]
    rows[16]["buyer_company"] = file.buyers[7]["company_name"]
    rows[16]["buyer"] = file.buyers[7]["name"]
    response = await send_rows(client, mission_id, rows, preview=True)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    line = {index: index + 2 for index in range(len(rows))}
    assert problems(body) == {
        (line[0], "company", "company_unknown"),
        (line[1], "buyer_company", "buyer_unknown"),
        (line[2], "consultation_value", "amount_invalid"),
        (line[3], "expected_contract_value", "amount_invalid"),
        (line[4], "currency", "currency_invalid"),
        (line[5], "currency", "rate_missing"),
        (line[6], "date", "outside_mission"),
        (line[7], "date", "date_invalid"),
        (line[8], "start", "time_invalid"),
        (line[9], "status", "outcome_not_held"),
        (line[10], "status", "status_invalid"),
        (line[11], "consultation_value", "amount_invalid"),
        # Row 13 has row 12's key but another company and buyer: the key's first row wins.
        (line[13], "company", "key_other_meeting"),
        (line[13], "buyer_company", "key_other_meeting"),
        (line[14], "start", "clash_meeting"),
        (line[15], "start", "clash_line"),
        (line[16], "start", "clash_line"),
        (line[17], "interest_level", "interest_invalid"),
    }
    messages = {p["line"]: p["message"] for p in body["problems"]}
    assert "Nonexistent Motors" in messages[line[0]]
    assert "EUR" in messages[line[5]] and "2024-06-1" in messages[line[5]]
    assert str(booked.json()["id"]) in messages[line[14]]
    assert f"line {line[16]}" in messages[line[15]]

    refused = await send_rows(client, mission_id, rows)
    assert refused.status_code == 422, refused.text
    assert sorted(refused.json()["bad_lines"]) == sorted({p[0] for p in problems(body)})
    assert await _state(session, mission_id) == before


async def test_a_preview_gone_stale_is_refused(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0)
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    assert (await send_rows(client, mission_id, file.rows)).status_code == 200
    changed = [dict(row) for row in file.rows]
    held = next(row for row in changed if row["status"] != "불참")
    held["consultation_value"] = "999.99"
    preview = (await send_rows(client, mission_id, changed, preview=True)).json()
    assert preview["counts"]["outcome_versions"] == 1
    # Meanwhile the company seat records a correction of that meeting's outcome.
    key = await session.scalar(select(MeetingKey).where(MeetingKey.key == held["key"],
                                                       MeetingKey.mission_id == mission_id))
    assert key is not None
    edit = await client.put(
        f"/api/v1/meetings/{key.meeting_id}/outcome",
        json=outcome(expected_version=1, currency="USD", consultation_value="5"),
    )
    assert edit.status_code == 200, edit.text
    before = await _state(session, mission_id)
    stale = await send_rows(client, mission_id, changed, preview_digest=preview["digest"])
    assert stale.status_code == 409, stale.text
    assert "preview" in stale.json()["detail"]
    assert await _state(session, mission_id) == before


async def test_a_usd_only_mission_imports_and_reports_without_any_rate(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0)
    for row in file.rows:
        if row.get("currency"):
            row["currency"] = "USD"
    mission = await mission_for(session, client, file, rates=[])
    mission_id = mission.id
    response = await send_rows(client, mission_id, file.rows)
    assert response.status_code == 200, response.text
    summary = await _summary(client, mission_id)
    figures = expected_figures(file, krw=False)
    assert summary["consultation_value"] == figures["consultation_value"]
    report = (await client.get(f"/api/v1/missions/{mission_id}/report")).json()
    assert [entry["currency"] for entry in report["missing_rates"]] == ["KRW", "KRW"]


async def test_meetings_booked_on_the_platform_take_their_outcomes_from_the_template(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    mission_id = mission.id
    await put_rates(client, mission, [("KRW", "2026-03-01", "1400")])
    scheduled = []
    for hour in (9, 10, 11):
        starts = factories.seoul(mission.start_date, hour)
        scheduled.append(await factories.meeting(
            session, mission_=mission, starts_at=starts, ends_at=starts + timedelta(minutes=30)))
    template = await client.get(f"/api/v1/missions/{mission_id}/imports/meetings/template.xlsx",
                                params={"lang": "ko"})
    assert template.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = workbook.worksheets[0]
    heading = [cell.value for cell in sheet[1]]
    assert heading[:4] == ["상담번호", "참가기업", "바이어사", "바이어"]
    assert {"이름", "안내"} <= set(workbook.sheetnames)
    assert sheet.max_row == 4
    assert sheet.cell(2, 1).value == f"TB-{scheduled[0].id}"
    assert sheet.cell(2, heading.index("상태") + 1).value == "예정"
    # The organiser fills in what happened: two held with values, one no-show.
    for row, (status, value) in zip(range(2, 5), [("완료", 5000), ("완료", 0), ("불참", None)],
                                    strict=True):
        sheet.cell(row, heading.index("상태") + 1).value = status
        sheet.cell(row, heading.index("상담액") + 1).value = value
    filled = io.BytesIO()
    workbook.save(filled)
    response = await send(client, mission_id, filled.getvalue())
    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert (counts["meetings_created"], counts["meetings_updated"]) == (0, 3)
    assert (counts["held"], counts["no_shows"], counts["outcome_versions"]) == (2, 1, 2)
    statuses = [(await session.get(Meeting, m.id, populate_existing=True)) for m in scheduled]
    assert [m.status for m in statuses if m] == [
        MeetingStatus.COMPLETED, MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW]
    # A person's mark (app/meetings/attendance.py): the automatic settling leaves them alone.
    assert all(m and m.status_marked_by and m.status_marked_by.startswith("user:")
               for m in statuses)
    marks = await session.execute(
        select(AttendanceMark.meeting_id, AttendanceMark.status, AttendanceMark.source)
        .where(AttendanceMark.meeting_id.in_([m.id for m in scheduled]))
        .order_by(AttendanceMark.meeting_id)
    )
    assert [(status, source) for _, status, source in marks] == [
        (MeetingStatus.COMPLETED, MarkSource.PERSON), (MeetingStatus.COMPLETED, MarkSource.PERSON),
        (MeetingStatus.NO_SHOW, MarkSource.PERSON)]
    summary = await _summary(client, mission_id)
    assert summary["consultation_value"] == {"usd": "5000.00", "krw": "7000000"}
    assert summary["onsite_contracts"]["count"] == 0
    # The template now carries the outcomes; importing it back changes nothing.
    again = await client.get(f"/api/v1/missions/{mission_id}/imports/meetings/template.csv")
    assert again.text.startswith("\ufeffkey,company")
    unchanged = await send(client, mission_id, again.content, name="again.csv")
    assert unchanged.json()["counts"]["meetings_unchanged"] == 3, unchanged.text


async def test_a_closed_mission_takes_changes_only_with_a_reason(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0)
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    assert (await send_rows(client, mission_id, file.rows)).status_code == 200
    closed = await client.post(f"/api/v1/missions/{mission_id}/close",
                               json={"closed_by": "Organiser Kim"})
    assert closed.status_code == 200, closed.text
    rows = [dict(row) for row in file.rows]
    index = next(i for i, row in enumerate(rows) if row["status"] != "불참")
    rows[index]["consultation_value"] = "1.00"
    refused = (await send_rows(client, mission_id, rows, preview=True)).json()
    assert problems(refused) == {(index + 2, "reason", "reason_required")}
    accepted = await send_rows(client, mission_id, rows, reason="typo in the office's sheet")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["counts"]["outcome_versions"] == 1


async def test_a_meeting_held_in_the_future_and_a_file_that_is_not_a_table(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0, start=factories.MISSION_DAY.replace(year=2099))
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    body = (await send_rows(client, mission_id, file.rows[:1], preview=True)).json()
    assert problems(body) == {(2, "status", "not_started")}
    for content, name in ((b"", "empty.csv"), (b"PK\x03\x04 not a zip", "x.xlsx"),
                          ("상담번호,비고\n1,x\n".encode(), "columns.csv")):
        response = await send(client, mission_id, content, name=name, preview=True)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["code"].startswith("import.file.")


async def test_a_file_without_keys_finds_its_meetings_by_company_buyer_and_start(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0)
    rows = [{k: v for k, v in row.items() if k != "key"} for row in file.rows]
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    first = await send_rows(client, mission_id, rows)
    assert first.status_code == 200, first.text
    assert first.json()["counts"]["meetings_created"] == 30
    # The same rows as CSV (dates as text, amounts as typed): the same meetings, unchanged.
    again = await send(client, mission_id, to_csv(rows), name="again.csv")
    assert again.json()["counts"]["meetings_unchanged"] == 30, again.text
    assert (await _state(session, mission_id))[0] == 30


async def test_times_with_their_offset_and_dates_written_day_first(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    file = small(corrections=0, no_shows=0)
    mission = await mission_for(session, client, file)
    mission_id = mission.id
    rows = [dict(row) for row in file.rows[:2]]
    # Almaty's own clock (UTC+5): 09:00 there is 13:00 in Seoul, the mission's zone.
    rows[0] |= {"date": "", "start": "2024-06-10T09:00:00+05:00",
                "end": "2024-06-10T09:40:00+05:00"}
    rows[1] |= {"date": "11.06.2024", "start": "10:30", "end": "11:00"}  # as in Russia
    response = await send_rows(client, mission_id, rows)
    assert response.status_code == 200, response.text
    meetings = (await client.get(f"/api/v1/missions/{mission_id}/meetings")).json()["items"]
    assert sorted((m["starts_at"], m["ends_at"]) for m in meetings) == [
        ("2024-06-10T04:00:00Z", "2024-06-10T04:40:00Z"),
        ("2024-06-11T01:30:00Z", "2024-06-11T02:00:00Z"),
    ]
