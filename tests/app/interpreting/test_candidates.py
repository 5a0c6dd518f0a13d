"""A meeting's interpreter candidates agree with what the booking rules accept."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories
from tests.factories import seoul

DAY = factories.MISSION_DAY


async def test_candidates_fit_exactly_when_the_booking_rules_accept_them(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    company = await factories.company(session, mission_=mission, languages=["ko"])
    buyer = await factories.buyer(session, mission_=mission, languages=["id", "en"])

    async def interpreter(name: str, *pairs: str) -> int:
        row = await factories.interpreter(
            session, mission_=mission, name=name, language_pairs=list(pairs)
        )
        return row.id

    current = await interpreter("Ahn", "ko-id")
    baek = await interpreter("Baek", "en-ko")
    await interpreter("Cho", "ko-ru")
    busy = await interpreter("Dong", "ko-id")
    away = await interpreter("Eom", "ko-id")
    await interpreter("Fay", "en-ko")
    meeting = await factories.meeting(
        session,
        mission_=mission,
        company_=company,
        buyer_=buyer,
        interpreter_id=current,
        starts_at=seoul(DAY, 10),
    )
    # Dong is the booth partner of an overlapping meeting; Eom works only in the afternoon.
    await factories.meeting(
        session,
        mission_=mission,
        interpreter_id=baek,
        partner_interpreter_id=busy,
        starts_at=seoul(DAY, 10, 15),
    )
    plan = await client.put(
        f"/api/v1/missions/{mission.id}/schedule/parties/interpreter/{away}",
        json={"availability": [[seoul(DAY, 13).isoformat(), seoul(DAY, 18).isoformat()]]},
    )
    assert plan.status_code == 200, plan.text

    url = f"/api/v1/meetings/{meeting.id}/interpreter-candidates"
    response = await client.get(url)
    assert response.status_code == 200, response.text
    found = response.json()
    assert [(c["name"], c["fits"], c["seat"]) for c in found] == [
        ("Ahn", True, "interpreter"),
        ("Fay", True, None),
        ("Baek", False, None),  # languages fit, but in the 10:15 meeting
        ("Cho", False, None),
        ("Dong", False, None),
        ("Eom", False, None),
    ]
    problems = {c["name"]: " ".join(c["problems"]) for c in found}
    assert "no pair links the two sides" in problems["Cho"]
    assert "already in meeting" in problems["Dong"]
    assert "is not available from" in problems["Eom"]

    # What the list says is what a PATCH of the meeting's interpreter gets.
    for candidate in found:
        moved = await client.patch(
            f"/api/v1/meetings/{meeting.id}", json={"interpreter_id": candidate["interpreter_id"]}
        )
        assert (moved.status_code == 200) == candidate["fits"], (candidate, moved.text)
        assert moved.status_code in (200, 409, 422), moved.text

    assert (await client.get("/api/v1/meetings/99999/interpreter-candidates")).status_code == 404
