"""Recording outcomes through the API: versions with who and when, locking, validation, closing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, MissionStatus
from app.outcomes.models import Outcome, OutcomeVersion
from tests import factories
from tests.app.outcomes.helpers import outcome, put_rates


async def _meeting(session: AsyncSession, client: httpx.AsyncClient) -> Meeting:
    mission = await factories.mission(session)
    await put_rates(
        client, mission, [("KRW", "2026-03-01", "1400"), ("VND", "2026-03-01", "25000")]
    )
    return await factories.meeting(session, mission_=mission, status=MeetingStatus.COMPLETED)


async def _rows(session: AsyncSession) -> tuple[int, int]:
    heads = await session.scalar(select(func.count()).select_from(Outcome))
    versions = await session.scalar(select(func.count()).select_from(OutcomeVersion))
    return int(heads or 0), int(versions or 0)


async def test_editing_twice_leaves_three_versions_with_who_and_when(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await _meeting(session, client)
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    started = datetime.now(UTC)

    first = await client.post(url, json=outcome())
    assert first.status_code == 201, first.text
    assert first.json()["version"] == 1
    second = await client.put(
        url,
        json=outcome(
            expected_version=1,
            recorded_by="Park Interpreter",
            role="interpreter",
            consultation_value="120000.50",
        ),
    )
    assert second.status_code == 200, second.text
    third = await client.put(
        url,
        json=outcome(
            expected_version=2,
            recorded_by="Organiser Kim",
            role="organiser",
            currency="VND",
            consultation_value="2500000000",
            onsite_contract_amount="250000000",
        ),
    )
    assert third.status_code == 200, third.text

    versions = (await client.get(f"{url}/versions")).json()
    assert [(v["version"], v["recorded_by"], v["role"]) for v in versions] == [
        (1, "Lee Seat", "company_seat"),
        (2, "Park Interpreter", "interpreter"),
        (3, "Organiser Kim", "organiser"),
    ]
    times = [datetime.fromisoformat(v["recorded_at"]) for v in versions]
    assert times == sorted(times) and times[0] >= started.replace(microsecond=0)
    assert all(t.tzinfo is not None for t in times)
    # Earlier versions are kept as they were, not overwritten.
    assert [v["consultation_value"] for v in versions] == ["100000.00", "120000.50", "2500000000"]
    assert versions[2]["onsite_contract_amount"] == "250000000"
    assert (versions[2]["usd_rate"], versions[2]["usd_rate_date"]) == ("25000", "2026-03-01")
    assert (versions[0]["usd_rate"], versions[0]["krw_per_usd"]) == ("1", "1400")
    current = (await client.get(url)).json()
    assert current == versions[2]
    assert (await client.get(f"{url}/versions/2")).json() == versions[1]
    assert await _rows(session) == (1, 3)


async def test_a_stale_expected_version_is_409_with_the_current_version(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await _meeting(session, client)
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    assert (await client.post(url, json=outcome())).status_code == 201
    assert (await client.put(url, json=outcome(expected_version=1, notes="A"))).status_code == 200

    stale = await client.put(url, json=outcome(expected_version=1, notes="B"))
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2 and body["expected_version"] == 1
    assert body["current"]["notes"] == "A"
    again = await client.post(url, json=outcome())
    assert again.status_code == 409 and again.json()["current_version"] == 2
    assert await _rows(session) == (1, 2)


async def test_a_version_number_taken_meanwhile_is_409_not_an_overwrite(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    """The unique (meeting_id, version) guard: the claim passes, the insert cannot."""
    meeting = await _meeting(session, client)
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    assert (await client.post(url, json=outcome())).status_code == 201
    v1 = await session.scalar(select(OutcomeVersion).where(OutcomeVersion.meeting_id == meeting.id))
    assert v1 is not None
    # A row for version 2 written behind the service's back (as a racing writer would).
    intruder = OutcomeVersion(
        meeting_id=meeting.id,
        version=2,
        currency="USD",
        usd_rate=v1.usd_rate,
        krw_per_usd=v1.krw_per_usd,
        krw_rate_date=v1.krw_rate_date,
        recorded_by="intruder",
        recorded_by_role=v1.recorded_by_role,
    )
    session.add(intruder)
    await session.commit()

    response = await client.put(url, json=outcome(expected_version=1, notes="mine"))
    assert response.status_code == 409
    assert response.json()["current_version"] == 1  # the head did not move
    versions = (await client.get(f"{url}/versions")).json()
    assert [(v["version"], v["recorded_by"]) for v in versions] == [
        (1, "Lee Seat"),
        (2, "intruder"),
    ]


BAD_AMOUNTS: list[tuple[str, str]] = [
    ('{"consultation_value": "-1"}', "negative"),
    ('{"consultation_value": -1}', "negative"),
    ('{"currency": "XYZ"}', "ISO 4217"),
    ('{"currency": "usd"}', "ISO 4217"),
    ('{"consultation_value": "1e309"}', "too large"),
    ('{"consultation_value": 1e309}', "too large"),
    ('{"consultation_value": NaN}', "finite"),
    ('{"consultation_value": "NaN"}', "finite"),
    ('{"consultation_value": Infinity}', "finite"),
    ('{"expected_contract_value": 0.30000000000000004}', "at most 2 decimal"),
    ('{"mou_amount": "12.345"}', "at most 2 decimal"),
    ('{"currency": "KRW", "consultation_value": "1000.5"}', "at most 0 decimal"),
    ('{"onsite_contract_amount": "1,000"}', "not a decimal"),
    ('{"onsite_contract_amount": true}', "binary float"),
    ('{"consultation_value": "10000000000000000"}', "too large"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_AMOUNTS)
async def test_a_bad_amount_is_422_with_the_field_and_nothing_is_saved(
    session: AsyncSession, client: httpx.AsyncClient, fields: str, message: str
) -> None:
    meeting = await _meeting(session, client)
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    base = outcome()
    for name in ("consultation_value", "expected_contract_value"):
        base.pop(name)
    raw = _merge(base, fields)

    response = await client.post(url, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    field = _keys(fields)[-1]  # the amount or currency the message is about
    assert any(error["loc"][-1] == field and message in error["msg"] for error in errors), errors
    assert await _rows(session) == (0, 0)
    assert (await client.get(url)).status_code == 404

    # The same on an edit: version 1 stays the only version.
    assert (await client.post(url, json=outcome())).status_code == 201
    edit = _merge(base | {"expected_version": 1}, fields)
    response = await client.put(url, content=edit, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert await _rows(session) == (1, 1)
    assert (await client.get(url)).json()["version"] == 1


def _keys(fields: str) -> list[str]:
    import re

    return re.findall(r'"(\w+)":', fields)


def _merge(base: dict[str, Any], fields: str) -> str:
    """`base` as JSON text with raw `fields` text spliced in (JSON numbers kept as typed)."""
    import json

    rest = {k: v for k, v in base.items() if k not in _keys(fields)}
    return json.dumps(rest)[:-1] + ", " + fields[1:]


async def test_a_missing_exchange_rate_is_422_and_nothing_is_saved(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await _meeting(session, client)  # rates from 2026-03-01; the meeting is 03-10
    mission_id = meeting.mission_id  # the failed request rolls back and expires loaded rows
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    response = await client.post(url, json=outcome(currency="IDR", consultation_value="1000"))
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "currency" and body["currency"] == "IDR"
    assert "No exchange rate for IDR dated on or before 2026-03-10" in body["detail"]
    assert await _rows(session) == (0, 0)

    # A rate dated after the meeting does not apply either.
    await put_rates(client, mission_id, [("IDR", "2026-03-11", "16000")])
    assert (await client.post(url, json=outcome(currency="IDR"))).status_code == 422
    await put_rates(client, mission_id, [("IDR", "2026-03-10", "16250")])
    ok = await client.post(url, json=outcome(currency="IDR", consultation_value="1625000"))
    assert ok.status_code == 201, ok.text
    assert (ok.json()["usd_rate"], ok.json()["usd_rate_date"]) == ("16250", "2026-03-10")


async def test_after_closing_only_the_organiser_amends_and_with_a_reason(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    meeting = await _meeting(session, client)
    mission_id = meeting.mission_id
    url = f"/api/v1/meetings/{meeting.id}/outcome"
    assert (await client.post(url, json=outcome())).status_code == 201
    close = f"/api/v1/missions/{mission_id}/close"
    refused = await client.post(close, json={"closed_by": "Lee Seat", "role": "company_seat"})
    assert refused.status_code == 403
    closed = await client.post(close, json={"closed_by": "Organiser Kim"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    mission = await session.get(Mission, mission_id, populate_existing=True)
    assert mission is not None and mission.status == MissionStatus.CLOSED

    seat = await client.put(url, json=outcome(expected_version=1, notes="late change"))
    assert seat.status_code == 403
    interpreter = await client.put(
        url, json=outcome(expected_version=1, recorded_by="Park", role="interpreter")
    )
    assert interpreter.status_code == 403
    no_reason = await client.put(
        url, json=outcome(expected_version=1, recorded_by="Organiser Kim", role="organiser")
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert len((await client.get(f"{url}/versions")).json()) == 1

    amended = await client.put(
        url,
        json=outcome(
            expected_version=1,
            recorded_by="Organiser Kim",
            role="organiser",
            reason="buyer confirmed a higher figure by email",
            consultation_value="150000",
        ),
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["reason"] == "buyer confirmed a higher figure by email"
    assert (await client.get(url)).json()["version"] == 2


async def test_unknown_meeting_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/meetings/999999/outcome", json=outcome())).status_code == 404
    edit = outcome(expected_version=1)
    assert (await client.put("/api/v1/meetings/999999/outcome", json=edit)).status_code == 404
    assert (await client.get("/api/v1/meetings/999999/outcome/versions")).status_code == 404
