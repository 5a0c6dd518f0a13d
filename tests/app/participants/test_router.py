"""Companies, buyers and interpreters through the HTTP API: CRUD, paging, filters, 422/404/409."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories


async def test_company_crud(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mission = await factories.mission(session)
    created = await client.post(
        f"/api/v1/missions/{mission.id}/companies",
        json={
            "name": "Hanbit Cosmetics",
            "industry": "cosmetics",
            "products": ["sheet masks", "sun cream"],
            "contact_name": "Kim Minji",
            "contact_email": "minji@Hanbit.example.KR",
            "contact_phone": "+82 32-000-0000",
            "languages": ["ko", "en"],
            "website": "https://hanbit.example.kr",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["contact_email"] == "minji@hanbit.example.kr"
    assert body["mission_id"] == mission.id
    url = f"/api/v1/companies/{body['id']}"
    assert (await client.get(url)).json() == body

    patched = await client.patch(url, json={"products": ["sheet masks"], "website": ""})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["products"], patched.json()["website"]) == (["sheet masks"], "")

    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_company_list_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    other_mission = await factories.mission(session)
    await factories.company(
        session,
        mission_=mission,
        name="A Foods",
        industry="Food",
        products=["ready meals", "kimchi"],
    )
    await factories.company(
        session,
        mission_=mission,
        name="B Motors",
        industry="machinery",
        products=["blowers"],
        languages=["ko", "en"],
    )
    await factories.company(session, mission_=mission, name="C Beauty", industry="cosmetics")
    await factories.company(session, mission_=other_mission, industry="food")
    url = f"/api/v1/missions/{mission.id}/companies"

    async def names(**params: object) -> list[str]:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert await names() == ["A Foods", "B Motors", "C Beauty"]
    assert await names(industry="food") == ["A Foods"]
    assert await names(language="en") == ["B Motors"]
    assert await names(product="KIMCHI") == ["A Foods"]
    assert await names(q="beauty") == ["C Beauty"]
    page = (await client.get(url, params={"limit": 2, "offset": 2})).json()
    assert (page["total"], [c["name"] for c in page["items"]]) == (3, ["C Beauty"])
    assert (await client.get(url, params={"language": "korean"})).status_code == 422


async def test_company_bad_input(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mission = await factories.mission(session)
    url = f"/api/v1/missions/{mission.id}/companies"
    cases = [
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"contact_email": "a@b"}, "contact_email"),
        ({"languages": ["korean"]}, "languages"),
        ({"website": "ftp://x.example"}, "website"),
        ({"industry": ""}, "industry"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"employees": 30}, "employees"),
    ]
    for overrides, field in cases:
        payload = {"name": "Bad Input Co.", "industry": "food"} | overrides
        response = await client.post(url, json=payload)
        assert response.status_code == 422, (overrides, response.text)
        assert field in [e["loc"][1] for e in response.json()["detail"]]
    assert (await client.get(url)).json()["total"] == 0
    unknown = await client.post(
        "/api/v1/missions/999999/companies", json={"name": "X", "industry": "food"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "mission 999999 not found"


async def test_company_name_is_unique_per_mission(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    other = await factories.mission(session)
    mission_id, other_id = mission.id, other.id
    payload = {"name": "Seoul Audio", "industry": "audio/video equipment"}
    assert (await client.post(f"/api/v1/missions/{mission_id}/companies", json=payload)).is_success
    again = await client.post(f"/api/v1/missions/{mission_id}/companies", json=payload)
    assert again.status_code == 409
    elsewhere = await client.post(f"/api/v1/missions/{other_id}/companies", json=payload)
    assert elsewhere.status_code == 201


async def test_buyer_crud_filters_and_validation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    url = f"/api/v1/missions/{mission.id}/buyers"
    created = await client.post(
        url,
        json={
            "name": "Budi Santoso",
            "company_name": "PT Sinar Jaya",
            "country": "ID",
            "city": "Surabaya",
            "industries_sought": ["cosmetics", "food"],
            "products_sought": ["halal cosmetics"],
            "languages": ["id", "en"],
            "contact_email": "budi@sinarjaya.example.id",
        },
    )
    assert created.status_code == 201, created.text
    await factories.buyer(
        session, mission_=mission, name="Siti", city="Jakarta", industries_sought=["machinery"]
    )
    await factories.buyer(session, mission_=mission, name="Nguyen", country="VN", city="Hanoi")

    async def names(**params: object) -> list[str]:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        return [b["name"] for b in response.json()["items"]]

    assert await names(country="ID") == ["Budi Santoso", "Siti"]
    assert await names(city="surabaya") == ["Budi Santoso"]
    assert await names(industry="machinery") == ["Siti"]
    assert await names(q="sinar") == ["Budi Santoso"]

    buyer_url = f"/api/v1/buyers/{created.json()['id']}"
    moved = await client.patch(buyer_url, json={"city": "Jakarta"})
    assert moved.json()["city"] == "Jakarta"
    bad = await client.patch(buyer_url, json={"country": "IDN", "languages": ["bahasa"]})
    assert bad.status_code == 422
    assert {e["loc"][1] for e in bad.json()["detail"]} == {"country", "languages"}
    assert (await client.get(buyer_url)).json()["country"] == "ID"
    missing = await client.post(url, json={"name": "No Company", "country": "ID"})
    assert [e["loc"][1] for e in missing.json()["detail"]] == ["company_name"]

    assert (await client.delete(buyer_url)).status_code == 204
    assert (await client.get(buyer_url)).status_code == 404


async def test_interpreter_crud_filters_and_validation(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    url = f"/api/v1/missions/{mission.id}/interpreters"
    created = await client.post(url, json={"name": "Lee Sora", "language_pairs": ["ko-id"]})
    assert created.status_code == 201, created.text
    await factories.interpreter(session, mission_=mission, name="Park", language_pairs=["ko-en"])
    listed = (await client.get(url, params={"language_pair": "ko-en"})).json()
    assert [i["name"] for i in listed["items"]] == ["Park"]

    for pairs in (["ko"], ["ko-ko"], ["korean-indonesian"], ["ko-xx"], []):
        response = await client.post(url, json={"name": "Bad", "language_pairs": pairs})
        assert response.status_code == 422, pairs
        assert response.json()["detail"][0]["loc"][1] == "language_pairs"

    interpreter_url = f"/api/v1/interpreters/{created.json()['id']}"
    patched = await client.patch(interpreter_url, json={"language_pairs": ["ko-id", "ko-en"]})
    assert patched.json()["language_pairs"] == ["ko-id", "ko-en"]
    assert (await client.get(url)).json()["total"] == 2


async def test_participants_in_meetings_are_not_deleted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    interpreter = await factories.interpreter(session, mission_=mission)
    meeting = await factories.meeting(session, mission_=mission, interpreter_id=interpreter.id)
    for path in (
        f"/api/v1/companies/{meeting.company_id}",
        f"/api/v1/buyers/{meeting.buyer_id}",
        f"/api/v1/interpreters/{interpreter.id}",
    ):
        response = await client.delete(path)
        assert response.status_code == 409, path
        assert response.json()["meeting_ids"] == [meeting.id]
        assert (await client.get(path)).status_code == 200


async def test_a_party_in_no_meeting_is_deleted_with_its_requests_and_plan(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    """A buyer who drops out before the schedule: its meeting requests (wishes, nothing
    booked) and its scheduling plan go with it; the company's other requests stay."""
    mission = await factories.mission(session)
    company = await factories.company(session, mission_=mission)
    leaving = await factories.buyer(session, mission_=mission)
    staying = await factories.buyer(session, mission_=mission)
    for buyer in (leaving, staying):
        made = await client.post(
            f"/api/v1/missions/{mission.id}/meeting-requests",
            json={"company_id": company.id, "buyer_id": buyer.id, "requested_by": "buyer"},
        )
        assert made.status_code == 201
    plan = await client.put(
        f"/api/v1/missions/{mission.id}/schedule/parties/buyer/{leaving.id}",
        json={"timezone": "Asia/Jakarta"},
    )
    assert plan.status_code == 200
    assert (await client.delete(f"/api/v1/buyers/{leaving.id}")).status_code == 204
    requests = await client.get(f"/api/v1/missions/{mission.id}/meeting-requests")
    assert [r["buyer_id"] for r in requests.json()["items"]] == [staying.id]
    plans = await client.get(f"/api/v1/missions/{mission.id}/schedule/parties")
    assert plans.json() == []


async def test_unknown_participants_are_404(client: httpx.AsyncClient) -> None:
    for kind in ("companies", "buyers", "interpreters"):
        response = await client.get(f"/api/v1/{kind}/999999")
        assert response.status_code == 404
        assert "999999 not found" in response.json()["detail"]
        assert (await client.patch(f"/api/v1/{kind}/999999", json={})).status_code == 404
