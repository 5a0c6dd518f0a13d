"""Rows and requests the outcome and report tests share."""

from __future__ import annotations

from typing import Any

import httpx

from app.missions.models import Mission


async def put_rates(
    client: httpx.AsyncClient, mission: Mission | int, rates: list[tuple[str, str, str]]
) -> None:
    """Enter (currency, date, units per USD) rows as the organiser, through the API."""
    mission_id = mission if isinstance(mission, int) else mission.id
    response = await client.put(
        f"/api/v1/missions/{mission_id}/exchange-rates",
        json={
            "entered_by": "Organiser Kim",
            "rates": [
                {"currency": currency, "rate_date": day, "units_per_usd": rate}
                for currency, day, rate in rates
            ],
        },
    )
    assert response.status_code == 200, response.text


def outcome(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "recorded_by": "Lee Seat",
        "role": "company_seat",
        "currency": "USD",
        "consultation_value": "100000",
        "expected_contract_value": "50000",
        "interest_level": "high",
        "samples": "2 boxes of sheet masks",
        "next_steps": "send price list",
    }
    return body | overrides
