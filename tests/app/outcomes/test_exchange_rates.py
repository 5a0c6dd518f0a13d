"""The mission's exchange-rate table: entered by the organiser, validated, replaced by date."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests import factories


async def test_the_organiser_enters_and_corrects_rates(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    url = f"/api/v1/missions/{mission.id}/exchange-rates"
    body = {
        "entered_by": "Organiser Kim",
        "rates": [
            {"currency": "VND", "rate_date": "2026-03-09", "units_per_usd": "25400"},
            {"currency": "KRW", "rate_date": "2026-03-09", "units_per_usd": 1380.50},
        ],
    }
    assert (await client.put(url, json=body)).status_code == 200
    fix = {"entered_by": "Organiser Lee", "rates": [body["rates"][1] | {"units_per_usd": "1381"}]}
    table = (await client.put(url, json=fix)).json()
    assert [
        (r["currency"], r["rate_date"], r["units_per_usd"], r["entered_by"]) for r in table
    ] == [
        ("KRW", "2026-03-09", "1381", "Organiser Lee"),
        ("VND", "2026-03-09", "25400", "Organiser Kim"),
    ]
    assert (await client.get(url)).json() == table


async def test_bad_rates_and_other_roles_are_refused(
    session: AsyncSession, client: httpx.AsyncClient
) -> None:
    mission = await factories.mission(session)
    url = f"/api/v1/missions/{mission.id}/exchange-rates"

    def one(currency: str, rate: object, **extra: object) -> dict[str, object]:
        row = {"currency": currency, "rate_date": "2026-03-09", "units_per_usd": rate}
        return {"entered_by": "Kim", "rates": [row]} | extra

    assert (await client.put(url, json=one("KRW", "1380", role="company_seat"))).status_code == 403
    assert (await client.put(url, json=one("USD", "1"))).status_code == 422
    assert (await client.put(url, json=one("XYZ", "1"))).status_code == 422
    assert (await client.put(url, json=one("KRW", "0"))).status_code == 422
    assert (await client.put(url, json=one("KRW", "-1380"))).status_code == 422
    assert (await client.put(url, json=one("KRW", "NaN"))).status_code == 422
    twice = one("KRW", "1380")
    twice["rates"] = twice["rates"] * 2  # type: ignore[operator]
    assert (await client.put(url, json=twice)).status_code == 422
    assert (await client.get(url)).json() == []
    assert (await client.get("/api/v1/missions/999999/exchange-rates")).status_code == 404
