"""Languages where they matter: two sides that share none meet only with an interpreter of
their pair. The solver leaves such a request unplaced with the reason when nobody covers the
pair, and the booking API refuses the meeting; a buyer whose languages are not on record
(an import without that column) speaks its country's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import VenueKind
from app.participants.languages import buyer_spoken, country_languages, needed_pair
from app.participants.models import Buyer
from tests import factories
from tests.factories import MISSION_DAY, seoul

API = "/api/v1"


async def _approved(client: httpx.AsyncClient, mission_id: int, company: int, buyer: int) -> int:
    made = await client.post(
        f"{API}/missions/{mission_id}/meeting-requests",
        json={"company_id": company, "buyer_id": buyer, "requested_by": "organiser"},
    )
    assert made.status_code == 201, made.text
    request_id: int = made.json()["id"]
    approved = await client.post(f"{API}/meeting-requests/{request_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    return request_id


async def _solve(client: httpx.AsyncClient, mission_id: int) -> dict[str, Any]:
    answer = await client.post(
        f"{API}/missions/{mission_id}/schedule/solve", json={"time_limit_s": 3}
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_buyer_without_languages_speaks_its_countrys() -> None:
    assert country_languages("VN") == ("vi",)
    assert country_languages("KZ") == ("ru", "kk")  # most spoken first
    assert country_languages("HK") == ("zh", "en")
    hanoi = buyer_spoken(Buyer(country="VN", languages=[]))
    assert hanoi.languages == ("vi",) and hanoi.derived
    assert not buyer_spoken(Buyer(country="VN", languages=["en"])).derived
    korean = buyer_spoken(Buyer(country="KR", languages=[]))
    assert needed_pair(korean, hanoi) == "ko-vi"
    assert needed_pair(korean, buyer_spoken(Buyer(country="KR", languages=["ko"]))) == ""


async def test_a_ko_vi_request_without_a_ko_vi_interpreter_is_left_unplaced_with_the_reason(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session, end_date=MISSION_DAY)
    await factories.venue(session, mission_=mission)
    company = await factories.company(session, mission_=mission, languages=["ko"])
    # Imported without a languages column: nothing on record.
    hanoi = await factories.buyer(
        session, mission_=mission, country="VN", city="Hanoi", languages=[]
    )
    jakarta = await factories.buyer(session, mission_=mission, languages=[])
    await factories.venue(
        session, mission_=mission, name="KBC Jakarta room", kind=VenueKind.BUSINESS_CENTRE,
        city="Jakarta", country="ID", timezone="Asia/Jakarta",
    )
    interpreter = await factories.interpreter(session, mission_=mission, language_pairs=["ko-id"])
    to_hanoi = await _approved(client, mission.id, company.id, hanoi.id)
    to_jakarta = await _approved(client, mission.id, company.id, jakarta.id)

    proposal = await _solve(client, mission.id)
    assert [m["request_id"] for m in proposal["meetings"]] == [to_jakarta]
    placed = proposal["meetings"][0]
    assert (placed["interpreter_id"], placed["language_pair"]) == (interpreter.id, "ko-id")
    (unplaced,) = proposal["unplaced"]
    assert unplaced["request_id"] == to_hanoi
    assert unplaced["reason"] == "no_interpreter_for_pair"
    assert "ko-vi" in unplaced["detail"]

    # A ko-vi interpreter booked later: the same request is placed, with her.
    vietnamese = await factories.interpreter(session, mission_=mission, language_pairs=["ko-vi"])
    again = await _solve(client, mission.id)
    assert again["unplaced"] == []
    by_request = {m["request_id"]: m for m in again["meetings"]}
    assert by_request[to_hanoi]["interpreter_id"] == vietnamese.id
    assert by_request[to_hanoi]["language_pair"] == "ko-vi"
    applied = await client.post(
        f"{API}/missions/{mission.id}/schedule/apply",
        json={"version": again["version"], "meetings": again["meetings"]},
    )
    assert applied.status_code == 200, applied.text
    assert len(applied.json()["booked"]) == 2


async def test_languages_changed_after_the_request_are_what_the_solver_checks(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session, end_date=MISSION_DAY)
    await factories.venue(session, mission_=mission)
    company = await factories.company(session, mission_=mission, languages=["ko"])
    buyer = await factories.buyer(session, mission_=mission, country="VN", languages=["ko"])
    request_id = await _approved(client, mission.id, company.id, buyer.id)
    assert [m["request_id"] for m in (await _solve(client, mission.id))["meetings"]] == [
        request_id
    ]
    changed = await client.patch(f"{API}/buyers/{buyer.id}", json={"languages": ["vi"]})
    assert changed.status_code == 200
    (unplaced,) = (await _solve(client, mission.id))["unplaced"]
    assert (unplaced["request_id"], unplaced["reason"]) == (request_id, "no_interpreter_for_pair")


async def test_booking_without_an_interpreter_covering_the_pair_is_refused(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    booth = await factories.venue(session, mission_=mission)
    company = await factories.company(session, mission_=mission, languages=["ko"])
    hanoi = await factories.buyer(session, mission_=mission, country="VN", languages=[])
    ko_id = await factories.interpreter(session, mission_=mission, language_pairs=["ko-id"])
    ko_vi = await factories.interpreter(session, mission_=mission, language_pairs=["ko-vi"])
    url = f"{API}/missions/{mission.id}/meetings"
    starts = seoul(MISSION_DAY, 10)
    body = {
        "company_id": company.id,
        "buyer_id": hanoi.id,
        "company_venue_id": booth.id,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(minutes=30)).isoformat(),
    }

    alone = await client.post(url, json=body)
    assert alone.status_code == 422, alone.text
    assert alone.json()["field"] == "interpreter_id"
    assert alone.json()["language_pair"] == "ko-vi"
    assert "share no language" in alone.json()["detail"]
    assert "from its country, VN" in alone.json()["detail"]

    wrong = await client.post(url, json=body | {"interpreter_id": ko_id.id})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["field"] == "interpreter_id"
    assert "no pair links the two sides" in wrong.json()["detail"]
    assert (await client.get(url)).json()["total"] == 0  # nothing was saved

    booked = await client.post(url, json=body | {"interpreter_id": ko_vi.id})
    assert booked.status_code == 201, booked.text
    # Taking the interpreter off the meeting is refused the same way.
    moved = await client.patch(
        f"{API}/meetings/{booked.json()['id']}", json={"interpreter_id": None}
    )
    assert moved.status_code == 422 and moved.json()["field"] == "interpreter_id"

    # Sides that share a language need nobody.
    both = await factories.buyer(session, mission_=mission, country="VN", languages=["vi", "ko"])
    later = seoul(MISSION_DAY, 11)
    plain = body | {
        "buyer_id": both.id,
        "starts_at": later.isoformat(),
        "ends_at": (later + timedelta(minutes=30)).isoformat(),
    }
    assert (await client.post(url, json=plain)).status_code == 201
