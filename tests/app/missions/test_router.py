"""Missions and venues through the HTTP API: CRUD, paging, filters, validation, 404/409."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.missions.models import Mission
from tests import factories

MISSIONS = "/api/v1/missions"


def mission_body(organisation_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "organisation_id": organisation_id,
        "name": "Namdong-gu video export consultation with Indonesian buyers",
        "target_countries": ["ID"],
        "target_cities": ["Jakarta", "Surabaya"],
        "start_date": "2026-03-10",
        "end_date": "2026-03-14",
        "timezone": "Asia/Seoul",
        "currency": "USD",
    } | overrides


async def test_mission_create_read_update_delete(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    organisation = await factories.organisation(session)
    created = await client.post(MISSIONS, json=mission_body(organisation.id))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft"
    assert body["slot_minutes"] == 30
    assert body["target_countries"] == ["ID"]
    url = f"{MISSIONS}/{body['id']}"
    assert (await client.get(url)).json() == body

    patched = await client.patch(
        url, json={"status": "scheduled", "currency": "KRW", "end_date": "2026-03-15"}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["status"], patched.json()["currency"]) == ("scheduled", "KRW")
    assert patched.json()["end_date"] == "2026-03-15"

    assert (await client.delete(url)).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_mission_list_filters_and_pages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    host = await factories.organisation(session)
    other = await factories.organisation(session)
    jakarta = await factories.mission(
        session,
        organisation_=host,
        name="Jakarta week",
        target_countries=["ID", "MY"],
        start_date=date(2026, 3, 10),
        end_date=date(2026, 3, 14),
    )
    hanoi = await factories.mission(
        session,
        organisation_=host,
        name="Hanoi day",
        target_countries=["VN"],
        start_date=date(2026, 6, 2),
        end_date=date(2026, 6, 2),
    )
    almaty = await factories.mission(
        session,
        organisation_=host,
        name="Almaty and Moscow",
        target_countries=["KZ", "RU"],
        start_date=date(2026, 9, 1),
        end_date=date(2026, 9, 5),
        status="closed",
    )
    await factories.mission(session, organisation_=other, target_countries=["ID"])

    def names(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [m["name"] for m in response.json()["items"]]

    mine = {"organisation_id": host.id}
    everything = await client.get(MISSIONS, params=mine)
    assert everything.json()["total"] == 3
    assert names(everything) == ["Almaty and Moscow", "Hanoi day", "Jakarta week"]
    assert names(await client.get(MISSIONS, params=mine | {"country": "MY"})) == [jakarta.name]
    assert names(await client.get(MISSIONS, params=mine | {"status": "closed"})) == [almaty.name]
    in_range = await client.get(
        MISSIONS, params=mine | {"date_from": "2026-03-14", "date_to": "2026-06-30"}
    )
    assert names(in_range) == [hanoi.name, jakarta.name]
    page = (await client.get(MISSIONS, params=mine | {"limit": 1, "offset": 1})).json()
    assert (page["total"], [m["name"] for m in page["items"]]) == (3, [hanoi.name])
    assert (await client.get(MISSIONS, params={"country": "Indonesia"})).status_code == 422


async def test_mission_bad_input_is_422_and_saves_nothing(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    organisation = await factories.organisation(session)
    cases = [
        ({"target_countries": ["Indonesia"]}, "target_countries"),
        ({"target_countries": ["ID", "ID"]}, "target_countries"),
        ({"timezone": "Asia/Jakartaa"}, "timezone"),
        ({"timezone": "GMT+7"}, "timezone"),
        ({"currency": "RUR"}, "currency"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"end_date": "2026-03-09"}, "end_date"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"status": "finished"}, "status"),
        ({"budget": 1000}, "budget"),
    ]
    for overrides, field in cases:
        response = await client.post(MISSIONS, json=mission_body(organisation.id, **overrides))
        assert response.status_code == 422, (overrides, response.text)
        errors = response.json()["detail"]
        assert field in [e["loc"][1] for e in errors], (overrides, errors)
        assert all(e["msg"] for e in errors)
    listed = await client.get(MISSIONS, params={"organisation_id": organisation.id})
    assert listed.json()["total"] == 0


async def test_mission_update_rules(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mission = await factories.mission(session)
    url = f"{MISSIONS}/{mission.id}"
    backwards = await client.patch(url, json={"end_date": "2026-03-01"})
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "end_date"
    assert (await client.patch(url, json={"organisation_id": 5})).status_code == 422
    assert (await client.patch(url, json={"timezone": None})).status_code == 422
    assert (await client.get(url)).json()["end_date"] == "2026-03-14"


async def test_mission_unknown_ids_and_conflicts(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    organisation_id = (await factories.organisation(session)).id
    unknown_host = await client.post(MISSIONS, json=mission_body(999999))
    assert unknown_host.status_code == 404
    assert unknown_host.json()["detail"] == "organisation 999999 not found"
    assert (await client.get(f"{MISSIONS}/999999")).status_code == 404

    first = await client.post(MISSIONS, json=mission_body(organisation_id))
    assert first.status_code == 201
    again = await client.post(MISSIONS, json=mission_body(organisation_id))
    assert again.status_code == 409

    mission_id = first.json()["id"]
    await factories.company(session, mission_=await session.get_one(Mission, mission_id))
    refused = await client.delete(f"{MISSIONS}/{mission_id}")
    assert refused.status_code == 409
    assert refused.json()["records"] == {"companies": 1}
    assert (await client.get(f"{MISSIONS}/{mission_id}")).status_code == 200


async def test_venue_crud_list_and_rules(client: httpx.AsyncClient, session: AsyncSession) -> None:
    mission = await factories.mission(session)
    url = f"{MISSIONS}/{mission.id}/venues"
    booth = await client.post(
        url,
        json={
            "name": "Booth 1",
            "kind": "booth",
            "city": "Incheon",
            "country": "KR",
            "timezone": "Asia/Seoul",
        },
    )
    assert booth.status_code == 201, booth.text
    room = await client.post(
        url,
        json={
            "name": "Jakarta room A",
            "kind": "business_centre",
            "city": "Jakarta",
            "country": "ID",
            "timezone": "Asia/Jakarta",
            "capacity": 4,
        },
    )
    assert room.status_code == 201, room.text
    venue_url = f"/api/v1/venues/{booth.json()['id']}"
    assert (await client.get(venue_url)).json()["mission_id"] == mission.id

    patched = await client.patch(venue_url, json={"name": "Booth 1 (big screen)"})
    assert patched.json()["name"] == "Booth 1 (big screen)"

    indonesia = (await client.get(url, params={"country": "ID"})).json()
    assert [v["name"] for v in indonesia["items"]] == ["Jakarta room A"]
    booths = (await client.get(url, params={"kind": "booth"})).json()
    assert booths["total"] == 1

    bad = await client.post(
        url, json={"name": "Room", "kind": "hall", "country": "ID", "timezone": "Jakarta"}
    )
    assert bad.status_code == 422
    assert {e["loc"][1] for e in bad.json()["detail"]} == {"kind", "timezone"}
    assert (await client.get(url)).json()["total"] == 2

    await factories.meeting(session, mission_=mission, company_venue_id=booth.json()["id"])
    in_use = await client.delete(venue_url)
    assert in_use.status_code == 409
    assert len(in_use.json()["meeting_ids"]) == 1
    room_url = f"/api/v1/venues/{room.json()['id']}"
    assert (await client.delete(room_url)).status_code == 204
    assert (await client.get(room_url)).status_code == 404
    assert (await client.get(f"{MISSIONS}/999999/venues")).status_code == 404
