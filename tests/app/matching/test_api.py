"""Matching API on real records: wants, explained suggestions, requests and the organiser's list."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories

API = "/api/v1"


async def test_wants_suggestions_and_requests(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    filters = await factories.company(
        session,
        mission_=mission,
        industry="beauty devices",
        products=["Vitamin shower filters", "Handheld shower heads"],
        languages=["ko", "en"],
    )
    masks = await factories.company(session, mission_=mission)  # cosmetics, sheet masks, ko
    buyer = await factories.buyer(
        session,
        mission_=mission,
        industries_sought=["beauty devices"],
        products_sought=["shower filter"],
        languages=["id", "en"],
    )

    assert (await client.get(f"{API}/companies/{filters.id}/wants")).json()[
        "origin_country"
    ] == "KR"  # the default, unsaved
    put = await client.put(
        f"{API}/companies/{filters.id}/wants",
        json={"buyer_countries": ["ID"], "buyer_industries": ["retail"]},
    )
    assert put.status_code == 200, put.text
    put = await client.put(
        f"{API}/buyers/{buyer.id}/wants",
        json={"industries": ["retail"], "origin_countries": ["KR"]},
    )
    assert put.status_code == 200, put.text
    assert (
        await client.put(f"{API}/buyers/{buyer.id}/wants", json={"origin_countries": ["XX"]})
    ).status_code == 422

    suggestions = (await client.get(f"{API}/buyers/{buyer.id}/matches")).json()
    assert [s["company_id"] for s in suggestions] == [filters.id, masks.id]
    best = suggestions[0]
    # industries 30 + products 30 (1 of 1 keyword) + origin 10 + language (en) 10 + buyer
    # country 15 + buyer industry 5: everything at stake is earned.
    assert best["score"] == 100.0
    assert "products: shower filter (30/30)" in best["explanation"]
    assert best["language_pair"] == ""
    # Masks: only origin (10) earned of 30 + 30 + 10 + 10 at stake.
    assert suggestions[1]["score"] == 12.5
    assert suggestions[1]["language_pair"] == "ko-id"
    reverse = (await client.get(f"{API}/companies/{masks.id}/matches")).json()
    assert [s["buyer_id"] for s in reverse] == [buyer.id]

    base = f"{API}/missions/{mission.id}/meeting-requests"
    first = await client.post(
        base, json={"company_id": masks.id, "buyer_id": buyer.id, "requested_by": "company"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["score"] == 12.5 and first.json()["language_pair"] == "ko-id"
    second = await client.post(
        base,
        json={
            "company_id": filters.id,
            "buyer_id": buyer.id,
            "requested_by": "buyer",
            "priority": 2,
        },
    )
    assert second.status_code == 201
    duplicate = await client.post(
        base, json={"company_id": filters.id, "buyer_id": buyer.id, "requested_by": "organiser"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["request_id"] == second.json()["id"]

    listed = (await client.get(base)).json()
    assert listed["total"] == 2
    assert [r["id"] for r in listed["items"]] == [second.json()["id"], first.json()["id"]]
    assert (await client.get(base, params={"min_score": 50})).json()["total"] == 1

    one, two = first.json()["id"], second.json()["id"]
    accepted = await client.post(f"{API}/meeting-requests/{two}/accept")
    assert accepted.json()["status"] == "accepted"
    approved = await client.post(f"{API}/meeting-requests/{two}/approve", json={"priority": 3})
    assert approved.json()["status"] == "approved" and approved.json()["priority"] == 3
    assert (await client.post(f"{API}/meeting-requests/{two}/accept")).status_code == 409
    declined = await client.post(f"{API}/meeting-requests/{one}/decline")
    assert declined.json()["status"] == "declined"
    refused = await client.post(f"{API}/meeting-requests/{one}/approve", json={})
    assert refused.status_code == 409
    assert (await client.get(base, params={"status": "approved"})).json()["total"] == 1


async def test_bad_requests(session: AsyncSession, client: httpx.AsyncClient) -> None:
    mission = await factories.mission(session)
    other = await factories.mission(session)
    company = await factories.company(session, mission_=mission)
    stranger = await factories.buyer(session, mission_=other)
    base = f"{API}/missions/{mission.id}/meeting-requests"
    wrong_mission = await client.post(
        base, json={"company_id": company.id, "buyer_id": stranger.id, "requested_by": "buyer"}
    )
    unknown = await client.post(
        base, json={"company_id": company.id, "buyer_id": 999999, "requested_by": "buyer"}
    )
    # Another mission's buyer answers exactly like a missing one (no probing of ids).
    assert wrong_mission.status_code == unknown.status_code == 404
    assert wrong_mission.json()["detail"] == f"buyer {stranger.id} not found"
    assert unknown.json()["detail"] == "buyer 999999 not found"
    assert (
        await client.post(
            base,
            json={"company_id": company.id, "buyer_id": stranger.id, "requested_by": "caterer"},
        )
    ).status_code == 422
    assert (
        await client.post(
            f"{API}/missions/999999/meeting-requests",
            json={"company_id": company.id, "buyer_id": stranger.id, "requested_by": "buyer"},
        )
    ).status_code == 404
    assert (await client.get(f"{API}/meeting-requests/999999")).status_code == 404
    assert (await client.get(f"{API}/buyers/999999/matches")).status_code == 404
    assert (await client.get(base, params={"min_score": 101})).status_code == 422
