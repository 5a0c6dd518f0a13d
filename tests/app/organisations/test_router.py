"""Organisations through the HTTP API: CRUD, paging, filters, validation, 404/409."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories

API = "/api/v1/organisations"


async def test_create_read_update_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(
        API, json={"name": "Namdong-gu Office", "country": "KR", "city": "Incheon"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Namdong-gu Office"
    assert body["kind"] == "district_office"
    url = f"{API}/{body['id']}"

    assert (await client.get(url)).json() == body

    patched = await client.patch(url, json={"city": "Incheon Metropolitan City"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["city"] == "Incheon Metropolitan City"
    assert patched.json()["name"] == "Namdong-gu Office"

    assert (await client.delete(url)).status_code == 204
    missing = await client.get(url)
    assert missing.status_code == 404
    assert missing.json()["detail"] == f"organisation {body['id']} not found"


async def test_list_pages_and_filters(client: httpx.AsyncClient, session: AsyncSession) -> None:
    for i in range(5):
        await factories.organisation(session, name=f"Paging Suwon Office {i}", country="KR")
    await factories.organisation(session, name="Paging Hanoi Business Centre", country="VN")

    first = (await client.get(API, params={"q": "paging", "limit": 2})).json()
    assert first["total"] == 6
    assert [o["name"] for o in first["items"]] == ["Paging Suwon Office 0", "Paging Suwon Office 1"]
    last = (await client.get(API, params={"q": "paging", "limit": 2, "offset": 4})).json()
    assert [o["name"] for o in last["items"]] == [
        "Paging Suwon Office 4",
        "Paging Hanoi Business Centre",
    ]
    assert (last["limit"], last["offset"], last["total"]) == (2, 4, 6)

    vietnam = (await client.get(API, params={"q": "paging", "country": "VN"})).json()
    assert [o["name"] for o in vietnam["items"]] == ["Paging Hanoi Business Centre"]

    bad_page = await client.get(API, params={"limit": 0})
    assert bad_page.status_code == 422


async def test_bad_input_is_422_with_field_messages_and_saves_nothing(
    client: httpx.AsyncClient,
) -> None:
    cases = [
        ({"name": "X Office", "country": "Korea"}, "country"),
        ({"name": "X Office", "country": "XX"}, "country"),
        ({"name": "X Office", "country": "kr"}, "country"),
        ({"name": ""}, "name"),
        ({"name": "X Office", "colour": "blue"}, "colour"),
        ({"name": "X" * 201}, "name"),
    ]
    for payload, field in cases:
        response = await client.post(API, json=payload)
        assert response.status_code == 422, payload
        assert [e["loc"][-1] for e in response.json()["detail"]] == [field], response.text
    assert (await client.get(API, params={"q": "X Office"})).json()["total"] == 0


async def test_null_for_a_required_field_is_refused_on_update(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    organisation = await factories.organisation(session)
    response = await client.patch(f"{API}/{organisation.id}", json={"name": None})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


async def test_duplicate_name_is_409(client: httpx.AsyncClient, session: AsyncSession) -> None:
    # Ids are read up front: a refused insert rolls the session back and expires its objects.
    taken_id = (await factories.organisation(session, name="Gangseo-gu Office")).id
    response = await client.post(API, json={"name": "Gangseo-gu Office"})
    assert response.status_code == 409
    assert "Gangseo-gu Office" in response.json()["detail"]
    assert (await client.get(f"{API}/{taken_id}")).status_code == 200
    listed = await client.get(API, params={"q": "Gangseo-gu Office"})
    assert listed.json()["total"] == 1


async def test_an_organisation_hosting_a_mission_is_not_deleted(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    response = await client.delete(f"{API}/{mission.organisation_id}")
    assert response.status_code == 409
    assert response.json()["missions"] == 1
    assert (await client.get(f"{API}/{mission.organisation_id}")).status_code == 200


async def test_unknown_and_invalid_ids(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{API}/999999")).status_code == 404
    assert (await client.patch(f"{API}/999999", json={"city": "Seoul"})).status_code == 404
    assert (await client.delete(f"{API}/999999")).status_code == 404
    assert (await client.get(f"{API}/0")).status_code == 422
    assert (await client.get(f"{API}/{2**40}")).status_code == 422
