"""Assigning interpreters: languages that link the two sides, availability, the scheduler's view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.models import Meeting
from app.missions.models import Mission
from app.scheduling.loader import _busy
from app.scheduling.models import PartyKind
from tests import factories
from tests.factories import seoul

DAY = factories.MISSION_DAY


def slot(hour: int, minute: int = 0, minutes: int = 30) -> dict[str, str]:
    starts = seoul(DAY, hour, minute)
    return {
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=minutes)).isoformat(),
    }


@pytest.fixture
async def mission(session: AsyncSession) -> Mission:
    return await factories.mission(session)


async def _people(
    session: AsyncSession,
    mission: Mission,
    company: list[str],
    buyer: list[str],
    *pairs: list[str],
) -> tuple[int, int, list[int]]:
    company_id = (await factories.company(session, mission_=mission, languages=company)).id
    buyer_id = (await factories.buyer(session, mission_=mission, languages=buyer)).id
    interpreters = [
        (await factories.interpreter(session, mission_=mission, language_pairs=p)).id for p in pairs
    ]
    return company_id, buyer_id, interpreters


async def _book(client: httpx.AsyncClient, mission: Mission, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/missions/{mission.id}/meetings", json={**slot(10)} | body)


async def test_the_interpreter_must_link_the_two_sides(
    client: httpx.AsyncClient, session: AsyncSession, mission: Mission
) -> None:
    company, buyer, (indonesian, russian, reversed_pair, both) = await _people(
        session, mission, ["ko", "en"], ["ru"], ["ko-id"], ["ko-ru"], ["ru-en"], ["ko-id", "ko-ru"]
    )
    sides = {"company_id": company, "buyer_id": buyer}

    refused = await _book(client, mission, **sides, interpreter_id=indonesian)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "interpreter_id"
    assert (
        f"interpreter {indonesian} covers ko-id: no pair links the two sides"
        in (refused.json()["detail"])
    )
    assert "speaks ko, en" in refused.json()["detail"]
    assert "speaks ru" in refused.json()["detail"]

    # A pair the interpreter covers but the sides do not speak is refused too.
    wrong_pair = await _book(client, mission, **sides, interpreter_id=both, language_pair="ko-id")
    assert wrong_pair.status_code == 422, wrong_pair.text
    assert wrong_pair.json()["field"] == "language_pair"
    assert "ko-id does not link the two sides" in wrong_pair.json()["detail"]

    # Refused as a booth partner too, with the partner's field named.
    partner = await _book(
        client, mission, **sides, interpreter_id=russian, partner_interpreter_id=indonesian
    )
    assert partner.status_code == 422, partner.text
    assert partner.json()["field"] == "partner_interpreter_id"

    listed = await client.get(f"/api/v1/missions/{mission.id}/meetings")
    assert listed.json()["items"] == []

    # A pair written either way round, and the company's second language, link them.
    for interpreter, hour in ((russian, 10), (reversed_pair, 11), (both, 12)):
        booked = await _book(client, mission, **sides, interpreter_id=interpreter, **slot(hour))
        assert booked.status_code == 201, booked.text
    meeting = booked.json()
    # Moving an interpreter who does not link the sides onto a booked meeting is refused.
    moved = await client.patch(
        f"/api/v1/meetings/{meeting['id']}", json={"interpreter_id": indonesian}
    )
    assert moved.status_code == 422, moved.text
    assert (await client.get(f"/api/v1/meetings/{meeting['id']}")).json() == meeting


async def test_a_side_with_unknown_languages_is_not_checked(
    client: httpx.AsyncClient, session: AsyncSession, mission: Mission
) -> None:
    # A company with no languages on record (a buyer would speak its country's).
    company, buyer, (russian,) = await _people(session, mission, [], ["id"], ["ko-ru"])
    booked = await _book(
        client, mission, company_id=company, buyer_id=buyer, interpreter_id=russian
    )
    assert booked.status_code == 201, booked.text
    # The meeting's own pair is still checked against the interpreter.
    refused = await _book(
        client,
        mission,
        company_id=company,
        buyer_id=buyer,
        interpreter_id=russian,
        language_pair="ko-id",
        **slot(11),
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "language_pair"


async def test_an_interpreter_is_booked_only_when_available(
    client: httpx.AsyncClient, session: AsyncSession, mission: Mission
) -> None:
    company, buyer, (first, second) = await _people(
        session, mission, ["ko"], ["id"], ["ko-id"], ["ko-id"]
    )
    plans = f"/api/v1/missions/{mission.id}/schedule/parties/interpreter"
    # Two touching windows, 09:00-10:00 and 10:00-11:00 Seoul: one span 09:00-11:00.
    windows = [
        [seoul(DAY, 9).isoformat(), seoul(DAY, 10).isoformat()],
        [seoul(DAY, 10).isoformat(), seoul(DAY, 11).isoformat()],
    ]
    plan = await client.put(f"{plans}/{first}", json={"availability": windows})
    assert plan.status_code == 200, plan.text
    plan = await client.put(f"{plans}/{second}", json={"availability": windows[:1]})
    assert plan.status_code == 200, plan.text
    sides = {"company_id": company, "buyer_id": buyer}

    across = await _book(client, mission, **sides, interpreter_id=first, **slot(9, 45))
    assert across.status_code == 201, across.text

    for body in (
        {"interpreter_id": first, **slot(10, 45)},  # runs past 11:00
        {"interpreter_id": first, **slot(8, 45)},  # starts before 09:00
        {"interpreter_id": second, **slot(10)},  # after the second's window
    ):
        refused = await _book(client, mission, **sides, **body)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "interpreter_id", refused.text
        assert (
            f"interpreter {body['interpreter_id']} is not available from"
            in (refused.json()["detail"])
        )

    # Sharing English: booked first without an interpreter.
    other_company, other_buyer, _ = await _people(session, mission, ["ko", "en"], ["id", "en"])
    later = await _book(
        client, mission, company_id=other_company, buyer_id=other_buyer, **slot(10, 30)
    )
    assert later.status_code == 201, later.text
    partner = await client.patch(
        f"/api/v1/meetings/{later.json()['id']}",
        json={"interpreter_id": first, "partner_interpreter_id": second},
    )
    assert partner.status_code == 422, partner.text
    assert partner.json()["field"] == "partner_interpreter_id"
    assert f"interpreter {second} is not available" in partner.json()["detail"]
    kept = await client.get(f"/api/v1/meetings/{later.json()['id']}")
    assert kept.json()["interpreter_id"] is None


def test_the_scheduler_sees_a_booth_partner_as_busy() -> None:
    starts = seoul(DAY, 10)
    meeting = Meeting(
        company_id=1,
        buyer_id=2,
        interpreter_id=3,
        partner_interpreter_id=4,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
    )
    busy = _busy([meeting])
    assert [w.start for w in busy[(PartyKind.INTERPRETER, 3)]] == [starts]
    assert [w.start for w in busy[(PartyKind.INTERPRETER, 4)]] == [starts]
